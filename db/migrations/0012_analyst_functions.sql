-- Analyst queries (issue 8): funnels, time to convert, feature adoption, active persons, journeys;
-- the group roles braid_analyst, braid_operator, braid_ingest; row-level security so a member of
-- braid_analyst reads only the projects granted to it (braid.analyst_grants).
--
-- Every function here is SECURITY INVOKER and reads the analytics views only (which are
-- security_invoker too), so the caller's privileges and row-level security apply all the way down.
-- Bad arguments raise SQLSTATE 22023 (invalid_parameter_value) with a message naming the argument.

-- ─── Funnels ──────────────────────────────────────────────────────────────────────────────────────
--
-- A person reaches step k when they did steps[1..k] in order: events e1 < e2 < … < ek, where <
-- is (event_time, event_id) order (strictly increasing time, ties broken by event_id in byte
-- order, COLLATE "C", as everywhere below), on any channels, with e1 inside [from_time, to_time)
-- and ek - e1 <= conversion_window.
--
-- Exact in one pass per step (dynamic programming, no pairs of events): for an event e of step k
-- let latest_start(e) be the latest e1.event_time over all chains e1 < … < ek = e. Then
--   latest_start(e) = e.event_time                          for k = 1 (e inside the range),
--   latest_start(e) = max latest_start(e') over step-(k-1) events e' < e    for k > 1,
-- and the person reaches step k iff some step-k event e has e.event_time - latest_start(e) <=
-- conversion_window. A chain with a later start is never worse: the window only bounds the last
-- event against the first, so whatever extends some chain ending at e extends the latest-starting
-- chain ending at e just as well. A start that already misses the window at e misses it at every
-- later event, so such rows are dropped early without changing any answer. The max over earlier events is a running max
-- (a window frame ending 1 PRECEDING), so each step costs one sort of the person's candidate
-- events: O(steps × events × log events) overall, nothing quadratic per person.

-- For each person and step, the first event (in (event_time, event_id) order) at which the person
-- reached that step, its channel, and the start of the latest-starting chain that got there.
CREATE FUNCTION analytics.funnel_persons(
  project_id text, steps text[], from_time timestamptz, to_time timestamptz, conversion_window interval)
RETURNS TABLE (person_id text, step integer, event_id text, event_time timestamptz, channel text, started_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, analytics, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  n integer := coalesce(cardinality(funnel_persons.steps), 0);
  s text[];
BEGIN
  IF funnel_persons.project_id IS NULL THEN
    RAISE EXCEPTION 'funnel argument project_id must not be null' USING ERRCODE = '22023';
  END IF;
  IF n < 1 OR n > 20 THEN
    RAISE EXCEPTION 'funnel argument steps must list between 1 and 20 events, got %', n USING ERRCODE = '22023';
  END IF;
  IF array_ndims(funnel_persons.steps) <> 1 THEN
    RAISE EXCEPTION 'funnel argument steps must be a one-dimensional array' USING ERRCODE = '22023';
  END IF;
  -- A slice starts at index 1 whatever the caller's bounds were.
  s := funnel_persons.steps[array_lower(funnel_persons.steps, 1):array_upper(funnel_persons.steps, 1)];
  IF array_position(s, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'funnel argument steps must not contain null (steps[%] is null)', array_position(s, NULL) USING ERRCODE = '22023';
  END IF;
  IF funnel_persons.from_time IS NULL OR funnel_persons.to_time IS NULL THEN
    RAISE EXCEPTION 'funnel argument % must not be null', CASE WHEN funnel_persons.from_time IS NULL THEN 'from_time' ELSE 'to_time' END
      USING ERRCODE = '22023';
  END IF;
  IF funnel_persons.from_time > funnel_persons.to_time THEN
    RAISE EXCEPTION 'funnel argument from_time (%) is after to_time (%)', funnel_persons.from_time, funnel_persons.to_time USING ERRCODE = '22023';
  END IF;
  IF funnel_persons.conversion_window IS NULL OR funnel_persons.conversion_window <= interval '0' THEN
    RAISE EXCEPTION 'funnel argument conversion_window must be a positive interval, got %', coalesce(funnel_persons.conversion_window::text, 'null')
      USING ERRCODE = '22023';
  END IF;

  RETURN QUERY
  WITH RECURSIVE candidates AS (
    -- Every event that can be part of a chain: a step's event between the range start and the
    -- last moment a chain started in range can end.
    SELECT e.person_id COLLATE "C" AS person_id, e.event_time, e.event_id COLLATE "C" AS event_id, e.event, e.channel
    FROM analytics.events e
    WHERE e.project_id = funnel_persons.project_id
      AND e.event = ANY (s)
      AND e.event_time >= funnel_persons.from_time
      AND e.event_time < funnel_persons.to_time + funnel_persons.conversion_window
      AND e.person_id IS NOT NULL
  ), starters AS (
    SELECT DISTINCT c.person_id FROM candidates c WHERE c.event = s[1] AND c.event_time < funnel_persons.to_time
  ), levels (k, person_id, event_time, event_id, event, channel, latest_start) AS (
    SELECT 1, c.person_id, c.event_time, c.event_id, c.event, c.channel,
           CASE WHEN c.event = s[1] AND c.event_time < funnel_persons.to_time THEN c.event_time END
    FROM candidates c WHERE c.person_id IN (SELECT starters.person_id FROM starters)
    UNION ALL
    SELECT l.k + 1, l.person_id, l.event_time, l.event_id, l.event, l.channel,
           CASE WHEN l.event = s[l.k + 1] THEN
             max(l.latest_start) OVER (PARTITION BY l.person_id ORDER BY l.event_time, l.event_id
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
           END
    FROM levels l
    WHERE l.k < n
      -- keep what feeds the next step (a start still inside the window) or may be a later step
      AND ((l.latest_start IS NOT NULL AND l.event_time - l.latest_start <= funnel_persons.conversion_window)
           OR l.event = ANY (s[l.k + 1:n]))
  )
  SELECT DISTINCT ON (l.person_id, l.k) l.person_id, l.k, l.event_id, l.event_time, l.channel, l.latest_start
  FROM levels l
  WHERE l.latest_start IS NOT NULL AND l.event_time - l.latest_start <= funnel_persons.conversion_window
  ORDER BY l.person_id, l.k, l.event_time, l.event_id;
END
$fn$;
--> statement-breakpoint
-- The contract's funnel: persons per step and their share of the persons at step 1.
CREATE FUNCTION analytics.funnel(
  project_id text, steps text[], from_time timestamptz, to_time timestamptz, conversion_window interval)
RETURNS TABLE (step integer, event text, persons bigint, conversion_rate numeric)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, analytics, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  reached jsonb;
BEGIN
  -- funnel_persons checks the arguments; aggregating its rows here runs it before anything else.
  SELECT coalesce(jsonb_object_agg(r.step, r.persons), '{}') INTO reached
  FROM (SELECT p.step, count(*) AS persons
        FROM analytics.funnel_persons(funnel.project_id, funnel.steps, funnel.from_time, funnel.to_time, funnel.conversion_window) p
        GROUP BY p.step) r;

  RETURN QUERY
  WITH per_step AS (
    SELECT i AS step, funnel.steps[array_lower(funnel.steps, 1) + i - 1] AS event, coalesce((reached ->> i::text)::bigint, 0) AS persons
    FROM generate_series(1, cardinality(funnel.steps)) AS i
  )
  SELECT p.step, p.event, p.persons,
         CASE WHEN f.persons = 0 THEN 0::numeric ELSE round(p.persons::numeric / f.persons, 4) END
  FROM per_step p CROSS JOIN (SELECT s.persons FROM per_step s WHERE s.step = 1) f
  ORDER BY p.step;
END
$fn$;
--> statement-breakpoint
-- Per step and channel of the step's event: each person counted once per step, on the channel of
-- the first event at which they reached it, so a step's channels add up to analytics.funnel's
-- persons; conversion_rate is the share of all persons at step 1. Every channel seen among the
-- funnel's events has a row for every step (0 persons where nobody got there on it).
CREATE FUNCTION analytics.funnel_by_channel(
  project_id text, steps text[], from_time timestamptz, to_time timestamptz, conversion_window interval)
RETURNS TABLE (step integer, event text, channel text, persons bigint, conversion_rate numeric)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, analytics, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  reached jsonb;
BEGIN
  -- funnel_persons checks the arguments; aggregating its rows here runs it before anything else.
  SELECT coalesce(jsonb_agg(jsonb_build_object('step', r.step, 'channel', r.channel, 'persons', r.persons)), '[]') INTO reached
  FROM (SELECT p.step, p.channel, count(*) AS persons
        FROM analytics.funnel_persons(funnel_by_channel.project_id, funnel_by_channel.steps, funnel_by_channel.from_time,
                                      funnel_by_channel.to_time, funnel_by_channel.conversion_window) p
        GROUP BY p.step, p.channel) r;

  RETURN QUERY
  WITH r AS (
    SELECT x.step, x.channel, x.persons FROM jsonb_to_recordset(reached) AS x(step integer, channel text, persons bigint)
  ), channels AS (
    SELECT DISTINCT e.channel
    FROM analytics.events e
    WHERE e.project_id = funnel_by_channel.project_id
      AND e.event = ANY (funnel_by_channel.steps)
      AND e.event_time >= funnel_by_channel.from_time
      AND e.event_time < funnel_by_channel.to_time + funnel_by_channel.conversion_window
      AND e.person_id IS NOT NULL
  ), started AS (
    SELECT coalesce(sum(r.persons), 0) AS persons FROM r WHERE r.step = 1
  )
  SELECT i, funnel_by_channel.steps[array_lower(funnel_by_channel.steps, 1) + i - 1], c.channel, coalesce(r.persons, 0)::bigint,
         CASE WHEN s.persons = 0 THEN 0::numeric ELSE round(coalesce(r.persons, 0)::numeric / s.persons, 4) END
  FROM generate_series(1, cardinality(funnel_by_channel.steps)) AS i
  CROSS JOIN channels c
  CROSS JOIN started s
  LEFT JOIN r ON r.step = i AND r.channel = c.channel
  ORDER BY i, c.channel;
END
$fn$;
--> statement-breakpoint
-- ─── Time to convert ──────────────────────────────────────────────────────────────────────────────
-- Per person: their first from_event inside [from_time, to_time), then their first to_event after
-- it ((event_time, event_id) order, any channel); the person converted when that to_event is at
-- most conversion_window later. Percentiles (linear interpolation, percentile_cont) of the
-- converted persons' times; null when nobody converted.
CREATE FUNCTION analytics.time_to_convert(
  project_id text, from_event text, to_event text, from_time timestamptz, to_time timestamptz, conversion_window interval)
RETURNS TABLE (started bigint, converted bigint, p50 interval, p90 interval, p99 interval)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, analytics, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  IF time_to_convert.project_id IS NULL THEN
    RAISE EXCEPTION 'time_to_convert argument project_id must not be null' USING ERRCODE = '22023';
  END IF;
  IF time_to_convert.from_event IS NULL OR time_to_convert.to_event IS NULL THEN
    RAISE EXCEPTION 'time_to_convert argument % must not be null', CASE WHEN time_to_convert.from_event IS NULL THEN 'from_event' ELSE 'to_event' END
      USING ERRCODE = '22023';
  END IF;
  IF time_to_convert.from_time IS NULL OR time_to_convert.to_time IS NULL THEN
    RAISE EXCEPTION 'time_to_convert argument % must not be null', CASE WHEN time_to_convert.from_time IS NULL THEN 'from_time' ELSE 'to_time' END
      USING ERRCODE = '22023';
  END IF;
  IF time_to_convert.from_time > time_to_convert.to_time THEN
    RAISE EXCEPTION 'time_to_convert argument from_time (%) is after to_time (%)', time_to_convert.from_time, time_to_convert.to_time USING ERRCODE = '22023';
  END IF;
  IF time_to_convert.conversion_window IS NULL OR time_to_convert.conversion_window <= interval '0' THEN
    RAISE EXCEPTION 'time_to_convert argument conversion_window must be a positive interval, got %', coalesce(time_to_convert.conversion_window::text, 'null')
      USING ERRCODE = '22023';
  END IF;

  RETURN QUERY
  WITH candidates AS (
    SELECT e.person_id COLLATE "C" AS person_id, e.event_time, e.event_id COLLATE "C" AS event_id, e.event
    FROM analytics.events e
    WHERE e.project_id = time_to_convert.project_id
      AND e.event IN (time_to_convert.from_event, time_to_convert.to_event)
      AND e.event_time >= time_to_convert.from_time
      AND e.event_time < time_to_convert.to_time + time_to_convert.conversion_window
      AND e.person_id IS NOT NULL
  ), firsts AS (
    SELECT DISTINCT ON (c.person_id) c.person_id, c.event_time, c.event_id
    FROM candidates c
    WHERE c.event = time_to_convert.from_event AND c.event_time < time_to_convert.to_time
    ORDER BY c.person_id, c.event_time, c.event_id
  ), conversions AS (
    -- each person's to_events after their first from_event: linear per person
    SELECT DISTINCT ON (f.person_id) f.person_id, c.event_time - f.event_time AS took
    FROM firsts f
    JOIN candidates c ON c.person_id = f.person_id AND c.event = time_to_convert.to_event
                     AND (c.event_time, c.event_id) > (f.event_time, f.event_id)
    ORDER BY f.person_id, c.event_time, c.event_id
  ), in_window AS (
    SELECT v.took FROM conversions v WHERE v.took <= time_to_convert.conversion_window
  ), pct AS (
    SELECT count(*) AS n, percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY v.took) AS p FROM in_window v
  )
  SELECT (SELECT count(*) FROM firsts), pct.n, pct.p[1], pct.p[2], pct.p[3] FROM pct;
END
$fn$;
--> statement-breakpoint
-- ─── Feature adoption ─────────────────────────────────────────────────────────────────────────────
-- Per channel and app version (context.app.version; null where the client sends none, e.g. web):
-- persons active there in [from_time, to_time) (any event), how many of them did `event` there,
-- and that share. A person active on two channels or versions counts in each.
CREATE FUNCTION analytics.feature_adoption(project_id text, event text, from_time timestamptz, to_time timestamptz)
RETURNS TABLE (channel text, app_version text, active_persons bigint, adopters bigint, adoption_rate numeric)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, analytics, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  IF feature_adoption.project_id IS NULL THEN
    RAISE EXCEPTION 'feature_adoption argument project_id must not be null' USING ERRCODE = '22023';
  END IF;
  IF feature_adoption.event IS NULL THEN
    RAISE EXCEPTION 'feature_adoption argument event must not be null' USING ERRCODE = '22023';
  END IF;
  IF feature_adoption.from_time IS NULL OR feature_adoption.to_time IS NULL THEN
    RAISE EXCEPTION 'feature_adoption argument % must not be null', CASE WHEN feature_adoption.from_time IS NULL THEN 'from_time' ELSE 'to_time' END
      USING ERRCODE = '22023';
  END IF;
  IF feature_adoption.from_time > feature_adoption.to_time THEN
    RAISE EXCEPTION 'feature_adoption argument from_time (%) is after to_time (%)', feature_adoption.from_time, feature_adoption.to_time USING ERRCODE = '22023';
  END IF;

  RETURN QUERY
  WITH active AS (
    SELECT e.channel, e.context #>> '{app,version}' AS app_version, e.person_id, bool_or(e.event = feature_adoption.event) AS adopted
    FROM analytics.events e
    WHERE e.project_id = feature_adoption.project_id
      AND e.event_time >= feature_adoption.from_time
      AND e.event_time < feature_adoption.to_time
      AND e.person_id IS NOT NULL
    GROUP BY 1, 2, 3
  )
  SELECT a.channel, a.app_version, count(*), count(*) FILTER (WHERE a.adopted),
         round((count(*) FILTER (WHERE a.adopted))::numeric / count(*), 4)
  FROM active a
  GROUP BY a.channel, a.app_version
  ORDER BY a.channel, a.app_version NULLS FIRST;
END
$fn$;
--> statement-breakpoint
-- ─── Active persons ───────────────────────────────────────────────────────────────────────────────
-- Distinct persons with any event per UTC day / ISO week (starting Monday, UTC) and channel; the
-- row with channel null counts each person once across all channels. (UNION ALL rather than
-- GROUPING SETS, so a filter on project_id reaches the events' index.)
CREATE VIEW analytics.active_persons_daily WITH (security_invoker = true) AS
SELECT e.project_id, (e.event_time AT TIME ZONE 'UTC')::date AS day, e.channel, count(DISTINCT e.person_id) AS active_persons
FROM analytics.events e
WHERE e.person_id IS NOT NULL
GROUP BY 1, 2, 3
UNION ALL
SELECT e.project_id, (e.event_time AT TIME ZONE 'UTC')::date AS day, NULL::text AS channel, count(DISTINCT e.person_id) AS active_persons
FROM analytics.events e
WHERE e.person_id IS NOT NULL
GROUP BY 1, 2;
--> statement-breakpoint
CREATE VIEW analytics.active_persons_weekly WITH (security_invoker = true) AS
SELECT e.project_id, date_trunc('week', e.event_time AT TIME ZONE 'UTC')::date AS week, e.channel, count(DISTINCT e.person_id) AS active_persons
FROM analytics.events e
WHERE e.person_id IS NOT NULL
GROUP BY 1, 2, 3
UNION ALL
SELECT e.project_id, date_trunc('week', e.event_time AT TIME ZONE 'UTC')::date AS week, NULL::text AS channel, count(DISTINCT e.person_id) AS active_persons
FROM analytics.events e
WHERE e.person_id IS NOT NULL
GROUP BY 1, 2;
--> statement-breakpoint
-- ─── Journeys ─────────────────────────────────────────────────────────────────────────────────────
-- One person's events across channels in (event_time, event_id) order, the first max_events of
-- them, with where the path switched channel and the time since the previous event.
CREATE FUNCTION analytics.journey(project_id text, person_id text, max_events integer DEFAULT 1000)
RETURNS TABLE (seq bigint, event_id text, event_time timestamptz, channel text, type text, event text, session_id text,
               channel_changed boolean, since_previous interval)
LANGUAGE plpgsql STABLE SECURITY INVOKER
SET search_path = pg_catalog, analytics, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  IF journey.project_id IS NULL OR journey.person_id IS NULL THEN
    RAISE EXCEPTION 'journey argument % must not be null', CASE WHEN journey.project_id IS NULL THEN 'project_id' ELSE 'person_id' END
      USING ERRCODE = '22023';
  END IF;
  IF journey.max_events IS NULL OR journey.max_events < 1 THEN
    RAISE EXCEPTION 'journey argument max_events must be at least 1, got %', coalesce(journey.max_events::text, 'null') USING ERRCODE = '22023';
  END IF;

  RETURN QUERY
  WITH ids AS (
    SELECT i.kind, i.id FROM analytics.identities i WHERE i.project_id = journey.project_id AND i.person_id = journey.person_id
  ), path AS (
    SELECT e.event_id, e.event_time, e.channel, e.type, e.event, e.session_id,
           lag(e.channel) OVER w AS previous_channel, lag(e.event_time) OVER w AS previous_time,
           row_number() OVER w AS seq
    FROM analytics.events e
    WHERE e.project_id = journey.project_id
      AND e.person_id = journey.person_id
      -- the person's ids first, so the indexes on user_id and anonymous_id do the finding
      AND (e.user_id IN (SELECT ids.id FROM ids WHERE ids.kind = 'user')
           OR e.anonymous_id IN (SELECT ids.id FROM ids WHERE ids.kind = 'anonymous'))
    WINDOW w AS (ORDER BY e.event_time, e.event_id COLLATE "C")
  )
  SELECT p.seq, p.event_id, p.event_time, p.channel, p.type, p.event, p.session_id,
         p.previous_channel IS NOT NULL AND p.previous_channel <> p.channel,
         p.event_time - p.previous_time
  FROM path p
  ORDER BY p.seq
  LIMIT journey.max_events;
END
$fn$;
--> statement-breakpoint
-- ─── Rejections without content ───────────────────────────────────────────────────────────────────
-- analytics.rejected_events carries the raw payload and details, which braid_analyst may not read;
-- this view is the same rows without them.
CREATE VIEW analytics.rejections WITH (security_invoker = true) AS
SELECT r.project_id, r.channel, r.received_at, r.message_id, r.reason, r.source_stream, r.source_sequence, r.subject,
       r.rejected_at, r.resolved_at, r.resolved_by
FROM braid.rejected_events r;
--> statement-breakpoint
-- The grants the caller can see: a member of braid_analyst sees its own roles' projects.
CREATE VIEW analytics.analyst_grants WITH (security_invoker = true) AS
SELECT g.role_name, g.project_id, g.granted_at FROM braid.analyst_grants g;
--> statement-breakpoint
-- ─── Roles ────────────────────────────────────────────────────────────────────────────────────────
-- Group roles (NOLOGIN; members log in): braid_analyst reads the analytics views of granted
-- projects, without raw PII; braid_operator reads everything but secrets and token hashes;
-- braid_ingest writes braid's tables. Roles are cluster-wide: several databases (and concurrent
-- migrations) share them.
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['braid_analyst', 'braid_operator', 'braid_ingest'] LOOP
    BEGIN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- created by another database's migration
    END;
  END LOOP;
END
$$;
--> statement-breakpoint
-- (Re)applies roles' privileges and row-level security to what exists now: every analytics view
-- security_invoker; braid_analyst gets SELECT on exactly the braid columns the analytics views
-- read, minus raw PII (rejected_events.payload and .details, project_secrets), and SELECT on the
-- views that need none of those; RLS with one policy on every braid table with a project_id.
-- Idempotent: a later migration that re-creates tables or views behind the analytics views ends
-- with `SELECT braid.apply_analyst_access();`.
CREATE FUNCTION braid.apply_analyst_access() RETURNS void
LANGUAGE plpgsql SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  -- raw PII and secrets: never readable by braid_analyst, whatever a view needs
  pii_columns constant text[] := ARRAY['rejected_events.payload', 'rejected_events.details'];
  secret_tables constant text[] := ARRAY['project_secrets'];
  view_row record;
  table_row record;
  column_row record;
  visible text := $p$
    (SELECT NOT pg_catalog.pg_has_role(CURRENT_USER, 'braid_analyst', 'MEMBER'))
    OR project_id IN (
      SELECT g.project_id FROM braid.analyst_grants g
      WHERE g.role_name IN (SELECT r.rolname FROM pg_catalog.pg_roles r WHERE pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'MEMBER')))
  $p$;
BEGIN
  -- Schemas: analysts name analytics only; the braid tables behind security_invoker views are
  -- reached through the views (privileges are checked per table and column, not per schema).
  GRANT USAGE ON SCHEMA analytics TO braid_analyst, braid_operator;
  GRANT USAGE ON SCHEMA braid TO braid_operator, braid_ingest;
  REVOKE ALL ON ALL TABLES IN SCHEMA braid FROM braid_analyst;

  FOR view_row IN
    SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'analytics' AND c.relkind = 'v'
  LOOP
    EXECUTE format('ALTER VIEW analytics.%I SET (security_invoker = true)', view_row.relname);
  END LOOP;

  -- The braid columns each analytics view reads (views depend on them column by column).
  CREATE TEMP TABLE analyst_view_columns ON COMMIT DROP AS
  SELECT DISTINCT r.ev_class AS view_oid, d.refobjid AS table_oid, d.refobjsubid AS attnum, tc.relname AS table_name, a.attname AS column_name
  FROM pg_depend d
  JOIN pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_rewrite'::regclass
  JOIN pg_class vc ON vc.oid = r.ev_class
  JOIN pg_namespace vn ON vn.oid = vc.relnamespace AND vn.nspname = 'analytics'
  JOIN pg_class tc ON tc.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass AND tc.relkind IN ('r', 'p')
  JOIN pg_namespace tn ON tn.oid = tc.relnamespace AND tn.nspname = 'braid'
  JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid AND d.refobjsubid > 0;

  FOR column_row IN
    SELECT table_name, string_agg(quote_ident(column_name), ', ' ORDER BY attnum) AS columns
    FROM (SELECT DISTINCT table_name, column_name, attnum FROM analyst_view_columns) x
    WHERE table_name <> ALL (secret_tables) AND table_name || '.' || column_name <> ALL (pii_columns)
    GROUP BY table_name
  LOOP
    EXECUTE format('GRANT SELECT (%s) ON braid.%I TO braid_analyst', column_row.columns, column_row.table_name);
  END LOOP;

  -- Views: readable by analysts unless they (or views they read) need a raw-PII column.
  FOR view_row IN
    WITH RECURSIVE denied(oid) AS (
      SELECT view_oid FROM analyst_view_columns
      WHERE table_name = ANY (secret_tables) OR table_name || '.' || column_name = ANY (pii_columns)
      UNION
      SELECT r.ev_class FROM denied JOIN pg_depend d ON d.refobjid = denied.oid AND d.refclassid = 'pg_class'::regclass
      JOIN pg_rewrite r ON r.oid = d.objid AND d.classid = 'pg_rewrite'::regclass
      WHERE r.ev_class <> denied.oid
    )
    SELECT c.relname, c.oid IN (SELECT oid FROM denied) AS pii
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'analytics' AND c.relkind = 'v'
  LOOP
    IF view_row.pii THEN
      EXECUTE format('REVOKE ALL ON analytics.%I FROM braid_analyst', view_row.relname);
    ELSE
      EXECUTE format('GRANT SELECT ON analytics.%I TO braid_analyst', view_row.relname);
    END IF;
    EXECUTE format('GRANT SELECT ON analytics.%I TO braid_operator', view_row.relname);
  END LOOP;

  -- Functions: analysts and operators; they run as the caller (SECURITY INVOKER).
  REVOKE ALL ON ALL FUNCTIONS IN SCHEMA analytics FROM PUBLIC;
  GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA analytics TO braid_analyst, braid_operator;

  -- Operators read braid's tables except secrets and token hashes; ingest writes them (not tokens or
  -- analyst grants, which are the API's and the admin's).
  FOR table_row IN
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'braid' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  LOOP
    IF table_row.relname NOT IN ('project_secrets', 'api_tokens') THEN
      EXECUTE format('GRANT SELECT ON braid.%I TO braid_operator', table_row.relname);
    END IF;
    IF table_row.relname NOT IN ('api_tokens', 'analyst_grants') THEN
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON braid.%I TO braid_ingest', table_row.relname);
    END IF;
  END LOOP;
  GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA braid TO braid_ingest;

  -- Row-level security: members of braid_analyst see the rows of projects granted to a role they
  -- belong to; every other role (owner, operator, ingest) is unaffected. No FORCE: the owner, who
  -- runs braid itself and its migrations, bypasses it.
  FOR table_row IN
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'braid' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname <> 'analyst_grants'
      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'project_id' AND NOT a.attisdropped)
  LOOP
    EXECUTE format('ALTER TABLE braid.%I ENABLE ROW LEVEL SECURITY', table_row.relname);
    IF EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = format('braid.%I', table_row.relname)::regclass AND p.polname = 'analyst_projects') THEN
      EXECUTE format('DROP POLICY analyst_projects ON braid.%I', table_row.relname);
    END IF;
    EXECUTE format('CREATE POLICY analyst_projects ON braid.%I USING (%s)', table_row.relname, visible);
  END LOOP;

  -- Analysts read their own roles' grants (the policies above look them up as the caller).
  ALTER TABLE braid.analyst_grants ENABLE ROW LEVEL SECURITY;
  IF EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = 'braid.analyst_grants'::regclass AND p.polname = 'analyst_own_grants') THEN
    DROP POLICY analyst_own_grants ON braid.analyst_grants;
  END IF;
  CREATE POLICY analyst_own_grants ON braid.analyst_grants USING (
    (SELECT NOT pg_catalog.pg_has_role(CURRENT_USER, 'braid_analyst', 'MEMBER'))
    OR role_name IN (SELECT r.rolname FROM pg_catalog.pg_roles r WHERE pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'MEMBER')));
  GRANT SELECT ON braid.analyst_grants TO braid_analyst;
  DROP TABLE analyst_view_columns;
END
$fn$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION braid.apply_analyst_access() FROM PUBLIC;
--> statement-breakpoint
SELECT braid.apply_analyst_access();
