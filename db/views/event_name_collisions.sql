-- Track event names of a project that differ only in case or separators (whitespace,
-- _ - . : /): probable duplicates of one another ("Order Completed", "order_completed",
-- "OrderCompleted"). Names seen in events and names in the schema registry both count;
-- rules/event-name-key.ts computes the same key.
CREATE OR REPLACE VIEW analytics.event_name_collisions WITH (security_invoker = true) AS
WITH names AS (
  SELECT project_id, event AS name, count(*) AS events, min(event_time) AS first_seen, max(event_time) AS last_seen
  FROM braid.canonical_events WHERE type = 'track' AND event IS NOT NULL GROUP BY 1, 2
), registered AS (
  SELECT DISTINCT project_id, event_key AS name FROM braid.event_schemas WHERE event_key NOT LIKE '$%'
), all_names AS (
  SELECT project_id, name, COALESCE(n.events, 0) AS events, n.first_seen, n.last_seen, r.name IS NOT NULL AS registered
  FROM names n FULL JOIN registered r USING (project_id, name)
), keyed AS (
  SELECT *, lower(regexp_replace(name, '[[:space:]_.:/-]+', '', 'g')) AS name_key FROM all_names
)
SELECT
  project_id,
  name_key,
  array_agg(name ORDER BY events DESC, name) AS names,
  jsonb_object_agg(name, events) AS events_by_name,
  COALESCE(array_agg(name ORDER BY name) FILTER (WHERE registered), '{}') AS registered_names,
  sum(events)::bigint AS events,
  min(first_seen) AS first_seen,
  max(last_seen) AS last_seen
FROM keyed
GROUP BY project_id, name_key
HAVING count(*) > 1;
