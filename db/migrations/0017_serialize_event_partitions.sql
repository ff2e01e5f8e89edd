-- Concurrent first writes of a new month (two workers, two test files) deadlocked attaching partitions.
CREATE OR REPLACE FUNCTION braid.ensure_event_partitions(from_time timestamptz, to_time timestamptz) RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, braid AS $$
DECLARE
  month_start timestamptz := date_trunc('month', from_time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  month_end timestamptz;
  name text;
  created integer := 0;
BEGIN
  -- One creator at a time: two callers attaching partitions at once deadlock on the parent.
  PERFORM pg_advisory_xact_lock(hashtext('braid:event_partitions'));
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
