-- Canary rule changes: the API starts, promotes and rolls back canaries (braid.rule_canaries), so
-- apply_process_access() gains that table among the API's writes; then both access functions run.
CREATE OR REPLACE FUNCTION braid.apply_process_access() RETURNS void
LANGUAGE plpgsql SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  -- Ingest validates and stages: it reads the project's settings and writes receipts, rejections,
  -- duplicates and staged events (and the rollup deltas their triggers add).
  ingest_writes constant text[] := ARRAY['receipts', 'rejected_events', 'duplicates', 'staged_events'];
  -- The worker writes the canonical side and carries out operations; it never touches tokens
  -- and only reads write keys and analyst grants.
  worker_denied constant text[] := ARRAY['api_tokens'];
  worker_read_only constant text[] := ARRAY['write_keys', 'analyst_grants'];
  -- The API manages projects, keys, tokens, operations, consent and schemas, and the identity
  -- graph for operators' merges and unmerges, and canary rule changes; canonical rows and lineage
  -- it only reads (replays, backfills and erasures change them in workflows).
  api_writes constant text[] := ARRAY['projects', 'project_secrets', 'write_keys', 'api_tokens', 'operations',
    'consent_records', 'event_schemas', 'schema_changelog', 'rejected_events', 'suppressions', 'erased_subjects',
    'identities', 'identity_links', 'consumer_contracts', 'rule_canaries'];
  rollups constant text[] := ARRAY['health_counts', 'health_latency', 'quality_counts'];
  t text;
BEGIN
  GRANT USAGE ON SCHEMA braid, analytics TO braid_ingest, braid_worker, braid_api;
  REVOKE ALL ON ALL TABLES IN SCHEMA braid FROM braid_ingest, braid_worker, braid_api;

  FOR t IN
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'braid' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  LOOP
    -- ingest
    IF t = ANY (ingest_writes) THEN
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON braid.%I TO braid_ingest', t);
    ELSIF t = ANY (rollups) THEN
      EXECUTE format('GRANT SELECT, INSERT ON braid.%I TO braid_ingest', t);
    ELSIF t NOT IN ('api_tokens', 'audit_log', 'project_secrets') THEN
      EXECUTE format('GRANT SELECT ON braid.%I TO braid_ingest', t);
    END IF;
    -- worker
    IF t = ANY (worker_read_only) THEN
      EXECUTE format('GRANT SELECT ON braid.%I TO braid_worker', t);
    ELSIF t = 'audit_log' THEN
      EXECUTE format('GRANT SELECT, INSERT ON braid.%I TO braid_worker', t);
    ELSIF NOT t = ANY (worker_denied) THEN
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON braid.%I TO braid_worker', t);
    END IF;
    -- api
    IF t = ANY (api_writes) THEN
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON braid.%I TO braid_api', t);
    ELSIF t = 'audit_log' OR t = ANY (rollups) THEN
      EXECUTE format('GRANT SELECT, INSERT ON braid.%I TO braid_api', t);
    ELSE
      EXECUTE format('GRANT SELECT ON braid.%I TO braid_api', t);
    END IF;
  END LOOP;
  GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA braid TO braid_ingest, braid_worker, braid_api;

  -- Analytics: the API serves the console's figures from the views and functions.
  GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO braid_api;
  GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA analytics TO braid_api;
  -- The worker exports analytics.events to the lake (its rows, person as known now).
  GRANT SELECT ON analytics.events TO braid_worker;

  -- Partitions are created by their owner's function, on behalf of whichever process needs a month.
  ALTER FUNCTION braid.ensure_event_partitions(timestamptz, timestamptz) SECURITY DEFINER;
  REVOKE ALL ON FUNCTION braid.ensure_event_partitions(timestamptz, timestamptz) FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION braid.ensure_event_partitions(timestamptz, timestamptz) TO braid_worker, braid_ingest, braid_api;
  -- Folding rollup deltas is the worker's housekeeping.
  REVOKE ALL ON FUNCTION braid.compact_rollups() FROM PUBLIC;
  GRANT EXECUTE ON FUNCTION braid.compact_rollups() TO braid_worker;
  -- Sandbox replays create their own schema (owned by braid_worker, readable by the API).
  EXECUTE format('GRANT CREATE ON DATABASE %I TO braid_worker', current_database());
END
$fn$;
--> statement-breakpoint
SELECT braid.apply_analyst_access();
--> statement-breakpoint
SELECT braid.apply_process_access();
