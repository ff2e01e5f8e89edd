-- Persons that are probably one human: seen from the same IPv4 /24 with the same browser family in
-- the same hours. Scored 0–1 (shared hours over the smaller person's hours); never merged
-- automatically: an operator merges with POST /api/persons/:p/merge.
CREATE OR REPLACE VIEW analytics.identity_candidates WITH (security_invoker = true) AS
WITH fingerprints AS (
  SELECT DISTINCT
    e.project_id,
    e.person_id,
    network(set_masklen((e.context->>'ip')::inet, 24)) AS network,
    CASE
      WHEN e.context->>'userAgent' ~* 'edg/' THEN 'Edge'
      WHEN e.context->>'userAgent' ~* 'opr/|opera' THEN 'Opera'
      WHEN e.context->>'userAgent' ~* 'chrome|crios|chromium' THEN 'Chrome'
      WHEN e.context->>'userAgent' ~* 'firefox|fxios' THEN 'Firefox'
      WHEN e.context->>'userAgent' ~* 'safari' THEN 'Safari'
      ELSE 'Other'
    END AS ua_family,
    date_trunc('hour', e.event_time) AS hour
  FROM analytics.events e
  WHERE e.person_id IS NOT NULL
    AND e.context->>'ip' ~ '^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$'
    AND coalesce(e.context->>'userAgent', '') <> ''
), hours AS (
  SELECT project_id, person_id, count(*) AS n FROM fingerprints GROUP BY project_id, person_id
), pairs AS (
  SELECT a.project_id, a.person_id AS person_a, b.person_id AS person_b, count(*) AS shared_hours,
         min(a.network::text) AS network, min(a.ua_family) AS ua_family, min(a.hour) AS first_shared, max(a.hour) AS last_shared
  FROM fingerprints a
  JOIN fingerprints b ON b.project_id = a.project_id AND b.network = a.network AND b.ua_family = a.ua_family
                     AND b.hour = a.hour AND a.person_id < b.person_id
  GROUP BY a.project_id, a.person_id, b.person_id
)
SELECT p.project_id, p.person_a, p.person_b,
       round(p.shared_hours::numeric / least(ha.n, hb.n), 2) AS score,
       p.shared_hours, p.network, p.ua_family, p.first_shared, p.last_shared
FROM pairs p
JOIN hours ha ON ha.project_id = p.project_id AND ha.person_id = p.person_a
JOIN hours hb ON hb.project_id = p.project_id AND hb.person_id = p.person_b;
