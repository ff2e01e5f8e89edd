-- The contract's funnel: persons per step and their share of the persons at step 1.
CREATE OR REPLACE FUNCTION analytics.funnel(
  project_id text, steps text[], from_time timestamptz, to_time timestamptz, conversion_window interval)
RETURNS TABLE (step integer, event text, persons bigint, conversion_rate numeric)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, analytics, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  reached jsonb;
BEGIN
  -- funnel_persons checks the arguments; aggregating its rows here runs it before anything else.
  SELECT coalesce(jsonb_object_agg(r.step, r.persons), '{}') INTO reached
  FROM (SELECT p.step, count(*) AS persons
        FROM analytics.funnel_persons(funnel.project_id, funnel.steps, funnel.from_time, funnel.to_time, funnel.conversion_window) p
        GROUP BY p.step) r;

  RETURN QUERY
  WITH per_step AS (
    SELECT i AS step, funnel.steps[array_lower(funnel.steps, 1) + i - 1] AS event, coalesce((reached ->> i::text)::bigint, 0) AS persons
    FROM generate_series(1, cardinality(funnel.steps)) AS i
  )
  SELECT p.step, p.event, p.persons,
         CASE WHEN f.persons = 0 THEN 0::numeric ELSE round(p.persons::numeric / f.persons, 4) END
  FROM per_step p CROSS JOIN (SELECT s.persons FROM per_step s WHERE s.step = 1) f
  ORDER BY p.step;
END
$fn$;
