CREATE TABLE "braid"."identity_links" (
	"link_id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"a_kind" text NOT NULL,
	"a_id" text NOT NULL,
	"b_kind" text NOT NULL,
	"b_id" text NOT NULL,
	"rule" text NOT NULL,
	"event_id" text,
	"status" text NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text,
	"undone_at" timestamp with time zone,
	"undone_by" text
);
--> statement-breakpoint
CREATE INDEX "identity_links_project_id_a_kind_a_id_index" ON "braid"."identity_links" USING btree ("project_id","a_kind","a_id");--> statement-breakpoint
CREATE INDEX "identity_links_project_id_b_kind_b_id_index" ON "braid"."identity_links" USING btree ("project_id","b_kind","b_id");--> statement-breakpoint
CREATE UNIQUE INDEX "identity_links_refused_once" ON "braid"."identity_links" USING btree ("project_id","a_kind","a_id","b_kind","b_id","reason") WHERE "braid"."identity_links"."status" = 'refused';