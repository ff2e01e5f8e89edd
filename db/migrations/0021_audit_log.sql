CREATE TABLE "braid"."audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text,
	"role" text,
	"action" text NOT NULL,
	"target" text,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"source_ip" text,
	"project_id" text
);
--> statement-breakpoint
CREATE INDEX "audit_log_at_index" ON "braid"."audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_log_project_id_at_index" ON "braid"."audit_log" USING btree ("project_id","at");--> statement-breakpoint
CREATE INDEX "audit_log_actor_at_index" ON "braid"."audit_log" USING btree ("actor","at");