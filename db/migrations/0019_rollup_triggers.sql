-- Rollups behind analytics.ingestion_health and analytics.data_quality (tables in 0018).
-- Statement triggers on the counted tables append one delta row per key and statement
-- (insert-only: concurrent writers never wait on each other); braid.compact_rollups()
-- folds a key's rows into one. The views sum a key's rows, so they are exact at any time.
-- Each function reads its statement's rows as (rows, sign): +1 for new rows, -1 for old.

CREATE FUNCTION braid.latency_bucket(ms double precision) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN least(255, greatest(0, ceil(8 * ln(greatest(ms, 1)) / ln(2))))::smallint;
--> statement-breakpoint
-- The upper bound (ms) of a latency bucket: bucket b holds (2^((b-1)/8), 2^(b/8)] ms.
CREATE FUNCTION braid.latency_bucket_ms(bucket smallint) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN power(2, bucket / 8.0);
--> statement-breakpoint
-- The statement's rows with a sign, as SQL over the trigger's transition tables.
CREATE FUNCTION braid.rollup_rows(op text) RETURNS text
LANGUAGE sql IMMUTABLE
RETURN CASE op
  WHEN 'INSERT' THEN '(SELECT n.*, 1 AS sign FROM new_rows n)'
  WHEN 'DELETE' THEN '(SELECT o.*, -1 AS sign FROM old_rows o)'
  ELSE '(SELECT n.*, 1 AS sign FROM new_rows n UNION ALL SELECT o.*, -1 AS sign FROM old_rows o)'
END;
--> statement-breakpoint
CREATE FUNCTION braid.rollup_receipts() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format($q$
    INSERT INTO braid.health_counts (project_id, minute, received)
    SELECT project_id, date_trunc('minute', received_at), sum(sign) FROM %s r
    WHERE project_id IS NOT NULL AND source_stream = 'BRAID_RAW'
    GROUP BY 1, 2 HAVING sum(sign) <> 0$q$, braid.rollup_rows(TG_OP));
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE FUNCTION braid.rollup_duplicates() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format($q$
    INSERT INTO braid.health_counts (project_id, minute, duplicates)
    SELECT project_id, date_trunc('minute', received_at), sum(sign) FROM %s r
    WHERE source_stream = 'BRAID_RAW'
    GROUP BY 1, 2 HAVING sum(sign) <> 0$q$, braid.rollup_rows(TG_OP));
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
-- A suppression's minute is its message's receipt's (ingest records the receipt first).
CREATE FUNCTION braid.rollup_suppressions() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format($q$
    INSERT INTO braid.health_counts (project_id, minute, suppressed)
    SELECT s.project_id, date_trunc('minute', rc.received_at), sum(s.sign) FROM %s s
    JOIN braid.receipts rc ON rc.source_stream = s.source_stream AND rc.source_sequence = s.source_sequence
    WHERE s.source_stream = 'BRAID_RAW'
    GROUP BY 1, 2 HAVING sum(s.sign) <> 0$q$, braid.rollup_rows(TG_OP));
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE FUNCTION braid.rollup_canonical_events() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format($q$
    INSERT INTO braid.health_counts (project_id, minute, canonical)
    SELECT project_id, date_trunc('minute', received_at), sum(sign) FROM %s r
    WHERE source_stream = 'BRAID_RAW'
    GROUP BY 1, 2 HAVING sum(sign) <> 0$q$, braid.rollup_rows(TG_OP));
  EXECUTE format($q$
    INSERT INTO braid.quality_counts (project_id, channel, event, hour, volume, null_user_id, null_anonymous_id,
      unplanned_event, unplanned_property, naming_violation, schema_violation, currency_violation)
    SELECT * FROM (
      SELECT project_id, channel, COALESCE(event, name, '$' || type), date_trunc('hour', event_time),
        sum(sign) AS volume,
        COALESCE(sum(sign) FILTER (WHERE user_id IS NULL), 0) AS a,
        COALESCE(sum(sign) FILTER (WHERE anonymous_id IS NULL), 0) AS b,
        COALESCE(sum(sign) FILTER (WHERE jsonb_path_exists(flags, '$[*] ? (@ starts with "unplanned_event")')), 0) AS c,
        COALESCE(sum(sign) FILTER (WHERE jsonb_path_exists(flags, '$[*] ? (@ starts with "unplanned_property")')), 0) AS d,
        COALESCE(sum(sign) FILTER (WHERE jsonb_path_exists(flags, '$[*] ? (@ starts with "naming_violation")')), 0) AS e,
        COALESCE(sum(sign) FILTER (WHERE jsonb_path_exists(flags, '$[*] ? (@ starts with "schema_violation" || @ starts with "unknown_schema_version")')), 0) AS f,
        COALESCE(sum(sign) FILTER (WHERE jsonb_path_exists(flags, '$[*] ? (@ starts with "invalid_currency" || @ starts with "invalid_amount")')), 0) AS g
      FROM %s r GROUP BY 1, 2, 3, 4) x
    WHERE volume <> 0 OR a <> 0 OR b <> 0 OR c <> 0 OR d <> 0 OR e <> 0 OR f <> 0 OR g <> 0$q$,
    braid.rollup_rows(TG_OP));
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
-- Unresolved rejections count; resolving one (a replay under fixed rules) takes it out again.
CREATE FUNCTION braid.rollup_rejected_events() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format($q$
    INSERT INTO braid.health_counts (project_id, minute, rejected)
    SELECT project_id, date_trunc('minute', received_at), sum(sign) FROM %s r
    WHERE project_id IS NOT NULL AND resolved_at IS NULL AND source_stream = 'BRAID_RAW'
    GROUP BY 1, 2 HAVING sum(sign) <> 0$q$, braid.rollup_rows(TG_OP));
  EXECUTE format($q$
    INSERT INTO braid.quality_counts (project_id, channel, event, hour, blocked, blocked_unplanned_event,
      blocked_unplanned_property, blocked_naming_violation, blocked_schema_violation, blocked_currency_violation)
    SELECT * FROM (
      SELECT project_id, channel, event_name, date_trunc('hour', COALESCE(event_time, received_at)),
        sum(sign) AS blocked,
        COALESCE(sum(sign) FILTER (WHERE rules && ARRAY['unplanned_event']), 0) AS a,
        COALESCE(sum(sign) FILTER (WHERE rules && ARRAY['unplanned_property']), 0) AS b,
        COALESCE(sum(sign) FILTER (WHERE rules && ARRAY['naming_violation']), 0) AS c,
        COALESCE(sum(sign) FILTER (WHERE rules && ARRAY['schema_violation', 'unknown_schema_version']), 0) AS d,
        COALESCE(sum(sign) FILTER (WHERE rules && ARRAY['invalid_currency', 'invalid_amount']), 0) AS e
      FROM %s r
      WHERE r.project_id IS NOT NULL AND r.channel IS NOT NULL AND r.event_name IS NOT NULL AND r.resolved_at IS NULL
        AND r.reason IN ('unplanned_event', 'naming_violation', 'unknown_schema_version', 'schema_violation', 'unplanned_property', 'invalid_currency', 'invalid_amount')
      GROUP BY 1, 2, 3, 4) x
    WHERE blocked <> 0 OR a <> 0 OR b <> 0 OR c <> 0 OR d <> 0 OR e <> 0$q$,
    braid.rollup_rows(TG_OP));
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
-- First production writes only (not replays, backfills or sandboxes): the pipeline's own latency.
CREATE FUNCTION braid.rollup_lineage() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE format($q$
    INSERT INTO braid.health_latency (project_id, minute, bucket, n)
    SELECT project_id, date_trunc('minute', received_at),
      braid.latency_bucket(extract(epoch FROM written_at - received_at) * 1000), sum(sign)
    FROM %s r
    WHERE source_stream = 'BRAID_RAW' AND replay_id IS NULL AND backfill_id IS NULL AND destination = 'production'
    GROUP BY 1, 2, 3 HAVING sum(sign) <> 0$q$, braid.rollup_rows(TG_OP));
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
DO $do$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['receipts', 'duplicates', 'suppressions', 'canonical_events', 'rejected_events', 'lineage'] LOOP
    EXECUTE format('CREATE TRIGGER rollup_insert AFTER INSERT ON braid.%I REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION braid.rollup_%s()', t, t);
    EXECUTE format('CREATE TRIGGER rollup_update AFTER UPDATE ON braid.%I REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION braid.rollup_%s()', t, t);
    EXECUTE format('CREATE TRIGGER rollup_delete AFTER DELETE ON braid.%I REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION braid.rollup_%s()', t, t);
  END LOOP;
END
$do$;
--> statement-breakpoint
-- Folds each key's delta rows into one (and drops keys that sum to nothing). Safe beside
-- writers and other compactors: a row is folded once, by whichever DELETE takes it.
CREATE FUNCTION braid.compact_rollups() RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
  folded bigint := 0;
  step bigint;
BEGIN
  WITH keys AS (
    SELECT project_id, minute FROM braid.health_counts GROUP BY 1, 2 HAVING count(*) > 1
  ), gone AS (
    DELETE FROM braid.health_counts h USING keys k WHERE h.project_id = k.project_id AND h.minute = k.minute
    RETURNING h.*
  ), sums AS (
    SELECT project_id, minute, sum(received) AS received, sum(canonical) AS canonical, sum(rejected) AS rejected,
      sum(suppressed) AS suppressed, sum(duplicates) AS duplicates, count(*) AS rows
    FROM gone GROUP BY 1, 2
  ), kept AS (
    INSERT INTO braid.health_counts (project_id, minute, received, canonical, rejected, suppressed, duplicates)
    SELECT project_id, minute, received, canonical, rejected, suppressed, duplicates FROM sums
    WHERE received <> 0 OR canonical <> 0 OR rejected <> 0 OR suppressed <> 0 OR duplicates <> 0
  )
  SELECT COALESCE(sum(rows), 0) INTO step FROM sums;
  folded := folded + step;

  WITH keys AS (
    SELECT project_id, minute, bucket FROM braid.health_latency GROUP BY 1, 2, 3 HAVING count(*) > 1
  ), gone AS (
    DELETE FROM braid.health_latency h USING keys k WHERE h.project_id = k.project_id AND h.minute = k.minute AND h.bucket = k.bucket
    RETURNING h.*
  ), sums AS (
    SELECT project_id, minute, bucket, sum(n) AS n, count(*) AS rows FROM gone GROUP BY 1, 2, 3
  ), kept AS (
    INSERT INTO braid.health_latency (project_id, minute, bucket, n) SELECT project_id, minute, bucket, n FROM sums WHERE n <> 0
  )
  SELECT COALESCE(sum(rows), 0) INTO step FROM sums;
  folded := folded + step;

  WITH keys AS (
    SELECT project_id, channel, event, hour FROM braid.quality_counts GROUP BY 1, 2, 3, 4 HAVING count(*) > 1
  ), gone AS (
    DELETE FROM braid.quality_counts q USING keys k
    WHERE q.project_id = k.project_id AND q.channel = k.channel AND q.event = k.event AND q.hour = k.hour
    RETURNING q.*
  ), sums AS (
    SELECT project_id, channel, event, hour, sum(volume) AS volume, sum(null_user_id) AS null_user_id,
      sum(null_anonymous_id) AS null_anonymous_id, sum(unplanned_event) AS unplanned_event,
      sum(unplanned_property) AS unplanned_property, sum(naming_violation) AS naming_violation,
      sum(schema_violation) AS schema_violation, sum(currency_violation) AS currency_violation, sum(blocked) AS blocked,
      sum(blocked_unplanned_event) AS blocked_unplanned_event, sum(blocked_unplanned_property) AS blocked_unplanned_property,
      sum(blocked_naming_violation) AS blocked_naming_violation, sum(blocked_schema_violation) AS blocked_schema_violation,
      sum(blocked_currency_violation) AS blocked_currency_violation, count(*) AS rows
    FROM gone GROUP BY 1, 2, 3, 4
  ), kept AS (
    INSERT INTO braid.quality_counts (project_id, channel, event, hour, volume, null_user_id, null_anonymous_id,
      unplanned_event, unplanned_property, naming_violation, schema_violation, currency_violation, blocked,
      blocked_unplanned_event, blocked_unplanned_property, blocked_naming_violation, blocked_schema_violation, blocked_currency_violation)
    SELECT project_id, channel, event, hour, volume, null_user_id, null_anonymous_id, unplanned_event, unplanned_property,
      naming_violation, schema_violation, currency_violation, blocked, blocked_unplanned_event, blocked_unplanned_property,
      blocked_naming_violation, blocked_schema_violation, blocked_currency_violation
    FROM sums
    WHERE volume <> 0 OR null_user_id <> 0 OR null_anonymous_id <> 0 OR unplanned_event <> 0 OR unplanned_property <> 0
      OR naming_violation <> 0 OR schema_violation <> 0 OR currency_violation <> 0 OR blocked <> 0
      OR blocked_unplanned_event <> 0 OR blocked_unplanned_property <> 0 OR blocked_naming_violation <> 0
      OR blocked_schema_violation <> 0 OR blocked_currency_violation <> 0
  )
  SELECT COALESCE(sum(rows), 0) INTO step FROM sums;
  RETURN folded + step;
END
$fn$;
--> statement-breakpoint
-- What was written before the triggers existed, counted once (the migration runs before braid does).
INSERT INTO braid.health_counts (project_id, minute, received)
SELECT project_id, date_trunc('minute', received_at), count(*) FROM braid.receipts
WHERE project_id IS NOT NULL AND source_stream = 'BRAID_RAW' GROUP BY 1, 2;
--> statement-breakpoint
INSERT INTO braid.health_counts (project_id, minute, canonical)
SELECT project_id, date_trunc('minute', received_at), count(*) FROM braid.canonical_events
WHERE source_stream = 'BRAID_RAW' GROUP BY 1, 2;
--> statement-breakpoint
INSERT INTO braid.health_counts (project_id, minute, rejected)
SELECT project_id, date_trunc('minute', received_at), count(*) FROM braid.rejected_events
WHERE project_id IS NOT NULL AND resolved_at IS NULL AND source_stream = 'BRAID_RAW' GROUP BY 1, 2;
--> statement-breakpoint
INSERT INTO braid.health_counts (project_id, minute, suppressed)
SELECT s.project_id, date_trunc('minute', rc.received_at), count(*) FROM braid.suppressions s
JOIN braid.receipts rc USING (source_stream, source_sequence) WHERE s.source_stream = 'BRAID_RAW' GROUP BY 1, 2;
--> statement-breakpoint
INSERT INTO braid.health_counts (project_id, minute, duplicates)
SELECT project_id, date_trunc('minute', received_at), count(*) FROM braid.duplicates
WHERE source_stream = 'BRAID_RAW' GROUP BY 1, 2;
--> statement-breakpoint
INSERT INTO braid.health_latency (project_id, minute, bucket, n)
SELECT project_id, date_trunc('minute', received_at), braid.latency_bucket(extract(epoch FROM written_at - received_at) * 1000), count(*)
FROM braid.lineage
WHERE source_stream = 'BRAID_RAW' AND replay_id IS NULL AND backfill_id IS NULL AND destination = 'production'
GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO braid.quality_counts (project_id, channel, event, hour, volume, null_user_id, null_anonymous_id,
  unplanned_event, unplanned_property, naming_violation, schema_violation, currency_violation)
SELECT project_id, channel, COALESCE(event, name, '$' || type), date_trunc('hour', event_time), count(*),
  count(*) FILTER (WHERE user_id IS NULL), count(*) FILTER (WHERE anonymous_id IS NULL),
  count(*) FILTER (WHERE jsonb_path_exists(flags, '$[*] ? (@ starts with "unplanned_event")')),
  count(*) FILTER (WHERE jsonb_path_exists(flags, '$[*] ? (@ starts with "unplanned_property")')),
  count(*) FILTER (WHERE jsonb_path_exists(flags, '$[*] ? (@ starts with "naming_violation")')),
  count(*) FILTER (WHERE jsonb_path_exists(flags, '$[*] ? (@ starts with "schema_violation" || @ starts with "unknown_schema_version")')),
  count(*) FILTER (WHERE jsonb_path_exists(flags, '$[*] ? (@ starts with "invalid_currency" || @ starts with "invalid_amount")'))
FROM braid.canonical_events GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
INSERT INTO braid.quality_counts (project_id, channel, event, hour, blocked, blocked_unplanned_event,
  blocked_unplanned_property, blocked_naming_violation, blocked_schema_violation, blocked_currency_violation)
SELECT project_id, channel, event_name, date_trunc('hour', COALESCE(event_time, received_at)), count(*),
  count(*) FILTER (WHERE rules && ARRAY['unplanned_event']), count(*) FILTER (WHERE rules && ARRAY['unplanned_property']),
  count(*) FILTER (WHERE rules && ARRAY['naming_violation']), count(*) FILTER (WHERE rules && ARRAY['schema_violation', 'unknown_schema_version']),
  count(*) FILTER (WHERE rules && ARRAY['invalid_currency', 'invalid_amount'])
FROM braid.rejected_events
WHERE project_id IS NOT NULL AND channel IS NOT NULL AND event_name IS NOT NULL AND resolved_at IS NULL
  AND reason IN ('unplanned_event', 'naming_violation', 'unknown_schema_version', 'schema_violation', 'unplanned_property', 'invalid_currency', 'invalid_amount')
GROUP BY 1, 2, 3, 4;
