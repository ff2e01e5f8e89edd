-- Row-level security and the process roles' grants for braid.consumer_contracts.
SELECT braid.apply_analyst_access();
--> statement-breakpoint
SELECT braid.apply_process_access();
