"""The test database's stand-in for SQLite's busy timeout (tests/conftest.py): a statement refused for a
shared-cache table lock is tried again until the lock goes, and nothing else is retried."""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

import pytest
from django.db import OperationalError, connection

from tests import conftest


def test_a_statement_refused_for_a_table_lock_waits_for_it() -> None:
    uri = "file:shared_cache_probe?mode=memory&cache=shared"
    reader = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
    writer = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None, timeout=5)
    reader.executescript("CREATE TABLE t (x INT); INSERT INTO t VALUES (1), (2);")
    reading = reader.execute("SELECT x FROM t")
    reading.fetchone()  # a statement still reading the table holds it: the timeout does not help
    with pytest.raises(sqlite3.OperationalError, match="table is locked"):
        writer.execute("UPDATE t SET x = 3")

    threading.Timer(0.2, reading.close).start()  # the reader finishes a moment later
    started = time.monotonic()
    conftest._wait_for_shared_cache_locks(lambda sql, *_: writer.execute(sql), "UPDATE t SET x = 3", None, False, {})
    assert 0.15 < time.monotonic() - started < conftest.SHARED_CACHE_WAIT_SECONDS
    assert [x for (x,) in writer.execute("SELECT x FROM t")] == [3, 3]


def test_other_errors_are_not_retried_and_a_lock_that_stays_fails_in_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def failing(message: str) -> Any:
        def execute(sql: str, *_: Any) -> Any:
            calls.append(sql)
            raise OperationalError(message)
        return execute

    with pytest.raises(OperationalError, match="no such table"):
        conftest._wait_for_shared_cache_locks(failing("no such table: t"), "a", None, False, {})
    assert calls == ["a"]
    monkeypatch.setattr(conftest, "SHARED_CACHE_WAIT_SECONDS", 0.05)
    with pytest.raises(OperationalError, match="table is locked"):
        conftest._wait_for_shared_cache_locks(failing("database table is locked"), "b", None, False, {})
    assert calls.count("b") > 1


@pytest.mark.django_db
def test_the_in_memory_test_database_has_the_wait() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL waits for locks itself")
    connection.ensure_connection()
    assert conftest._wait_for_shared_cache_locks in connection.execute_wrappers
