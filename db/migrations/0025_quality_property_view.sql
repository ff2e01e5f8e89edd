-- Derived from db/views by `npm run db:views` (scripts/derive-view-migration.ts): what db/views
-- says and the earlier migrations did not yield. braid.apply_analyst_access() ends it (grants,
-- row-level security, security_invoker).
-- replaced analytics.data_quality.
-- Per hour of event time, channel and event (a track event's name, a page or screen
-- name, else `$<type>`, like the registry's `$identify`): volume of written events,
-- the share without userId / anonymousId, tracking-plan violations by kind (events
-- written with the flag plus events blocked for it), a volume anomaly against
-- the median volume of the same hour on the 7 days before (a day without events
-- counts as 0). The current hour is compared with the part of the median its elapsed
-- minutes make up. `volume_anomaly` is `drop` below half the expected volume and
-- `spike` above twice it, only where at least 5 events were expected; and per property
-- seen in the hour, the share of its events without it (missing or null).
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
    c.property_present,
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
           sum(q.currency_violation + q.blocked_currency_violation) AS currency_violations,
           braid.jsonb_sum_agg(q.property_present) AS property_present
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
  END AS volume_anomaly,
  -- per top-level property seen in the hour: the share of its written events without it (missing or null)
  CASE WHEN volume > 0 THEN (
    SELECT COALESCE(jsonb_object_agg(p.key, round(1 - p.value::numeric / volume, 4)), '{}'::jsonb)
    FROM jsonb_each(property_present) AS p(key, value)
  ) END AS property_null_shares
FROM scored;
--> statement-breakpoint
SELECT braid.apply_analyst_access();
