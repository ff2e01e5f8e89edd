CREATE TABLE "braid"."lake_changes" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"event_date" date NOT NULL
);
--> statement-breakpoint
CREATE TABLE "braid"."lake_exports" (
	"lake_url" text PRIMARY KEY NOT NULL,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "braid"."lake_identity_changes" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"kind" text NOT NULL,
	"id" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "lake_changes_project_id_event_date_index" ON "braid"."lake_changes" USING btree ("project_id","event_date");