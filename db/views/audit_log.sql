-- Every operator action through the API, newest last: who (token name and role), what
-- (`<METHOD> <route>`), on what (`target`), how it ended and with which safe fields
-- (`details`: status, route parameters and an allowlist of request fields; never
-- secrets, erased ids or consent ids), and from where (`source_ip`).
CREATE OR REPLACE VIEW analytics.audit_log WITH (security_invoker = true) AS
SELECT at, actor, role, action, target, details, source_ip, project_id
FROM braid.audit_log;
