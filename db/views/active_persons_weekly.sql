-- Distinct persons with any event per ISO week (starting Monday, UTC) and channel; see
-- active_persons_daily.
CREATE OR REPLACE VIEW analytics.active_persons_weekly WITH (security_invoker = true) AS
SELECT e.project_id, date_trunc('week', e.event_time AT TIME ZONE 'UTC')::date AS week, e.channel, count(DISTINCT e.person_id) AS active_persons
FROM analytics.events e
WHERE e.person_id IS NOT NULL
GROUP BY 1, 2, 3
UNION ALL
SELECT e.project_id, date_trunc('week', e.event_time AT TIME ZONE 'UTC')::date AS week, NULL::text AS channel, count(DISTINCT e.person_id) AS active_persons
FROM analytics.events e
WHERE e.person_id IS NOT NULL
GROUP BY 1, 2;
