-- Recorded merges of ids (and refused ones), with who undid them.
CREATE OR REPLACE VIEW analytics.identity_links WITH (security_invoker = true) AS
SELECT l.project_id, l.link_id AS merge_id, l.a_kind, l.a_id, l.b_kind, l.b_id, l.rule, l.event_id, l.status, l.reason,
       l.created_at, l.created_by, l.undone_at, l.undone_by
FROM braid.identity_links l;
