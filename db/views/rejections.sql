-- analytics.rejected_events carries the raw payload and details, which braid_analyst may not read;
-- this view is the same rows without them.
CREATE OR REPLACE VIEW analytics.rejections WITH (security_invoker = true) AS
SELECT r.project_id, r.channel, r.received_at, r.message_id, r.reason, r.source_stream, r.source_sequence, r.subject,
       r.rejected_at, r.resolved_at, r.resolved_by
FROM braid.rejected_events r;
