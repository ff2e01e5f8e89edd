-- Per person: their first from_event inside [from_time, to_time), then their first to_event after
-- it ((event_time, event_id) order, any channel); the person converted when that to_event is at
-- most conversion_window later. Percentiles (linear interpolation, percentile_cont) of the
-- converted persons' times; null when nobody converted.
CREATE OR REPLACE FUNCTION analytics.time_to_convert(
  project_id text, from_event text, to_event text, from_time timestamptz, to_time timestamptz, conversion_window interval)
RETURNS TABLE (started bigint, converted bigint, p50 interval, p90 interval, p99 interval)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, analytics, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  IF time_to_convert.project_id IS NULL THEN
    RAISE EXCEPTION 'time_to_convert argument project_id must not be null' USING ERRCODE = '22023';
  END IF;
  IF time_to_convert.from_event IS NULL OR time_to_convert.to_event IS NULL THEN
    RAISE EXCEPTION 'time_to_convert argument % must not be null', CASE WHEN time_to_convert.from_event IS NULL THEN 'from_event' ELSE 'to_event' END
      USING ERRCODE = '22023';
  END IF;
  IF time_to_convert.from_time IS NULL OR time_to_convert.to_time IS NULL THEN
    RAISE EXCEPTION 'time_to_convert argument % must not be null', CASE WHEN time_to_convert.from_time IS NULL THEN 'from_time' ELSE 'to_time' END
      USING ERRCODE = '22023';
  END IF;
  IF time_to_convert.from_time > time_to_convert.to_time THEN
    RAISE EXCEPTION 'time_to_convert argument from_time (%) is after to_time (%)', time_to_convert.from_time, time_to_convert.to_time USING ERRCODE = '22023';
  END IF;
  IF time_to_convert.conversion_window IS NULL OR time_to_convert.conversion_window <= interval '0' THEN
    RAISE EXCEPTION 'time_to_convert argument conversion_window must be a positive interval, got %', coalesce(time_to_convert.conversion_window::text, 'null')
      USING ERRCODE = '22023';
  END IF;

  RETURN QUERY
  WITH candidates AS (
    SELECT e.person_id COLLATE "C" AS person_id, e.event_time, e.event_id COLLATE "C" AS event_id, e.event
    FROM analytics.events e
    WHERE e.project_id = time_to_convert.project_id
      AND e.event IN (time_to_convert.from_event, time_to_convert.to_event)
      AND e.event_time >= time_to_convert.from_time
      AND e.event_time < time_to_convert.to_time + time_to_convert.conversion_window
      AND e.person_id IS NOT NULL
  ), firsts AS (
    SELECT DISTINCT ON (c.person_id) c.person_id, c.event_time, c.event_id
    FROM candidates c
    WHERE c.event = time_to_convert.from_event AND c.event_time < time_to_convert.to_time
    ORDER BY c.person_id, c.event_time, c.event_id
  ), conversions AS (
    -- each person's to_events after their first from_event: linear per person
    SELECT DISTINCT ON (f.person_id) f.person_id, c.event_time - f.event_time AS took
    FROM firsts f
    JOIN candidates c ON c.person_id = f.person_id AND c.event = time_to_convert.to_event
                     AND (c.event_time, c.event_id) > (f.event_time, f.event_id)
    ORDER BY f.person_id, c.event_time, c.event_id
  ), in_window AS (
    SELECT v.took FROM conversions v WHERE v.took <= time_to_convert.conversion_window
  ), pct AS (
    SELECT count(*) AS n, percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY v.took) AS p FROM in_window v
  )
  SELECT (SELECT count(*) FROM firsts), pct.n, pct.p[1], pct.p[2], pct.p[3] FROM pct;
END
$fn$;
