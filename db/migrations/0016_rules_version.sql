ALTER TABLE "braid"."projects" ADD COLUMN "rules_version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "braid"."lineage" ADD COLUMN "rules_version" integer;--> statement-breakpoint
CREATE OR REPLACE VIEW analytics.lineage AS
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
--> statement-breakpoint
-- Re-applies security_invoker, column grants and row-level security to the re-created view and to braid.staged_events (0015).
SELECT braid.apply_analyst_access();
