"""Reading a query's rows into Arrow (src/safeguarding/core/arrow.py): both SQLite readers agree."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow as pa
import pytest

from safeguarding.core.arrow import BATCH, Query, read_cursor, read_sqlite_file

SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string()), ("score", pa.float64()), ("valid", pa.bool_())])


@pytest.fixture
def database(tmp_path: Path) -> str:
    """More rows than a batch, with text and numbers that are NULL all through the first batch."""
    path = str(tmp_path / "rows.sqlite3")
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, valid BOOLEAN)")
        con.executemany(
            "INSERT INTO t VALUES (?, ?, ?, ?)",
            [(n, None if n <= BATCH + 10 else f"name {n}", None if n <= BATCH + 10 else n / 4, n % 2)
             for n in range(1, BATCH + 50)],
        )
    return path


def test_adbc_reads_what_the_cursor_reads_even_after_a_batch_of_nulls(database: str) -> None:
    sql = "SELECT id, name, score, valid FROM t"
    seen: list[int] = []

    through_adbc, again = read_sqlite_file(database, [Query(sql, SCHEMA, seen.append), Query(sql, SCHEMA)])
    with sqlite3.connect(database) as con:
        through_cursor = read_cursor(con.cursor(), sql, SCHEMA)

    assert through_adbc.schema == SCHEMA
    assert through_adbc.sort_by("id").equals(through_cursor.sort_by("id"))
    assert again.sort_by("id").equals(through_cursor.sort_by("id"))  # read side by side, in a process each
    assert through_adbc.num_rows == BATCH + 49 == sum(seen)  # the made-up first row is not among them
    last = through_adbc.sort_by("id").slice(BATCH + 48).to_pylist()[0]
    assert last == {"id": BATCH + 49, "name": f"name {BATCH + 49}", "score": (BATCH + 49) / 4, "valid": True}


def test_an_empty_result_is_an_empty_table_of_the_schema(database: str) -> None:
    (empty,) = read_sqlite_file(database, [Query("SELECT id, name, score, valid FROM t WHERE id < 0", SCHEMA)])
    assert empty == SCHEMA.empty_table()


def test_a_query_the_driver_refuses_is_an_error_naming_why(database: str) -> None:
    with pytest.raises(OSError, match="no such table"):
        read_sqlite_file(database, [Query("SELECT id, name, score, valid FROM missing", SCHEMA)])
