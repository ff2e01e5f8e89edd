-- One row per write of an event (its first write and each replay), with the transforms and the
-- project rules version that wrote it.
CREATE OR REPLACE VIEW analytics.lineage WITH (security_invoker = true) AS
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
  l.flags,
  l.rules_version
FROM braid.lineage l;
