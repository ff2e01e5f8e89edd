-- Analyst views over braid's internal tables (contract section 5).
CREATE SCHEMA IF NOT EXISTS analytics;
--> statement-breakpoint
CREATE VIEW analytics.events AS
SELECT
  e.event_id,
  e.project_id,
  COALESCE(u.person_id, a.person_id) AS person_id,
  e.user_id,
  e.anonymous_id,
  e.session_id,
  e.channel,
  e.type,
  COALESCE(e.event, e.name) AS event,
  e.event_time,
  e.received_at,
  e.written_at,
  e.properties,
  e.traits,
  e.context
FROM braid.canonical_events e
LEFT JOIN braid.identities u ON u.project_id = e.project_id AND u.kind = 'user' AND u.id = e.user_id
LEFT JOIN braid.identities a ON a.project_id = e.project_id AND a.kind = 'anonymous' AND a.id = e.anonymous_id;
--> statement-breakpoint
CREATE VIEW analytics.lineage AS
SELECT
  l.event_id,
  l.project_id,
  l.source_stream,
  l.source_sequence,
  l.source_subject,
  l.channel,
  l.received_at,
  l.transforms,
  l.workflow_id,
  l.run_id,
  l.replay_id,
  l.backfill_id,
  l.destination,
  l.written_at,
  l.flags
FROM braid.lineage l;
--> statement-breakpoint
CREATE VIEW analytics.rejected_events AS
SELECT
  r.project_id,
  r.channel,
  r.received_at,
  r.message_id,
  r.reason,
  r.details,
  r.payload,
  r.source_sequence,
  r.source_stream,
  r.subject,
  r.rejected_at
FROM braid.rejected_events r;
--> statement-breakpoint
CREATE VIEW analytics.identities AS
SELECT i.project_id, i.kind, i.id, i.person_id
FROM braid.identities i;
--> statement-breakpoint
CREATE VIEW analytics.accounting AS
WITH accepted AS (
  SELECT project_id, count(*) AS n FROM braid.receipts WHERE project_id IS NOT NULL GROUP BY project_id
), canonical AS (
  SELECT project_id, count(*) AS n FROM braid.canonical_events GROUP BY project_id
), rejected AS (
  SELECT project_id, count(*) AS n FROM braid.rejected_events WHERE project_id IS NOT NULL GROUP BY project_id
), dups AS (
  SELECT project_id, count(*) AS n FROM braid.duplicates GROUP BY project_id
), ids AS (
  SELECT project_id FROM accepted UNION SELECT project_id FROM canonical
  UNION SELECT project_id FROM rejected UNION SELECT project_id FROM dups
)
SELECT
  ids.project_id,
  COALESCE(accepted.n, 0)::bigint AS accepted,
  COALESCE(canonical.n, 0)::bigint AS canonical,
  COALESCE(rejected.n, 0)::bigint AS rejected,
  0::bigint AS suppressed,
  COALESCE(dups.n, 0)::bigint AS duplicates
FROM ids
LEFT JOIN accepted USING (project_id)
LEFT JOIN canonical USING (project_id)
LEFT JOIN rejected USING (project_id)
LEFT JOIN dups USING (project_id);
--> statement-breakpoint
CREATE VIEW analytics.sessions AS
SELECT
  s.session_id,
  s.project_id,
  i.person_id,
  s.channel,
  s.started_at,
  s.ended_at,
  s.event_count,
  extract(epoch FROM (s.ended_at - s.started_at))::numeric AS duration_seconds,
  s.client_session_id
FROM braid.sessions s
LEFT JOIN braid.identities i
  ON i.project_id = s.project_id
 AND i.kind = CASE WHEN s.device_key LIKE 'a:%' THEN 'anonymous' ELSE 'user' END
 AND i.id = substr(s.device_key, 3);
