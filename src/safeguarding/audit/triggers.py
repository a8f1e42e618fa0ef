"""The database triggers that refuse any change to an audit row (UPDATE, DELETE, TRUNCATE), on SQLite
and PostgreSQL. There is no way to switch them off from inside the product; the test suite drops them
in its own throwaway database only (tests/conftest.py), and its tests of the rule put them back."""

from __future__ import annotations

from typing import Any

INSTALL = {
    "sqlite": [
        """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
           BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;""",
        """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
           BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;""",
    ],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
           BEGIN
             RAISE EXCEPTION 'the audit trail is append-only';
           END; $$ LANGUAGE plpgsql;""",
        """CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_auditevent
           FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();""",
        """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
           FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();""",
    ],
}

REMOVE = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS audit_event_no_update;",
        "DROP TRIGGER IF EXISTS audit_event_no_delete;",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS audit_event_no_change ON audit_auditevent;",
        "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;",
        "DROP FUNCTION IF EXISTS audit_event_append_only();",
    ],
}


def run(connection: Any, statements: dict[str, list[str]]) -> None:
    with connection.cursor() as cursor:
        for statement in statements.get(connection.vendor, []):
            cursor.execute(statement)
