"""The `safeguarding` command (src/safeguarding/cli.py): a database never migrated gets one line saying
what to do, not a traceback; every other error is left as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db.utils import OperationalError, ProgrammingError

from safeguarding import cli

PROJECT = Path(__file__).resolve().parents[1]


def test_a_command_against_a_database_never_migrated_says_to_migrate_in_one_line(tmp_path: Path) -> None:
    typo = tmp_path / "mistyped.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{typo}", "SAFEGUARDING_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", "from safeguarding.cli import main; main()", "imports"],
                          cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"The database at {typo} has no hub tables (no such table: exchange_importrun): run `safeguarding migrate` "
        "(or `make run` to set everything up)."
    ]


def _failing_with(error: Exception, monkeypatch: pytest.MonkeyPatch) -> None:
    def execute(argv: list[str]) -> None:
        raise error

    monkeypatch.setattr("django.core.management.execute_from_command_line", execute)


def test_postgresqls_missing_relation_is_said_the_same_way(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    _failing_with(ProgrammingError('relation "exchange_importrun" does not exist\nLINE 1: SELECT ...'), monkeypatch)
    with pytest.raises(SystemExit) as ended:
        cli.main(["safeguarding", "imports"])
    assert ended.value.code == 1
    [line] = capsys.readouterr().err.splitlines()
    assert 'has no hub tables (relation "exchange_importrun" does not exist): run `safeguarding migrate`' in line


@pytest.mark.parametrize("error", [OperationalError("database is locked"), ProgrammingError("syntax error at or near")])
def test_any_other_database_error_is_not_swallowed(error: Exception, monkeypatch: pytest.MonkeyPatch) -> None:
    _failing_with(error, monkeypatch)
    with pytest.raises(type(error), match=str(error)):
        cli.main(["safeguarding", "imports"])


def test_where_the_database_is_names_no_password() -> None:
    assert cli.database_where({"ENGINE": "django.db.backends.postgresql", "NAME": "hub", "USER": "hub",
                               "PASSWORD": "secret", "HOST": "db.internal", "PORT": 5433}) == "hub on db.internal:5433"
    assert cli.database_where({"ENGINE": "django.db.backends.sqlite3", "NAME": "/srv/hub.sqlite3"}) == "/srv/hub.sqlite3"
