-- Derived from db/views by `npm run db:views` (scripts/derive-view-migration.ts): what db/views
-- says and the earlier migrations did not yield. braid.apply_analyst_access() ends it (grants,
-- row-level security, security_invoker).
-- created analytics.audit_log; analysts' access brought up to date on braid.audit_log,
-- braid.audit_log policy analyst_projects.
-- Every operator action through the API, newest last: who (token name and role), what
-- (`<METHOD> <route>`), on what (`target`), how it ended and with which safe fields
-- (`details`: status, route parameters and an allowlist of request fields; never
-- secrets, erased ids or consent ids), and from where (`source_ip`).
CREATE OR REPLACE VIEW analytics.audit_log WITH (security_invoker = true) AS
SELECT at, actor, role, action, target, details, source_ip, project_id
FROM braid.audit_log;
--> statement-breakpoint
SELECT braid.apply_analyst_access();
