CREATE TABLE "braid"."event_schemas" (
	"id" bigserial NOT NULL,
	"project_id" text NOT NULL,
	"event_key" text NOT NULL,
	"model" integer NOT NULL,
	"revision" integer NOT NULL,
	"addition" integer NOT NULL,
	"version" text NOT NULL,
	"schema" jsonb NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "event_schemas_project_id_event_key_model_revision_addition_pk" PRIMARY KEY("project_id","event_key","model","revision","addition")
);
--> statement-breakpoint
CREATE TABLE "braid"."schema_changelog" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"event_key" text NOT NULL,
	"version" text NOT NULL,
	"previous_version" text,
	"change" text NOT NULL,
	"author" text,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"summary" text NOT NULL,
	"diff" jsonb NOT NULL,
	"comment" text
);
--> statement-breakpoint
CREATE INDEX "schema_changelog_project_id_event_key_id_index" ON "braid"."schema_changelog" USING btree ("project_id","event_key","id");