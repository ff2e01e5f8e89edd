-- Governance views (issue 6): data quality per hour, ingestion health per minute,
-- probable duplicate event names, and the schema changelog.

-- Per hour of event time, channel and event (a track event's name, a page or screen
-- name, else `$<type>`, like the registry's `$identify`): volume of written events,
-- the share without userId / anonymousId, tracking-plan violations by kind (events
-- written with the flag plus events blocked for it), and a volume anomaly against
-- the median volume of the same hour on the 7 days before (a day without events
-- counts as 0). The current hour is compared with the part of the median its elapsed
-- minutes make up. `volume_anomaly` is `drop` below half the expected volume and
-- `spike` above twice it, only where at least 5 events were expected.
CREATE VIEW analytics.data_quality AS
WITH written AS (
  SELECT
    e.project_id,
    e.channel,
    COALESCE(e.event, e.name, '$' || e.type) AS event,
    date_trunc('hour', e.event_time) AS hour,
    count(*) AS volume,
    count(*) FILTER (WHERE e.user_id IS NULL) AS null_user_id,
    count(*) FILTER (WHERE e.anonymous_id IS NULL) AS null_anonymous_id,
    count(*) FILTER (WHERE jsonb_path_exists(e.flags, '$[*] ? (@ starts with "unplanned_event")')) AS unplanned_event,
    count(*) FILTER (WHERE jsonb_path_exists(e.flags, '$[*] ? (@ starts with "unplanned_property")')) AS unplanned_property,
    count(*) FILTER (WHERE jsonb_path_exists(e.flags, '$[*] ? (@ starts with "naming_violation")')) AS naming_violation,
    count(*) FILTER (WHERE jsonb_path_exists(e.flags, '$[*] ? (@ starts with "schema_violation" || @ starts with "unknown_schema_version")')) AS schema_violation,
    count(*) FILTER (WHERE jsonb_path_exists(e.flags, '$[*] ? (@ starts with "invalid_currency" || @ starts with "invalid_amount")')) AS currency_violation
  FROM braid.canonical_events e
  GROUP BY 1, 2, 3, 4
), blocked AS (
  SELECT
    r.project_id,
    r.channel,
    COALESCE(r.payload ->> 'event', r.payload ->> 'name', '$' || (r.payload ->> 'type')) AS event,
    date_trunc('hour', COALESCE((r.details ->> 'eventTime')::timestamptz, r.received_at)) AS hour,
    count(*) AS blocked,
    count(*) FILTER (WHERE jsonb_path_exists(r.details, '$.violations[*] ? (@.rule == "unplanned_event")')) AS unplanned_event,
    count(*) FILTER (WHERE jsonb_path_exists(r.details, '$.violations[*] ? (@.rule == "unplanned_property")')) AS unplanned_property,
    count(*) FILTER (WHERE jsonb_path_exists(r.details, '$.violations[*] ? (@.rule == "naming_violation")')) AS naming_violation,
    count(*) FILTER (WHERE jsonb_path_exists(r.details, '$.violations[*] ? (@.rule == "schema_violation" || @.rule == "unknown_schema_version")')) AS schema_violation,
    count(*) FILTER (WHERE jsonb_path_exists(r.details, '$.violations[*] ? (@.rule == "invalid_currency" || @.rule == "invalid_amount")')) AS currency_violation
  FROM braid.rejected_events r
  WHERE r.project_id IS NOT NULL
    AND r.channel IS NOT NULL
    AND r.resolved_at IS NULL
    AND r.reason IN ('unplanned_event', 'naming_violation', 'unknown_schema_version', 'schema_violation', 'unplanned_property', 'invalid_currency', 'invalid_amount')
  GROUP BY 1, 2, 3, 4
), slots AS (
  SELECT project_id, channel, event, hour FROM written
  UNION
  SELECT project_id, channel, event, hour FROM blocked
  UNION
  -- the hours after each of the last 7 days' hours, so a drop to nothing shows as volume 0
  SELECT w.project_id, w.channel, w.event, w.hour + make_interval(days => d.n)
  FROM written w CROSS JOIN generate_series(1, 7) AS d(n)
  WHERE w.hour + make_interval(days => d.n) <= date_trunc('hour', now())
), medians AS (
  SELECT s.project_id, s.channel, s.event, s.hour,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY COALESCE(p.volume, 0)) AS median
  FROM slots s
  CROSS JOIN generate_series(1, 7) AS d(n)
  LEFT JOIN written p
    ON p.project_id = s.project_id AND p.channel = s.channel AND p.event = s.event AND p.hour = s.hour - make_interval(days => d.n)
  GROUP BY 1, 2, 3, 4
), scored AS (
  SELECT
    s.project_id, s.channel, s.event, s.hour,
    COALESCE(w.volume, 0) AS volume,
    COALESCE(w.null_user_id, 0) AS null_user_id,
    COALESCE(w.null_anonymous_id, 0) AS null_anonymous_id,
    COALESCE(b.blocked, 0) AS blocked,
    COALESCE(w.unplanned_event, 0) + COALESCE(b.unplanned_event, 0) AS unplanned_events,
    COALESCE(w.unplanned_property, 0) + COALESCE(b.unplanned_property, 0) AS unplanned_properties,
    COALESCE(w.naming_violation, 0) + COALESCE(b.naming_violation, 0) AS naming_violations,
    COALESCE(w.schema_violation, 0) + COALESCE(b.schema_violation, 0) AS schema_violations,
    COALESCE(w.currency_violation, 0) + COALESCE(b.currency_violation, 0) AS currency_violations,
    t.median,
    t.median * CASE
      WHEN s.hour = date_trunc('hour', now()) THEN extract(epoch FROM now() - s.hour) / 3600.0
      ELSE 1
    END AS expected
  FROM slots s
  JOIN medians t USING (project_id, channel, event, hour)
  LEFT JOIN written w USING (project_id, channel, event, hour)
  LEFT JOIN blocked b USING (project_id, channel, event, hour)
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
-- Latency: publish (receipt) to first write in Postgres, from the lineage of live writes.
CREATE VIEW analytics.ingestion_health AS
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
         percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM written_at - received_at) * 1000) AS p
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
--> statement-breakpoint
-- Track event names of a project that differ only in case or separators (whitespace,
-- _ - . : /): probable duplicates of one another ("Order Completed", "order_completed",
-- "OrderCompleted"). Names seen in events and names in the schema registry both count;
-- rules/event-name-key.ts computes the same key.
CREATE VIEW analytics.event_name_collisions AS
WITH names AS (
  SELECT project_id, event AS name, count(*) AS events, min(event_time) AS first_seen, max(event_time) AS last_seen
  FROM braid.canonical_events WHERE type = 'track' AND event IS NOT NULL GROUP BY 1, 2
), registered AS (
  SELECT DISTINCT project_id, event_key AS name FROM braid.event_schemas WHERE event_key NOT LIKE '$%'
), all_names AS (
  SELECT project_id, name, COALESCE(n.events, 0) AS events, n.first_seen, n.last_seen, r.name IS NOT NULL AS registered
  FROM names n FULL JOIN registered r USING (project_id, name)
), keyed AS (
  SELECT *, lower(regexp_replace(name, '[[:space:]_.:/-]+', '', 'g')) AS name_key FROM all_names
)
SELECT
  project_id,
  name_key,
  array_agg(name ORDER BY events DESC, name) AS names,
  jsonb_object_agg(name, events) AS events_by_name,
  COALESCE(array_agg(name ORDER BY name) FILTER (WHERE registered), '{}') AS registered_names,
  sum(events)::bigint AS events,
  min(first_seen) AS first_seen,
  max(last_seen) AS last_seen
FROM keyed
GROUP BY project_id, name_key
HAVING count(*) > 1;
--> statement-breakpoint
-- Every accepted schema change: which event, which version, who, when, what changed.
CREATE VIEW analytics.schema_changelog AS
SELECT
  c.project_id,
  c.event_key AS event,
  c.version,
  c.previous_version,
  c.change,
  c.author,
  c.changed_at,
  c.summary,
  c.diff,
  c.comment
FROM braid.schema_changelog c;
