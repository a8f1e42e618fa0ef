"""A hub in a process of its own, for the import tests that need one: a real database file (or a
scratch PostgreSQL database) shared by several processes, an import killed with SIGKILL, and a
sign-in on another connection while an import reads.

    python -m tests.exchange.probe DATA_DIR STEP [ARGS]

Run from the project folder. DATA_DIR holds the hub's data (and its SQLite file). With
PROBE_SERVER_URL set (a PostgreSQL server, as DATABASE_URL names one), the hub's database is a
scratch database on that server named after DATA_DIR, created by ``setup`` (or ``clone``) and
dropped by ``drop``. ``setup MIGRATED`` starts from a copy of a database already migrated (the run's
``migrated_hub``: an SQLite file, or a database on the PostgreSQL server), which ``migrate`` then
finds up to date; ``clone OTHER_DATA_DIR`` makes the hub a copy of one already set up: its data
folder and its database (migrating takes tens of seconds; a copy, a fraction of one). Each step
prints one line of JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

PASSWORD = "correct-horse-battery-staple"


def _database(data_dir: Path) -> tuple[str, str] | None:
    """The scratch PostgreSQL database's name and URL, or None for SQLite in the data folder."""
    server = os.environ.get("PROBE_SERVER_URL", "")
    if not server.startswith("postgres"):
        return None
    name = "probe_" + hashlib.sha1(str(data_dir).encode()).hexdigest()[:12]  # noqa: S324 - a name, not a secret
    base, _, query = server.partition("?")
    return name, f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")


def _server_command(sql: str) -> None:
    import psycopg

    server = os.environ["PROBE_SERVER_URL"]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    data_dir, step, *args = sys.argv[1:]
    os.environ["SAFEGUARDING_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "safeguarding.config.settings"
    scratch = _database(Path(data_dir))
    if scratch:
        name, os.environ["DATABASE_URL"] = scratch
        if step == "setup":
            _server_command(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{args[0]}"' if args else ""))
        if step == "drop":
            _server_command(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(json.dumps({"dropped": name}))
            return
    else:
        os.environ.pop("DATABASE_URL", None)
        if step == "setup" and args:
            Path(data_dir).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(args[0], Path(data_dir) / "safeguarding.sqlite3")  # the settings' file in DATA_DIR
    if step == "clone":
        (other,) = args
        shutil.copytree(other, data_dir, dirs_exist_ok=True)
        if scratch:
            other_name = _database(Path(other))
            assert other_name is not None
            _server_command(f'CREATE DATABASE "{scratch[0]}" TEMPLATE "{other_name[0]}"')
        print(json.dumps({"cloned": other}))
        return
    import django

    django.setup()
    result = STEPS[step](*([] if step == "setup" else args))
    print(json.dumps(result, default=str), flush=True)


def setup() -> dict[str, Any]:
    from django.core.management import call_command

    from safeguarding.accounts.models import Agency, AgencyKind, Role, User
    from safeguarding.people.models import SourceSystem

    call_command("migrate", verbosity=0)
    agency = Agency.objects.create(code="police", name="Police", kind=AgencyKind.POLICE)
    SourceSystem.objects.create(code="police-records", name="Police records", agency=agency)
    user = User(username="officer", first_name="Pat", last_name="Officer", agency=agency, role=Role.REFERRER)
    user.set_password(PASSWORD)
    user.save()
    return {"ok": True}


def sign_in_during_read(extract: str) -> dict[str, Any]:
    """Import ``extract``; as soon as it starts reading, sign in on another thread (so another
    database connection), which writes an audit row, and time how long that takes."""
    from django.test import Client
    from django.urls import reverse

    from safeguarding.audit.models import AuditEvent
    from safeguarding.core.errors import ServiceError
    from safeguarding.exchange.importer import import_extract

    found: dict[str, Any] = {}

    def sign_in() -> None:
        started = time.monotonic()
        try:
            before = AuditEvent.objects.count()
            response = Client(HTTP_HOST="localhost").post(
                reverse("accounts:sign-in"), {"username": "officer", "password": PASSWORD}
            )
            found["status"] = response.status_code
            found["audit_rows_written"] = AuditEvent.objects.count() - before
        except Exception as exc:  # "database is locked", as the hub answered with a 500
            found["error"] = f"{type(exc).__name__}: {exc}"
        found["seconds"] = time.monotonic() - started

    def progress(stage: str, done: int, total: int | None) -> None:
        if "thread" in found or not stage.startswith("reading"):
            return
        thread = threading.Thread(target=sign_in)
        found["thread"] = True
        thread.start()
        thread.join(timeout=15)
        found["finished_while_reading"] = not thread.is_alive()

    started = time.monotonic()
    try:
        result = import_extract(extract, progress=progress)
        outcome = {"status": result.run.status, "issues": [str(i) for i in result.issues]}
    except ServiceError as exc:
        outcome = {"error": str(exc)}
    found.pop("thread", None)
    return {"sign_in": found, "import": outcome, "import_seconds": time.monotonic() - started}


def import_and_die(extract: str, at: str) -> dict[str, Any]:
    """Import ``extract`` and kill this process with SIGKILL while it reads (``at=read``) or in
    the middle of its write, after people.csv is written and before events.csv (``at=write``)."""
    from safeguarding.exchange import upsert
    from safeguarding.exchange.importer import import_extract

    def die(*_: Any) -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    if at == "write":
        upsert.Upsert.events = die  # type: ignore[method-assign]
        import_extract(extract)
    else:
        import_extract(extract, progress=lambda stage, done, total: die() if stage.startswith("reading") else None)
    return {"survived": True}


def state() -> dict[str, Any]:
    """List the imports as ``safeguarding imports`` does, and what the hub and the disk hold."""
    import io

    from django.conf import settings
    from django.core.management import call_command

    from safeguarding.exchange.models import ImportRun
    from safeguarding.people.models import Event, Person, SourceRecord

    out = io.StringIO()
    call_command("imports", stdout=out)
    imports = Path(settings.DATA_DIR) / "imports"
    return {
        "runs": list(ImportRun.objects.order_by("pk").values("pk", "status", "pid", "host", "failure")),
        "listing": out.getvalue(),
        "persons": Person.objects.count(), "records": SourceRecord.objects.count(), "events": Event.objects.count(),
        "files": sorted(str(p.relative_to(imports)) for p in imports.rglob("*") if p.is_file()) if imports.exists()
        else [],
    }


def import_(extract: str) -> dict[str, Any]:
    from safeguarding.core.errors import ServiceError
    from safeguarding.exchange.importer import import_extract

    try:
        result = import_extract(extract)
    except ServiceError as exc:
        return {"error": str(exc)}
    return {"run": result.run.pk, "status": result.run.status, "created": result.counts["people.csv"].created}


STEPS = {
    "setup": setup, "sign-in-during-read": sign_in_during_read, "import-and-die": import_and_die,
    "state": state, "import": import_,
}

if __name__ == "__main__":
    main()
