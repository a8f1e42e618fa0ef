"""The background worker as it runs in production: a process of its own (``safeguarding worker``)
over the queue in the hub's database. A job that fails is tried again, then kept as failed, and
administrators see it on *Background jobs*."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule, Task

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.workflows.jobs import schedules_install
from safeguarding.workflows.scheduled import SCHEDULES
from tests.conftest import MigratedHub
from tests.factories import sign_in

HUB = [sys.executable, "-m", "safeguarding.cli"]


def test_a_real_worker_runs_jobs_and_retries_a_failing_one(tmp_path: Path, migrated_hub: MigratedHub | None) -> None:
    database = tmp_path / "hub.sqlite3"
    env = {
        **os.environ, "DATABASE_URL": f"sqlite:///{database}", "SAFEGUARDING_DATA_DIR": str(tmp_path),
        "WORKER_RETRY_SECONDS": "3", "WORKER_JOB_TIMEOUT": "2", "WORKER_MAX_ATTEMPTS": "2",
    }
    if migrated_hub is not None and migrated_hub.vendor == "sqlite":
        # The run's database migrated once (tests/conftest.py), as `safeguarding migrate` makes a new one.
        shutil.copyfile(migrated_hub.location, database)
    else:  # a run on PostgreSQL alone
        subprocess.run([*HUB, "migrate", "-v0"], env=env, check=True, timeout=300)
    subprocess.run(
        [*HUB, "shell", "-c", "from django_q.tasks import async_task; "
         "async_task('math.sqrt', 16, task_name='works'); async_task('math.sqrt', -1, task_name='fails')"],
        env=env, check=True, timeout=120, capture_output=True,
    )
    worker = subprocess.Popen([*HUB, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        rows: dict[str, tuple[int, int]] = {}
        while time.monotonic() < deadline:
            with sqlite3.connect(database) as db:
                rows = {name: (success, attempts) for name, success, attempts in
                        db.execute("SELECT name, success, attempt_count FROM django_q_task")}
                waiting = db.execute("SELECT count(*) FROM django_q_ormq").fetchone()[0]
            if rows.get("fails", (1, 0))[1] >= 2 and "works" in rows and not waiting:
                break
            time.sleep(1)
        assert rows["works"] == (1, 1)
        assert rows["fails"] == (0, 2)  # tried, tried again, then kept as failed
        with sqlite3.connect(database) as db:
            schedules = {name for (name,) in db.execute("SELECT name FROM django_q_schedule")}
        assert schedules == {s.name for s in SCHEDULES}
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


@pytest.mark.django_db
def test_administrators_see_failed_jobs_and_the_schedules(make_user) -> None:  # type: ignore[no-untyped-def]
    schedules_install()
    assert set(Schedule.objects.values_list("name", flat=True)) == {s.name for s in SCHEDULES}
    now = timezone.now()
    Task.objects.create(id="a" * 32, name="fails", func="safeguarding.workflows.scheduled.clocks_and_chasing",
                        started=now, stopped=now, success=False, attempt_count=3,
                        result="Traceback (most recent call last):\n  ...\nOperationalError: database is locked")
    admin = Client()
    sign_in(admin, make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL))
    page = admin.get(reverse("workflows:jobs")).content.decode()
    assert "OperationalError: database is locked" in page and "Traceback" not in page
    assert "Statutory clocks, reminders and escalation" in page
    other = Client()
    sign_in(other, make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL))
    assert other.get(reverse("workflows:jobs")).status_code == 403
