-- Rejected messages with their raw payload and details (raw PII: not for braid_analyst; see
-- analytics.rejections).
CREATE OR REPLACE VIEW analytics.rejected_events WITH (security_invoker = true) AS
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
  r.rejected_at,
  r.resolved_at,
  r.resolved_by
FROM braid.rejected_events r;
