-- Every accepted message of a project since it began, and what became of it: once the pipeline has
-- drained, accepted = canonical + rejected + suppressed + duplicates. A rejected message that a
-- replay under fixed rules turned into a canonical event counts as canonical, not rejected.
CREATE OR REPLACE VIEW analytics.accounting WITH (security_invoker = true) AS
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
