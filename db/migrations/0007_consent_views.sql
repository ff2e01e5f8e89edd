-- Consent suppressions as counts only, and the accounting identity with suppressed messages:
-- accepted = canonical + rejected + suppressed + duplicates once drained.
CREATE VIEW analytics.consent_suppressions AS
SELECT project_id, day, channel, category, reason, count(*)::bigint AS count
FROM braid.suppressions
GROUP BY project_id, day, channel, category, reason;
--> statement-breakpoint
CREATE OR REPLACE VIEW analytics.accounting AS
WITH accepted AS (
  SELECT project_id, count(*) AS n FROM braid.receipts WHERE project_id IS NOT NULL GROUP BY project_id
), canonical AS (
  SELECT project_id, count(*) AS n FROM braid.canonical_events GROUP BY project_id
), rejected AS (
  SELECT project_id, count(*) AS n FROM braid.rejected_events WHERE project_id IS NOT NULL AND resolved_at IS NULL GROUP BY project_id
), suppressed AS (
  SELECT project_id, count(*) AS n FROM braid.suppressions GROUP BY project_id
), dups AS (
  SELECT project_id, count(*) AS n FROM braid.duplicates GROUP BY project_id
), ids AS (
  SELECT project_id FROM accepted UNION SELECT project_id FROM canonical UNION SELECT project_id FROM rejected
  UNION SELECT project_id FROM suppressed UNION SELECT project_id FROM dups
)
SELECT
  ids.project_id,
  COALESCE(accepted.n, 0)::bigint AS accepted,
  COALESCE(canonical.n, 0)::bigint AS canonical,
  COALESCE(rejected.n, 0)::bigint AS rejected,
  COALESCE(suppressed.n, 0)::bigint AS suppressed,
  COALESCE(dups.n, 0)::bigint AS duplicates
FROM ids
LEFT JOIN accepted USING (project_id)
LEFT JOIN canonical USING (project_id)
LEFT JOIN rejected USING (project_id)
LEFT JOIN suppressed USING (project_id)
LEFT JOIN dups USING (project_id);
--> statement-breakpoint
CREATE VIEW analytics.consent AS
SELECT project_id, kind, subject_id AS id, category, granted, effective_at, source, event_id, recorded_at
FROM braid.consent_records;
