CREATE TABLE "braid"."analyst_grants" (
	"role_name" text NOT NULL,
	"project_id" text NOT NULL,
	"granted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"granted_by" text,
	CONSTRAINT "analyst_grants_role_name_project_id_pk" PRIMARY KEY("role_name","project_id")
);
--> statement-breakpoint
CREATE INDEX "analyst_grants_project_id_index" ON "braid"."analyst_grants" USING btree ("project_id");