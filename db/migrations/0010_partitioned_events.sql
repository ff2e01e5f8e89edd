CREATE TABLE "braid"."event_ids" (
	"project_id" text NOT NULL,
	"event_id" text NOT NULL,
	"event_time" timestamp with time zone NOT NULL,
	"source_stream" text NOT NULL,
	"source_sequence" bigint NOT NULL,
	CONSTRAINT "event_ids_project_id_event_id_pk" PRIMARY KEY("project_id","event_id")
);
--> statement-breakpoint
-- canonical_events partitioned by month of event time. Idempotency on (project_id, event_id) for ever
-- moves to braid.event_ids (a partitioned table cannot hold a key without its partition column).
-- Late and backfilled events of any age get their month's partition from braid.ensure_event_partitions;
-- a default partition catches anything written before its partition existed, and ensure moves such
-- rows into the new partition.
-- Views over canonical_events (and views over those) are set aside and re-created on the new table.
CREATE TEMP TABLE braid_saved_views ON COMMIT DROP AS
WITH RECURSIVE dependents(oid, depth) AS (
  SELECT DISTINCT r.ev_class, 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
  WHERE d.refobjid = 'braid.canonical_events'::regclass AND r.ev_class <> 'braid.canonical_events'::regclass
  UNION
  SELECT DISTINCT r.ev_class, dependents.depth + 1 FROM dependents JOIN pg_depend d ON d.refobjid = dependents.oid
  JOIN pg_rewrite r ON r.oid = d.objid WHERE r.ev_class <> dependents.oid
)
SELECT n.nspname AS schema_name, c.relname AS view_name, max(dep.depth) AS depth, pg_get_viewdef(c.oid) AS definition,
       c.reloptions AS options
FROM dependents dep JOIN pg_class c ON c.oid = dep.oid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'v'
GROUP BY n.nspname, c.relname, c.oid, c.reloptions;
--> statement-breakpoint
DO $$
DECLARE v record;
BEGIN
  FOR v IN SELECT * FROM braid_saved_views ORDER BY depth DESC LOOP
    EXECUTE format('DROP VIEW IF EXISTS %I.%I', v.schema_name, v.view_name);
  END LOOP;
END $$;
--> statement-breakpoint
ALTER TABLE braid.canonical_events RENAME TO canonical_events_before_partitioning;
--> statement-breakpoint
ALTER TABLE braid.canonical_events_before_partitioning RENAME CONSTRAINT canonical_events_project_id_event_id_pk TO canonical_events_before_partitioning_pk;
--> statement-breakpoint
DROP INDEX IF EXISTS braid.canonical_events_project_id_event_time_index;
--> statement-breakpoint
DROP INDEX IF EXISTS braid.canonical_events_project_id_user_id_index;
--> statement-breakpoint
DROP INDEX IF EXISTS braid.canonical_events_project_id_anonymous_id_index;
--> statement-breakpoint
DROP INDEX IF EXISTS braid.canonical_events_project_id_channel_device_key_event_time_index;
--> statement-breakpoint
DROP INDEX IF EXISTS braid.canonical_events_project_id_session_id_index;
--> statement-breakpoint
CREATE TABLE braid.canonical_events (LIKE braid.canonical_events_before_partitioning INCLUDING DEFAULTS)
  PARTITION BY RANGE (event_time);
--> statement-breakpoint
ALTER TABLE braid.canonical_events ADD CONSTRAINT canonical_events_project_id_event_id_event_time_pk PRIMARY KEY (project_id, event_id, event_time);
--> statement-breakpoint
CREATE INDEX canonical_events_project_id_event_time_index ON braid.canonical_events (project_id, event_time);
--> statement-breakpoint
CREATE INDEX canonical_events_project_id_user_id_index ON braid.canonical_events (project_id, user_id);
--> statement-breakpoint
CREATE INDEX canonical_events_project_id_anonymous_id_index ON braid.canonical_events (project_id, anonymous_id);
--> statement-breakpoint
CREATE INDEX canonical_events_project_id_channel_device_key_event_time_index ON braid.canonical_events (project_id, channel, device_key, event_time);
--> statement-breakpoint
CREATE INDEX canonical_events_project_id_session_id_index ON braid.canonical_events (project_id, session_id);
--> statement-breakpoint
CREATE TABLE braid.canonical_events_default PARTITION OF braid.canonical_events DEFAULT;
--> statement-breakpoint
CREATE FUNCTION braid.ensure_event_partitions(from_time timestamptz, to_time timestamptz) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, braid AS $$
DECLARE
  month_start timestamptz := date_trunc('month', from_time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  month_end timestamptz;
  name text;
  created integer := 0;
BEGIN
  IF from_time IS NULL OR to_time IS NULL OR to_time < from_time THEN
    RETURN 0;
  END IF;
  WHILE month_start <= to_time LOOP
    month_end := month_start + interval '1 month';
    name := 'canonical_events_p' || to_char(month_start AT TIME ZONE 'UTC', 'YYYYMM');
    IF to_regclass('braid.' || name) IS NULL THEN
      -- Standalone, filled from the default partition, then attached: inserts elsewhere go on meanwhile.
      EXECUTE format('CREATE TABLE braid.%I (LIKE braid.canonical_events INCLUDING DEFAULTS)', name);
      EXECUTE format('ALTER TABLE braid.%I ADD CONSTRAINT %I CHECK (event_time >= %L AND event_time < %L)', name, name || '_range', month_start, month_end);
      EXECUTE format('WITH moved AS (DELETE FROM braid.canonical_events_default WHERE event_time >= %L AND event_time < %L RETURNING *) INSERT INTO braid.%I SELECT * FROM moved', month_start, month_end, name);
      EXECUTE format('ALTER TABLE braid.canonical_events ATTACH PARTITION braid.%I FOR VALUES FROM (%L) TO (%L)', name, month_start, month_end);
      EXECUTE format('ALTER TABLE braid.%I DROP CONSTRAINT %I', name, name || '_range');
      created := created + 1;
    END IF;
    month_start := month_end;
  END LOOP;
  RETURN created;
END $$;
--> statement-breakpoint
SELECT braid.ensure_event_partitions(
  LEAST(now() - interval '1 month', (SELECT min(event_time) FROM braid.canonical_events_before_partitioning)),
  now() + interval '3 months');
--> statement-breakpoint
INSERT INTO braid.event_ids (project_id, event_id, event_time, source_stream, source_sequence)
SELECT project_id, event_id, event_time, source_stream, source_sequence FROM braid.canonical_events_before_partitioning;
--> statement-breakpoint
INSERT INTO braid.canonical_events SELECT * FROM braid.canonical_events_before_partitioning;
--> statement-breakpoint
DROP TABLE braid.canonical_events_before_partitioning;
--> statement-breakpoint
DO $$
DECLARE v record;
BEGIN
  FOR v IN SELECT * FROM braid_saved_views ORDER BY depth LOOP
    EXECUTE format('CREATE VIEW %I.%I %s AS %s', v.schema_name, v.view_name,
      CASE WHEN v.options IS NULL THEN '' ELSE 'WITH (' || array_to_string(v.options, ', ') || ')' END, v.definition);
  END LOOP;
END $$;
