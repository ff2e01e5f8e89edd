CREATE TABLE "braid"."api_tokens" (
	"token_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_tokens_tokenHash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "braid"."write_keys" (
	"key_id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"channel" text NOT NULL,
	"key_hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "write_keys_keyHash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE TABLE "braid"."operations" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"project_id" text NOT NULL,
	"status" text NOT NULL,
	"params" jsonb NOT NULL,
	"position" bigint DEFAULT 0 NOT NULL,
	"cursor" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"total" bigint,
	"counts" jsonb NOT NULL,
	"error" text,
	"workflow_id" text NOT NULL,
	"requested_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "braid"."rejected_events" ADD COLUMN "resolved_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "braid"."rejected_events" ADD COLUMN "resolved_by" text;--> statement-breakpoint
CREATE INDEX "api_tokens_role_index" ON "braid"."api_tokens" USING btree ("role");--> statement-breakpoint
CREATE INDEX "write_keys_project_id_channel_index" ON "braid"."write_keys" USING btree ("project_id","channel");--> statement-breakpoint
CREATE INDEX "operations_project_id_kind_created_at_index" ON "braid"."operations" USING btree ("project_id","kind","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "lineage_replay_once" ON "braid"."lineage" USING btree ("project_id","event_id","replay_id") WHERE "braid"."lineage"."replay_id" IS NOT NULL;