-- Sessions in event time; the person is the one the session's device id belongs to now.
CREATE OR REPLACE VIEW analytics.sessions WITH (security_invoker = true) AS
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
