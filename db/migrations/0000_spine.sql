CREATE SCHEMA "braid";
--> statement-breakpoint
CREATE TABLE "braid"."projects" (
	"project_id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"settings" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "braid"."receipts" (
	"source_stream" text NOT NULL,
	"source_sequence" bigint NOT NULL,
	"project_id" text,
	"channel" text,
	"received_at" timestamp with time zone NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "receipts_source_stream_source_sequence_pk" PRIMARY KEY("source_stream","source_sequence")
);
--> statement-breakpoint
CREATE TABLE "braid"."canonical_events" (
	"project_id" text NOT NULL,
	"event_id" text NOT NULL,
	"channel" text NOT NULL,
	"type" text NOT NULL,
	"event" text,
	"name" text,
	"user_id" text,
	"anonymous_id" text,
	"previous_id" text,
	"group_id" text,
	"device_key" text NOT NULL,
	"session_id" text,
	"client_session_id" text,
	"event_time" timestamp with time zone NOT NULL,
	"client_timestamp" text,
	"sent_at" text,
	"received_at" timestamp with time zone NOT NULL,
	"written_at" timestamp with time zone DEFAULT now() NOT NULL,
	"properties" jsonb NOT NULL,
	"traits" jsonb NOT NULL,
	"context" jsonb NOT NULL,
	"flags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"source_stream" text NOT NULL,
	"source_sequence" bigint NOT NULL,
	CONSTRAINT "canonical_events_project_id_event_id_pk" PRIMARY KEY("project_id","event_id")
);
--> statement-breakpoint
CREATE TABLE "braid"."lineage" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"event_id" text NOT NULL,
	"source_stream" text NOT NULL,
	"source_sequence" bigint NOT NULL,
	"source_subject" text,
	"channel" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"transforms" jsonb NOT NULL,
	"flags" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"workflow_id" text,
	"run_id" text,
	"replay_id" text,
	"backfill_id" text,
	"destination" text NOT NULL,
	"written_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "braid"."rejected_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"project_id" text,
	"channel" text,
	"subject" text,
	"received_at" timestamp with time zone NOT NULL,
	"message_id" text,
	"reason" text NOT NULL,
	"details" jsonb NOT NULL,
	"payload" jsonb,
	"source_stream" text NOT NULL,
	"source_sequence" bigint NOT NULL,
	"rejected_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "braid"."duplicates" (
	"source_stream" text NOT NULL,
	"source_sequence" bigint NOT NULL,
	"project_id" text NOT NULL,
	"channel" text NOT NULL,
	"message_id" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"detected_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "duplicates_source_stream_source_sequence_pk" PRIMARY KEY("source_stream","source_sequence")
);
--> statement-breakpoint
CREATE TABLE "braid"."identities" (
	"project_id" text NOT NULL,
	"kind" text NOT NULL,
	"id" text NOT NULL,
	"person_id" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "identities_project_id_kind_id_pk" PRIMARY KEY("project_id","kind","id")
);
--> statement-breakpoint
CREATE TABLE "braid"."sessions" (
	"project_id" text NOT NULL,
	"session_id" text NOT NULL,
	"channel" text NOT NULL,
	"device_key" text NOT NULL,
	"client_session_id" text,
	"started_at" timestamp (3) with time zone NOT NULL,
	"ended_at" timestamp (3) with time zone NOT NULL,
	"event_count" integer NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sessions_project_id_session_id_pk" PRIMARY KEY("project_id","session_id")
);
--> statement-breakpoint
CREATE INDEX "receipts_project_id_received_at_index" ON "braid"."receipts" USING btree ("project_id","received_at");--> statement-breakpoint
CREATE INDEX "canonical_events_project_id_event_time_index" ON "braid"."canonical_events" USING btree ("project_id","event_time");--> statement-breakpoint
CREATE INDEX "canonical_events_project_id_user_id_index" ON "braid"."canonical_events" USING btree ("project_id","user_id");--> statement-breakpoint
CREATE INDEX "canonical_events_project_id_anonymous_id_index" ON "braid"."canonical_events" USING btree ("project_id","anonymous_id");--> statement-breakpoint
CREATE INDEX "canonical_events_project_id_channel_device_key_event_time_index" ON "braid"."canonical_events" USING btree ("project_id","channel","device_key","event_time");--> statement-breakpoint
CREATE INDEX "canonical_events_project_id_session_id_index" ON "braid"."canonical_events" USING btree ("project_id","session_id");--> statement-breakpoint
CREATE INDEX "lineage_project_id_event_id_index" ON "braid"."lineage" USING btree ("project_id","event_id");--> statement-breakpoint
CREATE INDEX "lineage_source_stream_source_sequence_index" ON "braid"."lineage" USING btree ("source_stream","source_sequence");--> statement-breakpoint
CREATE UNIQUE INDEX "rejected_events_source_stream_source_sequence_index" ON "braid"."rejected_events" USING btree ("source_stream","source_sequence");--> statement-breakpoint
CREATE INDEX "rejected_events_project_id_received_at_index" ON "braid"."rejected_events" USING btree ("project_id","received_at");--> statement-breakpoint
CREATE INDEX "duplicates_project_id_received_at_index" ON "braid"."duplicates" USING btree ("project_id","received_at");--> statement-breakpoint
CREATE INDEX "identities_project_id_person_id_index" ON "braid"."identities" USING btree ("project_id","person_id");--> statement-breakpoint
CREATE INDEX "sessions_project_id_channel_device_key_ended_at_index" ON "braid"."sessions" USING btree ("project_id","channel","device_key","ended_at");