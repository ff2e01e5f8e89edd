CREATE TABLE "braid"."staged_events" (
	"source_stream" text NOT NULL,
	"source_sequence" bigint NOT NULL,
	"project_id" text NOT NULL,
	"host_id" text NOT NULL,
	"channel" text NOT NULL,
	"device_key" text NOT NULL,
	"event" jsonb NOT NULL,
	"hold_until" timestamp (3) with time zone,
	"staged_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "staged_events_source_stream_source_sequence_pk" PRIMARY KEY("source_stream","source_sequence")
);
--> statement-breakpoint
ALTER TABLE "braid"."duplicates" ADD COLUMN "device_key" text;--> statement-breakpoint
ALTER TABLE "braid"."suppressions" ADD COLUMN "device_key" text;--> statement-breakpoint
CREATE INDEX "staged_events_host_id_source_sequence_index" ON "braid"."staged_events" USING btree ("host_id","source_sequence");--> statement-breakpoint
CREATE INDEX "staged_events_held" ON "braid"."staged_events" USING btree ("host_id","hold_until") WHERE "braid"."staged_events"."hold_until" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "staged_events_project_id_channel_device_key_index" ON "braid"."staged_events" USING btree ("project_id","channel","device_key");--> statement-breakpoint
CREATE INDEX "duplicates_project_id_channel_device_key_index" ON "braid"."duplicates" USING btree ("project_id","channel","device_key");--> statement-breakpoint
CREATE INDEX "suppressions_project_id_channel_device_key_index" ON "braid"."suppressions" USING btree ("project_id","channel","device_key");--> statement-breakpoint
-- A queue table: rows come and go all day, so vacuum it often.
ALTER TABLE "braid"."staged_events" SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000);
