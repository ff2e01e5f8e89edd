-- Consent suppressions as counts only (no event, no person).
CREATE OR REPLACE VIEW analytics.consent_suppressions WITH (security_invoker = true) AS
SELECT project_id, day, channel, category, reason, count(*)::bigint AS count
FROM braid.suppressions
GROUP BY project_id, day, channel, category, reason;
