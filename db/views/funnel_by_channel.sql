-- Per step and channel of the step's event: each person counted once per step, on the channel of
-- the first event at which they reached it, so a step's channels add up to analytics.funnel's
-- persons; conversion_rate is the share of all persons at step 1. Every channel seen among the
-- funnel's events has a row for every step (0 persons where nobody got there on it).
CREATE OR REPLACE FUNCTION analytics.funnel_by_channel(
  project_id text, steps text[], from_time timestamptz, to_time timestamptz, conversion_window interval)
RETURNS TABLE (step integer, event text, channel text, persons bigint, conversion_rate numeric)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, analytics, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  reached jsonb;
BEGIN
  -- funnel_persons checks the arguments; aggregating its rows here runs it before anything else.
  SELECT coalesce(jsonb_agg(jsonb_build_object('step', r.step, 'channel', r.channel, 'persons', r.persons)), '[]') INTO reached
  FROM (SELECT p.step, p.channel, count(*) AS persons
        FROM analytics.funnel_persons(funnel_by_channel.project_id, funnel_by_channel.steps, funnel_by_channel.from_time,
                                      funnel_by_channel.to_time, funnel_by_channel.conversion_window) p
        GROUP BY p.step, p.channel) r;

  RETURN QUERY
  WITH r AS (
    SELECT x.step, x.channel, x.persons FROM jsonb_to_recordset(reached) AS x(step integer, channel text, persons bigint)
  ), channels AS (
    SELECT DISTINCT e.channel
    FROM analytics.events e
    WHERE e.project_id = funnel_by_channel.project_id
      AND e.event = ANY (funnel_by_channel.steps)
      AND e.event_time >= funnel_by_channel.from_time
      AND e.event_time < funnel_by_channel.to_time + funnel_by_channel.conversion_window
      AND e.person_id IS NOT NULL
  ), started AS (
    SELECT coalesce(sum(r.persons), 0) AS persons FROM r WHERE r.step = 1
  )
  SELECT i, funnel_by_channel.steps[array_lower(funnel_by_channel.steps, 1) + i - 1], c.channel, coalesce(r.persons, 0)::bigint,
         CASE WHEN s.persons = 0 THEN 0::numeric ELSE round(coalesce(r.persons, 0)::numeric / s.persons, 4) END
  FROM generate_series(1, cardinality(funnel_by_channel.steps)) AS i
  CROSS JOIN channels c
  CROSS JOIN started s
  LEFT JOIN r ON r.step = i AND r.channel = c.channel
  ORDER BY i, c.channel;
END
$fn$;
