-- Per channel and app version (context.app.version; null where the client sends none, e.g. web):
-- persons active there in [from_time, to_time) (any event), how many of them did `event` there,
-- and that share. A person active on two channels or versions counts in each.
CREATE OR REPLACE FUNCTION analytics.feature_adoption(project_id text, event text, from_time timestamptz, to_time timestamptz)
RETURNS TABLE (channel text, app_version text, active_persons bigint, adopters bigint, adoption_rate numeric)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, analytics, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  IF feature_adoption.project_id IS NULL THEN
    RAISE EXCEPTION 'feature_adoption argument project_id must not be null' USING ERRCODE = '22023';
  END IF;
  IF feature_adoption.event IS NULL THEN
    RAISE EXCEPTION 'feature_adoption argument event must not be null' USING ERRCODE = '22023';
  END IF;
  IF feature_adoption.from_time IS NULL OR feature_adoption.to_time IS NULL THEN
    RAISE EXCEPTION 'feature_adoption argument % must not be null', CASE WHEN feature_adoption.from_time IS NULL THEN 'from_time' ELSE 'to_time' END
      USING ERRCODE = '22023';
  END IF;
  IF feature_adoption.from_time > feature_adoption.to_time THEN
    RAISE EXCEPTION 'feature_adoption argument from_time (%) is after to_time (%)', feature_adoption.from_time, feature_adoption.to_time USING ERRCODE = '22023';
  END IF;

  RETURN QUERY
  WITH active AS (
    SELECT e.channel, e.context #>> '{app,version}' AS app_version, e.person_id, bool_or(e.event = feature_adoption.event) AS adopted
    FROM analytics.events e
    WHERE e.project_id = feature_adoption.project_id
      AND e.event_time >= feature_adoption.from_time
      AND e.event_time < feature_adoption.to_time
      AND e.person_id IS NOT NULL
    GROUP BY 1, 2, 3
  )
  SELECT a.channel, a.app_version, count(*), count(*) FILTER (WHERE a.adopted),
         round((count(*) FILTER (WHERE a.adopted))::numeric / count(*), 4)
  FROM active a
  GROUP BY a.channel, a.app_version
  ORDER BY a.channel, a.app_version NULLS FIRST;
END
$fn$;
