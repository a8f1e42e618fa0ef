"""Imports as processes (src/safeguarding/exchange/runs.py): one at a time, never holding the
database while they read, and a killed import found interrupted with nothing of it half-written.

The tests that kill an import or sign in beside one run a hub in processes of their own
(tests/exchange/probe.py), on a database file (or a scratch PostgreSQL database) they share, as
the hub's web server and an import do.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings

from safeguarding.accounts.models import Agency, AgencyKind
from safeguarding.core.errors import ServiceError
from safeguarding.exchange import runs
from safeguarding.exchange.importer import import_extract
from safeguarding.exchange.models import ImportRun, ImportStatus
from safeguarding.exchange.runs import import_lock, import_runs_mark_interrupted
from safeguarding.people.models import SourceRecord, SourceSystem
from tests.conftest import MigratedHub

PROJECT = Path(__file__).resolve().parents[2]

# The hubs in processes of their own are given the run's database (Hub): on PostgreSQL's run, its server.
pytestmark = pytest.mark.reaches_the_database
PEOPLE = b"source_system,record_id,given_name,family_name\n" + b"".join(
    b"police-records,P%d,Chloe,Barker\n" % n for n in range(50)
)
EVENTS = b"source_system,event_id,record_id,event_type,occurred_at\n" + b"".join(
    b"police-records,E%d,P1,concern,2025-01-10\n" % n for n in range(50)
)


@pytest.fixture(autouse=True)
def data_dir(settings: Settings, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    return Path(settings.DATA_DIR)


@pytest.fixture
def police(db: None) -> SourceSystem:
    agency = Agency.objects.create(code="police", name="Police", kind=AgencyKind.POLICE)
    return SourceSystem.objects.create(code="police-records", name="Police records", agency=agency)


def write_extract(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "people.csv").write_bytes(PEOPLE)
    (folder / "events.csv").write_bytes(EVENTS)
    return folder


class Hub:
    """A hub in processes of its own (tests/exchange/probe.py), sharing one database."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SAFEGUARDING_DATA_DIR")}
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            self.env["PROBE_SERVER_URL"] = os.environ["DATABASE_URL"]

    def run(self, *step: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tests.exchange.probe", str(self.data_dir), *step],
            cwd=PROJECT, env={**self.env, **(env or {})}, capture_output=True, text=True, timeout=timeout, check=False,
        )

    def step(self, *step: str, env: dict[str, str] | None = None) -> dict[str, Any]:
        done = self.run(*step, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result


@pytest.fixture(scope="module")
def set_up_hub(tmp_path_factory: pytest.TempPathFactory, migrated_hub: MigratedHub | None) -> Any:
    """A hub set up once (migrated, a police user): each test's hub is a copy of it. Its database starts
    as a copy of the run's database migrated once (tests/conftest.py), which migrating then finds up to date."""
    made = Hub(tmp_path_factory.mktemp("hub-set-up") / "hub")
    vendor = "postgresql" if "PROBE_SERVER_URL" in made.env else "sqlite"
    made.step("setup", *([migrated_hub.location] if migrated_hub and migrated_hub.vendor == vendor else []))
    yield made
    if "PROBE_SERVER_URL" in made.env:
        made.step("drop")


@pytest.fixture
def hub(set_up_hub: Hub, tmp_path: Path) -> Any:
    made = Hub(tmp_path / "hub")
    made.step("clone", str(set_up_hub.data_dir))
    yield made
    if "PROBE_SERVER_URL" in made.env:
        made.step("drop")


# --- Never holding the database while reading -----------------------------------------------------


def test_sign_in_writes_its_audit_row_at_once_while_an_import_reads_a_zip_bomb(hub: Hub, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive, archive.open("people.csv", "w") as f:
        f.write(PEOPLE)
        for _ in range(20):
            f.write(b"\n" * 1024 * 1024)  # 20 MB of blank lines

    # The zip's own check would refuse this bomb before reading it; let it be read, to see the
    # reading stop at the run of blank lines and the hub answer meanwhile.
    found = hub.step("sign-in-during-read", str(bomb), env={"IMPORT_MAX_COMPRESSION_RATIO": "1000000"})

    sign_in = found["sign_in"]
    assert sign_in.get("finished_while_reading"), sign_in  # before: waited for the import's lock, then a 500
    assert "error" not in sign_in, sign_in
    assert sign_in["status"] == 302 and sign_in["audit_rows_written"] == 1
    assert sign_in["seconds"] < 5
    assert "10,000 blank lines in a row from line 52" in found["import"]["issues"][0]
    assert found["import_seconds"] < 30


# --- Killed imports -------------------------------------------------------------------------------


@pytest.mark.parametrize("at", ["read", "write"])
def test_an_import_killed_at_any_moment_leaves_nothing_and_is_found_interrupted(
    hub: Hub, tmp_path: Path, at: str
) -> None:
    extract = write_extract(tmp_path / "extract")

    killed = hub.run("import-and-die", str(extract), at)
    assert killed.returncode == -9, killed.stderr[-2000:]

    state = hub.step("state")
    (run,) = state["runs"]
    assert run["status"] == ImportStatus.INTERRUPTED
    assert f"process {run['pid']} on {run['host']} is gone" in run["failure"]
    assert "nothing from it was saved" in run["failure"]
    assert "interrupted" in state["listing"]
    assert (state["persons"], state["records"], state["events"]) == (0, 0, 0)
    assert state["files"] == []  # its staged rows and any rejects file for them are gone

    again = hub.step("import", str(extract))
    assert (again["status"], again["created"]) == (ImportStatus.COMPLETED, 50)


def test_a_run_left_running_is_marked_interrupted_by_the_next_import(hub: Hub, tmp_path: Path) -> None:
    extract = write_extract(tmp_path / "extract")
    assert hub.run("import-and-die", str(extract), "read").returncode == -9

    hub.step("import", str(extract))

    runs_seen = hub.step("state")["runs"]
    assert [r["status"] for r in runs_seen] == [ImportStatus.INTERRUPTED, ImportStatus.COMPLETED]


# --- One at a time --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_import_while_one_runs_is_refused_naming_the_running_one(
    police: SourceSystem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runs, "LOCK_WAIT_SECONDS", 0.2)
    running = ImportRun.objects.create(
        started_at="2026-11-22T02:00:00Z", source_path="/extracts/nightly.zip", initiated_by="nightly job",
        status=ImportStatus.RUNNING, pid=os.getpid(), host=runs.this_process().host,
    )

    with import_lock(wait=0) as held:  # as the running import holds it
        assert held
        with pytest.raises(ServiceError, match=rf"Another import is running \(run {running.pk} of /extracts/nightly.zip"):
            import_extract(write_extract(tmp_path / "extract"))

    assert not SourceRecord.objects.exists()
    running.refresh_from_db()
    assert running.status == ImportStatus.RUNNING  # the import that holds the lock is left alone


@pytest.mark.django_db
def test_listing_marks_a_run_whose_process_is_gone_and_leaves_a_live_one(police: SourceSystem) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    host = runs.this_process().host
    me = runs.this_process()
    dead = ImportRun.objects.create(started_at="2026-11-22T02:00:00Z", source_path="a.zip", initiated_by="x",
                                    status=ImportStatus.RUNNING, pid=int(gone.stdout), host=host)
    live = ImportRun.objects.create(started_at="2026-11-22T03:00:00Z", source_path="b.zip", initiated_by="x",
                                    status=ImportStatus.RUNNING, pid=me.pid, host=host,
                                    process_started_at=me.started_at)

    with import_lock(wait=0):  # an import is running: only the run whose process is gone is interrupted
        assert import_runs_mark_interrupted() == 1
    dead.refresh_from_db()
    live.refresh_from_db()
    assert (dead.status, live.status) == (ImportStatus.INTERRUPTED, ImportStatus.RUNNING)

    out = io.StringIO()
    call_command("imports", stdout=out)  # the lock is free: no import can be running

    live.refresh_from_db()
    assert live.status == ImportStatus.INTERRUPTED
    assert "interrupted" in out.getvalue() and "b.zip" in out.getvalue()


@pytest.mark.django_db
def test_each_run_records_its_process(police: SourceSystem, tmp_path: Path) -> None:
    result = import_extract(write_extract(tmp_path / "extract"))

    me = runs.this_process()
    assert (result.run.pid, result.run.host) == (me.pid, me.host)
    if Path("/proc").is_dir():
        assert result.run.process_started_at == me.started_at
    assert not (Path(tmp_path / "data" / "imports" / "staging") / f"run-{result.run.pk}").exists()
