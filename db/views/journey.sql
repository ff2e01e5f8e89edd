-- One person's events across channels in (event_time, event_id) order, the first max_events of
-- them, with where the path switched channel and the time since the previous event.
CREATE OR REPLACE FUNCTION analytics.journey(project_id text, person_id text, max_events integer DEFAULT 1000)
RETURNS TABLE (seq bigint, event_id text, event_time timestamptz, channel text, type text, event text, session_id text,
               channel_changed boolean, since_previous interval)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, analytics, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  IF journey.project_id IS NULL OR journey.person_id IS NULL THEN
    RAISE EXCEPTION 'journey argument % must not be null', CASE WHEN journey.project_id IS NULL THEN 'project_id' ELSE 'person_id' END
      USING ERRCODE = '22023';
  END IF;
  IF journey.max_events IS NULL OR journey.max_events < 1 THEN
    RAISE EXCEPTION 'journey argument max_events must be at least 1, got %', coalesce(journey.max_events::text, 'null') USING ERRCODE = '22023';
  END IF;

  RETURN QUERY
  WITH ids AS (
    SELECT i.kind, i.id FROM analytics.identities i WHERE i.project_id = journey.project_id AND i.person_id = journey.person_id
  ), path AS (
    SELECT e.event_id, e.event_time, e.channel, e.type, e.event, e.session_id,
           lag(e.channel) OVER w AS previous_channel, lag(e.event_time) OVER w AS previous_time,
           row_number() OVER w AS seq
    FROM analytics.events e
    WHERE e.project_id = journey.project_id
      AND e.person_id = journey.person_id
      -- the person's ids first, so the indexes on user_id and anonymous_id do the finding
      AND (e.user_id IN (SELECT ids.id FROM ids WHERE ids.kind = 'user')
           OR e.anonymous_id IN (SELECT ids.id FROM ids WHERE ids.kind = 'anonymous'))
    WINDOW w AS (ORDER BY e.event_time, e.event_id COLLATE "C")
  )
  SELECT p.seq, p.event_id, p.event_time, p.channel, p.type, p.event, p.session_id,
         p.previous_channel IS NOT NULL AND p.previous_channel <> p.channel,
         p.event_time - p.previous_time
  FROM path p
  ORDER BY p.seq
  LIMIT journey.max_events;
END
$fn$;
