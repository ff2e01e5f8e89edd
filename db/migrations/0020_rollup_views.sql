-- Derived from db/views by `npm run db:views` (scripts/derive-view-migration.ts): what db/views
-- says and the earlier migrations did not yield. braid.apply_analyst_access() ends it (grants,
-- row-level security, security_invoker).
-- replaced analytics.data_quality, analytics.ingestion_health; analysts' access brought up to date
-- on braid.health_counts, braid.health_counts policy analyst_projects, braid.health_latency,
-- braid.health_latency policy analyst_projects, braid.quality_counts, braid.quality_counts policy
-- analyst_projects.
-- Per hour of event time, channel and event (a track event's name, a page or screen
-- name, else `$<type>`, like the registry's `$identify`): volume of written events,
-- the share without userId / anonymousId, tracking-plan violations by kind (events
-- written with the flag plus events blocked for it), and a volume anomaly against
-- the median volume of the same hour on the 7 days before (a day without events
-- counts as 0). The current hour is compared with the part of the median its elapsed
-- minutes make up. `volume_anomaly` is `drop` below half the expected volume and
-- `spike` above twice it, only where at least 5 events were expected.
-- A blocked event's name, time and broken rules come from columns without personal data
-- (not its payload and details), so analysts, who may not read payloads, can read it.
-- A query's project and hour filters reach the slots; each slot's counts and median are
-- index lookups on the rollup, so the view's cost follows the hours asked for, not the events.
-- Counts come from braid.quality_counts, which statement triggers keep (migration 0019:
-- the rules of what counts as which violation live there): reading never scans the events.
CREATE OR REPLACE VIEW analytics.data_quality WITH (security_invoker = true) AS
WITH slots AS (
  -- every hour with written or blocked events
  SELECT q.project_id, q.channel, q.event, q.hour
  FROM braid.quality_counts q
  GROUP BY 1, 2, 3, 4
  HAVING sum(q.volume) <> 0 OR sum(q.blocked) <> 0
  UNION
  -- the hours after each of the last 7 days' hours, so a drop to nothing shows as volume 0
  SELECT w.project_id, w.channel, w.event, w.hour + make_interval(days => d.n)
  FROM (SELECT q.project_id, q.channel, q.event, q.hour FROM braid.quality_counts q GROUP BY 1, 2, 3, 4 HAVING sum(q.volume) <> 0) w
  CROSS JOIN generate_series(1, 7) AS d(n)
  WHERE w.hour + make_interval(days => d.n) <= date_trunc('hour', now())
), scored AS (
  SELECT
    s.project_id, s.channel, s.event, s.hour,
    COALESCE(c.volume, 0) AS volume,
    COALESCE(c.null_user_id, 0) AS null_user_id,
    COALESCE(c.null_anonymous_id, 0) AS null_anonymous_id,
    COALESCE(c.blocked, 0) AS blocked,
    COALESCE(c.unplanned_events, 0) AS unplanned_events,
    COALESCE(c.unplanned_properties, 0) AS unplanned_properties,
    COALESCE(c.naming_violations, 0) AS naming_violations,
    COALESCE(c.schema_violations, 0) AS schema_violations,
    COALESCE(c.currency_violations, 0) AS currency_violations,
    m.median,
    m.median * CASE
      WHEN s.hour = date_trunc('hour', now()) THEN extract(epoch FROM now() - s.hour) / 3600.0
      ELSE 1
    END AS expected
  FROM slots s
  -- the slot's own counts: written (flagged violations) plus blocked ones, by index
  LEFT JOIN LATERAL (
    SELECT sum(q.volume) AS volume, sum(q.null_user_id) AS null_user_id, sum(q.null_anonymous_id) AS null_anonymous_id,
           sum(q.blocked) AS blocked,
           sum(q.unplanned_event + q.blocked_unplanned_event) AS unplanned_events,
           sum(q.unplanned_property + q.blocked_unplanned_property) AS unplanned_properties,
           sum(q.naming_violation + q.blocked_naming_violation) AS naming_violations,
           sum(q.schema_violation + q.blocked_schema_violation) AS schema_violations,
           sum(q.currency_violation + q.blocked_currency_violation) AS currency_violations
    FROM braid.quality_counts q
    WHERE q.project_id = s.project_id AND q.channel = s.channel AND q.event = s.event AND q.hour = s.hour
  ) c ON true
  -- the median volume of the same hour on the 7 days before (a day without events counts as 0), by index
  LEFT JOIN LATERAL (
    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY COALESCE(v.volume, 0)) AS median
    FROM generate_series(1, 7) AS d(n)
    LEFT JOIN LATERAL (
      SELECT sum(q.volume) AS volume FROM braid.quality_counts q
      WHERE q.project_id = s.project_id AND q.channel = s.channel AND q.event = s.event AND q.hour = s.hour - make_interval(days => d.n)
    ) v ON true
  ) m ON true
)
SELECT
  project_id,
  channel,
  event,
  hour,
  volume::bigint AS volume,
  CASE WHEN volume > 0 THEN round(null_user_id::numeric / volume, 4) END AS null_user_id_share,
  CASE WHEN volume > 0 THEN round(null_anonymous_id::numeric / volume, 4) END AS null_anonymous_id_share,
  schema_violations::bigint AS schema_violations,
  unplanned_events::bigint AS unplanned_events,
  unplanned_properties::bigint AS unplanned_properties,
  naming_violations::bigint AS naming_violations,
  currency_violations::bigint AS currency_violations,
  blocked::bigint AS blocked,
  round(median::numeric, 2) AS trailing_median_volume,
  round(expected::numeric, 2) AS expected_volume,
  CASE
    WHEN expected >= 5 AND volume < expected * 0.5 THEN 'drop'
    WHEN expected >= 5 AND volume > expected * 2 THEN 'spike'
  END AS volume_anomaly
FROM scored;
--> statement-breakpoint
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
--> statement-breakpoint
SELECT braid.apply_analyst_access();
