-- Funnels (analytics.funnel and analytics.funnel_by_channel count the rows of this function).
--
-- A person reaches step k when they did steps[1..k] in order: events e1 < e2 < … < ek, where <
-- is (event_time, event_id) order (strictly increasing time, ties broken by event_id in byte
-- order, COLLATE "C", as in every analyst function), on any channels, with e1 inside [from_time, to_time)
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
CREATE OR REPLACE FUNCTION analytics.funnel_persons(
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
