CREATE TABLE "braid"."rule_canaries" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"percent" integer NOT NULL,
	"changes" jsonb NOT NULL,
	"settings" jsonb NOT NULL,
	"canary_version" integer NOT NULL,
	"control_version" integer NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_by" text,
	"ended_at" timestamp with time zone,
	"ended_by" text,
	"replay_id" text
);
--> statement-breakpoint
ALTER TABLE "braid"."rejected_events" ADD COLUMN "rules_version" integer;--> statement-breakpoint
ALTER TABLE "braid"."rejected_events" ADD COLUMN "device_key" text;--> statement-breakpoint
ALTER TABLE "braid"."suppressions" ADD COLUMN "rules_version" integer;--> statement-breakpoint
CREATE UNIQUE INDEX "rule_canaries_one_running" ON "braid"."rule_canaries" USING btree ("project_id") WHERE "braid"."rule_canaries"."status" = 'running';--> statement-breakpoint
CREATE UNIQUE INDEX "rule_canaries_project_id_canary_version_index" ON "braid"."rule_canaries" USING btree ("project_id","canary_version");--> statement-breakpoint
CREATE INDEX "rule_canaries_project_id_started_at_index" ON "braid"."rule_canaries" USING btree ("project_id","started_at");--> statement-breakpoint
CREATE INDEX "lineage_written_at_index" ON "braid"."lineage" USING brin ("written_at");