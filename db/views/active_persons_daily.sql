-- Distinct persons with any event per UTC day and channel; the
-- row with channel null counts each person once across all channels. (UNION ALL rather than
-- GROUPING SETS, so a filter on project_id reaches the events' index.)
CREATE OR REPLACE VIEW analytics.active_persons_daily WITH (security_invoker = true) AS
SELECT e.project_id, (e.event_time AT TIME ZONE 'UTC')::date AS day, e.channel, count(DISTINCT e.person_id) AS active_persons
FROM analytics.events e
WHERE e.person_id IS NOT NULL
GROUP BY 1, 2, 3
UNION ALL
SELECT e.project_id, (e.event_time AT TIME ZONE 'UTC')::date AS day, NULL::text AS channel, count(DISTINCT e.person_id) AS active_persons
FROM analytics.events e
WHERE e.person_id IS NOT NULL
GROUP BY 1, 2;
