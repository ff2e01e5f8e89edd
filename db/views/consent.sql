-- Consent records: who granted or withdrew which category, when, and from where.
CREATE OR REPLACE VIEW analytics.consent WITH (security_invoker = true) AS
SELECT project_id, kind, subject_id AS id, category, granted, effective_at, source, event_id, recorded_at
FROM braid.consent_records;
