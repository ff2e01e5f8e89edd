-- The grants the caller can see: a member of braid_analyst sees its own roles' projects.
CREATE OR REPLACE VIEW analytics.analyst_grants WITH (security_invoker = true) AS
SELECT g.role_name, g.project_id, g.granted_at FROM braid.analyst_grants g;
