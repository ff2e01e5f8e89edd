CREATE TABLE "braid"."consent_records" (
	"record_id" bigserial PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"kind" text NOT NULL,
	"subject_id" text NOT NULL,
	"category" text NOT NULL,
	"granted" boolean NOT NULL,
	"effective_at" timestamp (3) with time zone NOT NULL,
	"source" text NOT NULL,
	"event_id" text,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "braid"."erased_subjects" (
	"project_id" text NOT NULL,
	"kind" text NOT NULL,
	"subject_id" text NOT NULL,
	"operation_id" text NOT NULL,
	"state" text NOT NULL,
	"since" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "erased_subjects_project_id_kind_subject_id_pk" PRIMARY KEY("project_id","kind","subject_id")
);
--> statement-breakpoint
CREATE TABLE "braid"."project_secrets" (
	"project_id" text PRIMARY KEY NOT NULL,
	"pii_key" "bytea" NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "braid"."suppressions" (
	"source_stream" text NOT NULL,
	"source_sequence" bigint NOT NULL,
	"project_id" text NOT NULL,
	"channel" text NOT NULL,
	"day" date NOT NULL,
	"category" text NOT NULL,
	"reason" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "suppressions_source_stream_source_sequence_pk" PRIMARY KEY("source_stream","source_sequence")
);
--> statement-breakpoint
CREATE INDEX "consent_records_project_id_kind_subject_id_category_effective_at_index" ON "braid"."consent_records" USING btree ("project_id","kind","subject_id","category","effective_at");--> statement-breakpoint
CREATE UNIQUE INDEX "consent_records_once" ON "braid"."consent_records" USING btree ("project_id","kind","subject_id","category","effective_at","event_id");--> statement-breakpoint
CREATE INDEX "suppressions_project_id_day_index" ON "braid"."suppressions" USING btree ("project_id","day");