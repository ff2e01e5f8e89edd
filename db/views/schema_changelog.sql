-- Every accepted schema change: which event, which version, who, when, what changed.
CREATE OR REPLACE VIEW analytics.schema_changelog WITH (security_invoker = true) AS
SELECT
  c.project_id,
  c.event_key AS event,
  c.version,
  c.previous_version,
  c.change,
  c.author,
  c.changed_at,
  c.summary,
  c.diff,
  c.comment
FROM braid.schema_changelog c;
