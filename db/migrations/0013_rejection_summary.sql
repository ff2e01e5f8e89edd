ALTER TABLE "braid"."rejected_events" ADD COLUMN "event_name" text;--> statement-breakpoint
ALTER TABLE "braid"."rejected_events" ADD COLUMN "event_time" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "braid"."rejected_events" ADD COLUMN "rules" text[];