"""The ``safeguarding`` command: the hub's own commands and every Django management command.

safeguarding demo            generate a synthetic partnership and import it
safeguarding import PATH     import an extract in the exchange format (folder or .zip)
safeguarding serve           run the hub at http://127.0.0.1:8000
safeguarding audit verify    check the audit trail has not been tampered with
safeguarding migrate, createsuperuser, ...   Django's own commands
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from typing import Any

# The hub's command names that are not valid Python module names, or read better as two words.
ALIASES = {"import": "import_extract"}

# What the databases say of a table that is not there: SQLite's "no such table: x", PostgreSQL's
# 'relation "x" does not exist'.
MISSING_TABLE = re.compile(r'no such table: \S+|relation "[^"]+" does not exist')


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.config.settings")
    args = list(sys.argv if argv is None else argv)
    args[0] = "safeguarding"
    if len(args) > 1:
        args[1] = ALIASES.get(args[1], args[1])
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError, ProgrammingError

    from safeguarding.audit.context import audit_context

    try:
        # Commands run by hand are recorded in the audit trail as coming from the command line.
        with audit_context(channel="command line"):
            execute_from_command_line(args)
    except (OperationalError, ProgrammingError) as exc:
        # A database never migrated (a mistyped DATABASE_URL makes a new, empty SQLite file): one line
        # saying what to do, not a traceback. Any other database error is raised as it was.
        missing = MISSING_TABLE.search(str(exc))
        if missing is None:
            raise
        from django.conf import settings

        where = database_where(settings.DATABASES["default"])
        print(f"The database at {where} has no hub tables ({missing.group(0)}): run `safeguarding migrate` "
              "(or `make run` to set everything up).", file=sys.stderr)
        sys.exit(1)


def database_where(database: Mapping[str, Any]) -> str:
    """Where a database (its settings) is, in words, without its user or password: the SQLite file, or
    PostgreSQL's database name, host and port."""
    if database["ENGINE"].endswith("sqlite3"):
        return str(database["NAME"])
    host = database.get("HOST") or "localhost"
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"{database.get('NAME', '')} on {host}{port}"


if __name__ == "__main__":
    main()
