"""The database itself refuses to change or delete audit rows (on SQLite and PostgreSQL).

The one exception is a maintenance window: while ``audit_maintenance_window`` holds a row, the
triggers stand aside. It is opened only for the test suite's database resets and for a retention
purge run by a database administrator; the hash chain still shows any row changed meanwhile."""

from django.db import migrations

WINDOW = "CREATE TABLE audit_maintenance_window (opened_by varchar(200) NOT NULL, reason text NOT NULL)"

SQLITE = [
    WINDOW,
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance_window)
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       WHEN NOT EXISTS (SELECT 1 FROM audit_maintenance_window)
       BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_update;",
    "DROP TRIGGER IF EXISTS audit_event_no_delete;",
    "DROP TABLE IF EXISTS audit_maintenance_window;",
]

POSTGRES = [
    WINDOW,
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
       BEGIN
         IF NOT EXISTS (SELECT 1 FROM audit_maintenance_window) THEN
           RAISE EXCEPTION 'the audit trail is append-only';
         END IF;
         IF TG_OP = 'UPDATE' THEN RETURN NEW; END IF;
         RETURN OLD;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
       FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS audit_event_no_change ON audit_auditevent;",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;",
    "DROP FUNCTION IF EXISTS audit_event_append_only();",
    "DROP TABLE IF EXISTS audit_maintenance_window;",
]


def _run(statements_by_vendor):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        ),
    ]
