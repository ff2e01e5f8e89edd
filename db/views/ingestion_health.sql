-- Per minute of receipt and project, live stream only (BRAID_RAW; backfills have
-- their own historic receive times): what came in and what became of it, each
-- message counted in the minute it was received, so once drained
-- accepted = canonical + rejected + suppressed + duplicates per minute as well.
-- `received` and `written` are the contract's names for `accepted` and `canonical`.
-- Latency: publish (receipt) to first write in Postgres, from the lineage of live writes.
CREATE OR REPLACE VIEW analytics.ingestion_health WITH (security_invoker = true) AS
WITH accepted AS (
  SELECT project_id, date_trunc('minute', received_at) AS minute, count(*) AS n
  FROM braid.receipts WHERE project_id IS NOT NULL AND source_stream = 'BRAID_RAW' GROUP BY 1, 2
), canonical AS (
  SELECT project_id, date_trunc('minute', received_at) AS minute, count(*) AS n
  FROM braid.canonical_events WHERE source_stream = 'BRAID_RAW' GROUP BY 1, 2
), rejected AS (
  SELECT project_id, date_trunc('minute', received_at) AS minute, count(*) AS n
  FROM braid.rejected_events WHERE project_id IS NOT NULL AND resolved_at IS NULL AND source_stream = 'BRAID_RAW' GROUP BY 1, 2
), suppressed AS (
  SELECT s.project_id, date_trunc('minute', rc.received_at) AS minute, count(*) AS n
  FROM braid.suppressions s JOIN braid.receipts rc USING (source_stream, source_sequence)
  WHERE s.source_stream = 'BRAID_RAW' GROUP BY 1, 2
), duplicates AS (
  SELECT project_id, date_trunc('minute', received_at) AS minute, count(*) AS n
  FROM braid.duplicates WHERE source_stream = 'BRAID_RAW' GROUP BY 1, 2
), latency AS (
  SELECT project_id, date_trunc('minute', received_at) AS minute,
         percentile_cont(ARRAY[0.5::float8, 0.95::float8, 0.99::float8]) WITHIN GROUP (ORDER BY extract(epoch FROM written_at - received_at) * 1000) AS p
  FROM braid.lineage
  WHERE source_stream = 'BRAID_RAW' AND replay_id IS NULL AND backfill_id IS NULL AND destination = 'production'
  GROUP BY 1, 2
), minutes AS (
  SELECT project_id, minute FROM accepted UNION SELECT project_id, minute FROM canonical
  UNION SELECT project_id, minute FROM rejected UNION SELECT project_id, minute FROM suppressed
  UNION SELECT project_id, minute FROM duplicates
)
SELECT
  m.minute,
  m.project_id,
  COALESCE(a.n, 0)::bigint AS accepted,
  COALESCE(c.n, 0)::bigint AS canonical,
  COALESCE(r.n, 0)::bigint AS rejected,
  COALESCE(s.n, 0)::bigint AS suppressed,
  COALESCE(d.n, 0)::bigint AS duplicates,
  COALESCE(a.n, 0)::bigint AS received,
  COALESCE(c.n, 0)::bigint AS written,
  round(l.p[1]::numeric, 1) AS latency_p50_ms,
  round(l.p[2]::numeric, 1) AS latency_p95_ms,
  round(l.p[3]::numeric, 1) AS latency_p99_ms
FROM minutes m
LEFT JOIN accepted a USING (project_id, minute)
LEFT JOIN canonical c USING (project_id, minute)
LEFT JOIN rejected r USING (project_id, minute)
LEFT JOIN suppressed s USING (project_id, minute)
LEFT JOIN duplicates d USING (project_id, minute)
LEFT JOIN latency l USING (project_id, minute);
