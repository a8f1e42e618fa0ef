"""Reading a query's rows into Arrow (src/safeguarding/core/arrow.py): both SQLite readers agree."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pytest

from safeguarding.core.arrow import BATCH, Query, read_cursor, read_sqlite_file

NAME = "hub-test-adbc-reads"
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


PROBE_SCHEMA = pa.schema([
    ("id", pa.int64()), ("name", pa.string()), ("score", pa.float64()), ("valid", pa.bool_()),
    ("born", pa.string()), ("moment", pa.string()), ("small", pa.int64()),
])


@pytest.mark.django_db(transaction=True)
def test_postgresql_reads_through_adbc_what_copy_reads_inside_a_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside a transaction PostgreSQL's rows come through ADBC; inside one, through COPY on
    Django's connection. Both give the same table: text, NULLs, floats, booleans, dates as ISO
    text, timestamps as the hub's loader writes them, small integers widened."""
    from django.db import connection, transaction

    from safeguarding.core import arrow

    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL readers")
    sql = ("SELECT id, name, score, valid, born::text, "
           "coalesce(date_trunc('second', moment AT TIME ZONE 'UTC')::text, ''), small FROM arrow_probe")
    with connection.cursor() as cursor:
        cursor.execute("SET datestyle = 'ISO, YMD'")
        cursor.execute("CREATE TABLE arrow_probe (id bigint PRIMARY KEY, name text, score double precision, "
                       "valid boolean, born date, moment timestamptz, small integer)")
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO arrow_probe SELECT n, CASE WHEN n % 3 = 0 THEN NULL ELSE 'name ' || n END, n / 4.0, "
                "n % 2 = 1, CASE WHEN n % 5 = 0 THEN NULL ELSE date '2010-03-14' + n END, "
                "CASE WHEN n % 7 = 0 THEN NULL ELSE timestamptz '2026-03-29 00:30:00.75+00' + n * interval '1 hour' END, "
                "n % 100 FROM generate_series(1, 5000) n"
            )
        through_adbc = []
        real = arrow.read_postgresql
        monkeypatch.setattr(arrow, "read_postgresql", lambda *args: through_adbc.append(1) or real(*args))
        seen: list[int] = []
        (outside,) = arrow.queries_arrow([arrow.Query(sql, PROBE_SCHEMA, seen.append)])
        assert through_adbc == [1] and sum(seen) == 5000
        with transaction.atomic():
            (inside,) = arrow.queries_arrow([arrow.Query(sql, PROBE_SCHEMA)])
        assert through_adbc == [1]
        assert outside.schema == inside.schema == PROBE_SCHEMA
        for name in PROBE_SCHEMA.names:
            assert outside.sort_by("id")[name].to_pylist() == inside.sort_by("id")[name].to_pylist(), name
        row = outside.sort_by("id").slice(6, 1).to_pylist()[0]  # id 7: no moment
        assert row == {"id": 7, "name": "name 7", "score": 1.75, "valid": True, "born": "2010-03-21",
                       "moment": "", "small": 7}
        assert outside.sort_by("id").slice(0, 1).to_pylist()[0]["moment"] == "2026-03-29 01:30:00"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE arrow_probe")


@pytest.mark.django_db(transaction=True)
def test_postgresql_reads_read_the_servers_types_once_and_again_after_a_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ADBC's database (which reads the server's catalogue of types, about 95 ms of CPU on the hub's
    schema) is made once for many reads, holding no session of its own between them; after a read
    that failed it is made again, and the read falls back to COPY."""
    import adbc_driver_postgresql
    from django.db import connection
    from psycopg.conninfo import make_conninfo

    from safeguarding.core import arrow

    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL readers")
    made: list[str] = []
    real_connect = adbc_driver_postgresql.connect
    monkeypatch.setattr(adbc_driver_postgresql, "connect", lambda uri, **kw: made.append(uri) or real_connect(uri, **kw))
    monkeypatch.setattr(arrow, "_ADBC_DATABASES", {})
    # ADBC's sessions named, so that only they are counted (the suite holds other sessions, which
    # come and go while this test runs).
    named = arrow.postgresql_conninfo
    monkeypatch.setattr(arrow, "postgresql_conninfo", lambda: make_conninfo(named(), application_name=NAME))
    schema = pa.schema([("n", pa.int64())])
    query = arrow.Query("SELECT n FROM generate_series(1, 3) n", schema)
    for _ in range(3):
        (table,) = arrow.queries_arrow([query])
        assert table["n"].to_pylist() == [1, 2, 3]
    # Threads of a server reading at once share it (read_postgresql: each its own connection).
    conninfo = arrow.postgresql_conninfo()
    with ThreadPoolExecutor(4) as pool:
        read = list(pool.map(lambda _: arrow.read_postgresql(conninfo, [query])[0]["n"].to_pylist(), range(8)))
    assert read == [[1, 2, 3]] * 8
    assert len(made) == 1
    # No session of ADBC's is left open between reads (and the count sees one while it is).
    held = arrow._adbc_connection(conninfo)
    try:
        assert _sessions_named(NAME, until=1) == 1
    finally:
        held.close()
    assert _sessions_named(NAME, until=0) == 0

    wrong = arrow.Query("SELECT n::text FROM generate_series(1, 3) n", pa.schema([("n", pa.date32())]))
    with pytest.raises(pa.ArrowInvalid):  # ADBC's read fails (the cast), then COPY's (the same cast): the error shows
        arrow.queries_arrow([wrong])
    assert arrow._ADBC_DATABASES == {}  # forgotten after the failure
    arrow.queries_arrow([query])
    assert len(made) == 2


def _sessions_named(name: str, until: int) -> int:
    """The sessions of an application name, read until there are ``until`` of them, for a few seconds: a
    server process joins pg_stat_activity, and leaves it, a moment after its client."""
    from django.db import connection

    deadline = time.monotonic() + 5
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [name])
            count = cursor.fetchone()[0]
            if count == until or time.monotonic() > deadline:
                return count
            time.sleep(0.05)


def test_a_small_sqlite_database_is_read_through_the_cursor_and_a_large_one_through_adbc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ADBC's process takes about a second to start: a database holding fewer rows (the demo's, 5 MB) is
    read sooner through Django's cursor. Its write-ahead log counts with it."""
    from django.db import connection

    from safeguarding.core import arrow

    if connection.vendor != "sqlite":
        pytest.skip("the SQLite readers")
    path = tmp_path / "hub.sqlite3"
    path.write_bytes(b"\0" * 4096)
    monkeypatch.setitem(connection.settings_dict, "NAME", str(path))
    assert arrow.ADBC_SQLITE_FROM_BYTES == 16 * 2**20 and arrow._sqlite_file() is None
    monkeypatch.setattr(arrow, "ADBC_SQLITE_FROM_BYTES", 8192)
    assert arrow._sqlite_file() is None
    Path(f"{path}-wal").write_bytes(b"\0" * 4096)
    assert arrow._sqlite_file() == str(path)


def test_duckdb_connections_share_one_database_a_process_and_see_only_their_own_tables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Making a DuckDB database takes tens of milliseconds, which each casework write paid twice (the
    child's clocks): the process makes one, and each use has a connection of its own to it, whose
    registered tables no other connection sees (here, four threads registering the same name at
    once), closed after it."""
    import duckdb

    from safeguarding.core import arrow

    made: list[object] = []
    real_connect = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **kw: made.append(a) or real_connect(*a, **kw))
    monkeypatch.setattr(arrow, "_DUCKDB_DATABASES", {})

    def total(n: int) -> int:
        with arrow.duckdb_connection() as con:
            con.register("numbers", pa.table({"n": list(range(n))}))
            time.sleep(0.001)  # another thread registers its own "numbers" meanwhile
            return int(con.sql("SELECT sum(n) FROM numbers").fetchall()[0][0])

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(total, [10, 100, 1000, 10_000] * 5)) == [45, 4950, 499500, 49995000] * 5
    assert len(made) == 1
    with arrow.duckdb_connection() as con:
        con.register("numbers", pa.table({"n": [1]}))
        with arrow.duckdb_connection() as other, pytest.raises(duckdb.CatalogException):
            other.sql("SELECT * FROM numbers")
    with pytest.raises(duckdb.ConnectionException):  # closed after use
        con.sql("SELECT 1")
    assert len(made) == 1
