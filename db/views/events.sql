-- One row per canonical event; person_id is the person as known now (identity merges apply
-- retroactively).
CREATE OR REPLACE VIEW analytics.events WITH (security_invoker = true) AS
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
