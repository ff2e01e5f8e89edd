-- Per minute of receipt and project, live stream only (BRAID_RAW; backfills have
-- their own historic receive times): what came in and what became of it, each
-- message counted in the minute it was received, so once drained
-- accepted = canonical + rejected + suppressed + duplicates per minute as well.
-- `received` and `written` are the contract's names for `accepted` and `canonical`.
-- Latency: publish (receipt) to first write in Postgres, from the lineage of live writes,
-- read from a histogram whose buckets are about 9 % wide (each figure is its bucket's upper bound).
-- Figures come from rollups that statement triggers keep (braid.health_counts,
-- braid.health_latency): reading them never scans the events.
CREATE OR REPLACE VIEW analytics.ingestion_health WITH (security_invoker = true) AS
WITH counts AS (
  SELECT project_id, minute, sum(received) AS accepted, sum(canonical) AS canonical, sum(rejected) AS rejected,
         sum(suppressed) AS suppressed, sum(duplicates) AS duplicates
  FROM braid.health_counts
  GROUP BY 1, 2
), buckets AS (
  SELECT project_id, minute, bucket, sum(n) AS n
  FROM braid.health_latency
  GROUP BY 1, 2, 3
  HAVING sum(n) > 0
), cumulative AS (
  SELECT project_id, minute, bucket,
         sum(n) OVER (PARTITION BY project_id, minute ORDER BY bucket) AS below,
         sum(n) OVER (PARTITION BY project_id, minute) AS total
  FROM buckets
), latency AS (
  SELECT project_id, minute,
         min(bucket) FILTER (WHERE below >= 0.50 * total) AS b50,
         min(bucket) FILTER (WHERE below >= 0.95 * total) AS b95,
         min(bucket) FILTER (WHERE below >= 0.99 * total) AS b99
  FROM cumulative
  GROUP BY 1, 2
)
SELECT
  c.minute,
  c.project_id,
  c.accepted::bigint AS accepted,
  c.canonical::bigint AS canonical,
  c.rejected::bigint AS rejected,
  c.suppressed::bigint AS suppressed,
  c.duplicates::bigint AS duplicates,
  c.accepted::bigint AS received,
  c.canonical::bigint AS written,
  round(braid.latency_bucket_ms(l.b50::smallint)::numeric, 1) AS latency_p50_ms,
  round(braid.latency_bucket_ms(l.b95::smallint)::numeric, 1) AS latency_p95_ms,
  round(braid.latency_bucket_ms(l.b99::smallint)::numeric, 1) AS latency_p99_ms
FROM counts c
LEFT JOIN latency l USING (project_id, minute)
WHERE c.accepted <> 0 OR c.canonical <> 0 OR c.rejected <> 0 OR c.suppressed <> 0 OR c.duplicates <> 0;
