-- Per-property presence in the quality rollup (0023 adds the column): the canonical events'
-- trigger also counts, per top-level property, the written events that carried it with a
-- value other than null; the fold sums those maps. analytics.data_quality derives each
-- property's null-or-missing share from them.

-- Sums two { key: count } maps, dropping keys that sum to 0.
CREATE FUNCTION braid.jsonb_sum(a jsonb, b jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN COALESCE((
  SELECT jsonb_object_agg(key, total) FROM (
    SELECT key, sum(value::numeric) AS total
    FROM (SELECT * FROM jsonb_each(COALESCE(a, '{}'::jsonb)) UNION ALL SELECT * FROM jsonb_each(COALESCE(b, '{}'::jsonb))) e
    GROUP BY key HAVING sum(value::numeric) <> 0) s), '{}'::jsonb);
--> statement-breakpoint
CREATE AGGREGATE braid.jsonb_sum_agg(jsonb) (SFUNC = braid.jsonb_sum, STYPE = jsonb, INITCOND = '{}');
--> statement-breakpoint
CREATE OR REPLACE FUNCTION braid.rollup_canonical_events() RETURNS trigger
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
  -- Per top-level property: written events that carried it with a value other than null.
  EXECUTE format($q$
    INSERT INTO braid.quality_counts (project_id, channel, event, hour, property_present)
    SELECT project_id, channel, event, hour, jsonb_object_agg(prop, n) FROM (
      SELECT project_id, channel, COALESCE(event, name, '$' || type) AS event, date_trunc('hour', event_time) AS hour, p.key AS prop, sum(sign) AS n
      FROM %s r, jsonb_each(CASE WHEN jsonb_typeof(r.properties) = 'object' THEN r.properties ELSE '{}'::jsonb END) AS p(key, value)
      WHERE p.value <> 'null'::jsonb
      GROUP BY 1, 2, 3, 4, 5 HAVING sum(sign) <> 0) x
    GROUP BY 1, 2, 3, 4$q$,
    braid.rollup_rows(TG_OP));
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION braid.compact_rollups() RETURNS bigint
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
      sum(blocked_currency_violation) AS blocked_currency_violation,
      braid.jsonb_sum_agg(property_present) AS property_present, count(*) AS rows
    FROM gone GROUP BY 1, 2, 3, 4
  ), kept AS (
    INSERT INTO braid.quality_counts (project_id, channel, event, hour, volume, null_user_id, null_anonymous_id,
      unplanned_event, unplanned_property, naming_violation, schema_violation, currency_violation, blocked,
      blocked_unplanned_event, blocked_unplanned_property, blocked_naming_violation, blocked_schema_violation, blocked_currency_violation,
      property_present)
    SELECT project_id, channel, event, hour, volume, null_user_id, null_anonymous_id, unplanned_event, unplanned_property,
      naming_violation, schema_violation, currency_violation, blocked, blocked_unplanned_event, blocked_unplanned_property,
      blocked_naming_violation, blocked_schema_violation, blocked_currency_violation, property_present
    FROM sums
    WHERE volume <> 0 OR null_user_id <> 0 OR null_anonymous_id <> 0 OR unplanned_event <> 0 OR unplanned_property <> 0
      OR naming_violation <> 0 OR schema_violation <> 0 OR currency_violation <> 0 OR blocked <> 0
      OR blocked_unplanned_event <> 0 OR blocked_unplanned_property <> 0 OR blocked_naming_violation <> 0
      OR blocked_schema_violation <> 0 OR blocked_currency_violation <> 0 OR property_present <> '{}'::jsonb
  )
  SELECT COALESCE(sum(rows), 0) INTO step FROM sums;
  RETURN folded + step;
END
$fn$;
--> statement-breakpoint
-- What was written before: counted once.
INSERT INTO braid.quality_counts (project_id, channel, event, hour, property_present)
SELECT project_id, channel, event, hour, jsonb_object_agg(prop, n) FROM (
  SELECT project_id, channel, COALESCE(event, name, '$' || type) AS event, date_trunc('hour', event_time) AS hour, p.key AS prop, count(*) AS n
  FROM braid.canonical_events r, jsonb_each(CASE WHEN jsonb_typeof(r.properties) = 'object' THEN r.properties ELSE '{}'::jsonb END) AS p(key, value)
  WHERE p.value <> 'null'::jsonb
  GROUP BY 1, 2, 3, 4, 5) x
GROUP BY 1, 2, 3, 4;
