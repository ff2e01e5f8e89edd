CREATE TABLE "braid"."health_counts" (
	"project_id" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"received" bigint DEFAULT 0 NOT NULL,
	"canonical" bigint DEFAULT 0 NOT NULL,
	"rejected" bigint DEFAULT 0 NOT NULL,
	"suppressed" bigint DEFAULT 0 NOT NULL,
	"duplicates" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "braid"."health_latency" (
	"project_id" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"bucket" smallint NOT NULL,
	"n" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "braid"."quality_counts" (
	"project_id" text NOT NULL,
	"channel" text NOT NULL,
	"event" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"volume" bigint DEFAULT 0 NOT NULL,
	"null_user_id" bigint DEFAULT 0 NOT NULL,
	"null_anonymous_id" bigint DEFAULT 0 NOT NULL,
	"unplanned_event" bigint DEFAULT 0 NOT NULL,
	"unplanned_property" bigint DEFAULT 0 NOT NULL,
	"naming_violation" bigint DEFAULT 0 NOT NULL,
	"schema_violation" bigint DEFAULT 0 NOT NULL,
	"currency_violation" bigint DEFAULT 0 NOT NULL,
	"blocked" bigint DEFAULT 0 NOT NULL,
	"blocked_unplanned_event" bigint DEFAULT 0 NOT NULL,
	"blocked_unplanned_property" bigint DEFAULT 0 NOT NULL,
	"blocked_naming_violation" bigint DEFAULT 0 NOT NULL,
	"blocked_schema_violation" bigint DEFAULT 0 NOT NULL,
	"blocked_currency_violation" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX "health_counts_project_id_minute_index" ON "braid"."health_counts" USING btree ("project_id","minute");--> statement-breakpoint
CREATE INDEX "health_latency_project_id_minute_bucket_index" ON "braid"."health_latency" USING btree ("project_id","minute","bucket");--> statement-breakpoint
CREATE INDEX "quality_counts_project_id_channel_event_hour_index" ON "braid"."quality_counts" USING btree ("project_id","channel","event","hour");--> statement-breakpoint
CREATE INDEX "quality_counts_project_id_hour_index" ON "braid"."quality_counts" USING btree ("project_id","hour");