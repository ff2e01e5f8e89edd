CREATE TABLE "braid"."consumer_contracts" (
	"project_id" text NOT NULL,
	"consumer" text NOT NULL,
	"reads" jsonb NOT NULL,
	"updated_by" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consumer_contracts_project_id_consumer_pk" PRIMARY KEY("project_id","consumer")
);
