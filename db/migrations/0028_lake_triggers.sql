-- The lake export's work list (braid.lake_changes, braid.lake_identity_changes): statement
-- triggers append one row per project and UTC event date that a statement on canonical_events
-- touched, and one per identity whose person a statement set or changed, while a lake is
-- registered (braid.lake_exports). Append-only, so concurrent writers never wait on one another.
-- Sandbox tables (created LIKE these) carry no triggers: sandboxes are not exported. The functions
-- run as their owner, so any process whose write they record (the worker's, the API's merges)
-- needs no privilege on the work list itself.
-- Whether a lake is registered: the triggers record nothing without one.
CREATE FUNCTION braid.lake_registered() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, braid
RETURN EXISTS (SELECT 1 FROM braid.lake_exports);
--> statement-breakpoint
CREATE FUNCTION braid.lake_mark_events() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, braid AS $fn$
BEGIN
  IF NOT braid.lake_registered() THEN
    RETURN NULL;
  END IF;
  EXECUTE format($q$
    INSERT INTO braid.lake_changes (project_id, event_date)
    SELECT DISTINCT project_id, (event_time AT TIME ZONE 'UTC')::date FROM %s r$q$, braid.rollup_rows(TG_OP));
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE FUNCTION braid.lake_mark_identities() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, braid AS $fn$
BEGIN
  IF NOT braid.lake_registered() THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    INSERT INTO braid.lake_identity_changes (project_id, kind, id)
    SELECT n.project_id, n.kind, n.id FROM new_rows n JOIN old_rows o USING (project_id, kind, id)
    WHERE n.person_id IS DISTINCT FROM o.person_id;
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO braid.lake_identity_changes (project_id, kind, id) SELECT project_id, kind, id FROM new_rows;
  ELSE
    INSERT INTO braid.lake_identity_changes (project_id, kind, id) SELECT project_id, kind, id FROM old_rows;
  END IF;
  RETURN NULL;
END
$fn$;
--> statement-breakpoint
CREATE TRIGGER lake_insert AFTER INSERT ON braid.canonical_events REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION braid.lake_mark_events();
--> statement-breakpoint
CREATE TRIGGER lake_update AFTER UPDATE ON braid.canonical_events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION braid.lake_mark_events();
--> statement-breakpoint
CREATE TRIGGER lake_delete AFTER DELETE ON braid.canonical_events REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION braid.lake_mark_events();
--> statement-breakpoint
CREATE TRIGGER lake_insert AFTER INSERT ON braid.identities REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION braid.lake_mark_identities();
--> statement-breakpoint
CREATE TRIGGER lake_update AFTER UPDATE ON braid.identities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION braid.lake_mark_identities();
--> statement-breakpoint
CREATE TRIGGER lake_delete AFTER DELETE ON braid.identities REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION braid.lake_mark_identities();
--> statement-breakpoint
SELECT braid.apply_analyst_access();
--> statement-breakpoint
SELECT braid.apply_process_access();
