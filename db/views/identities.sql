-- Every known id (kind user or anonymous) and its person.
CREATE OR REPLACE VIEW analytics.identities WITH (security_invoker = true) AS
SELECT i.project_id, i.kind, i.id, i.person_id
FROM braid.identities i;
