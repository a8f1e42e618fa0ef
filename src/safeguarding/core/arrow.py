"""Arrow tables in and out: a query's rows read from the hub's database, the fastest way each
database offers, and the results of DuckDB relations."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.db import connection

logger = logging.getLogger(__name__)

BATCH = 200_000
Progress = Callable[[int], None]
# A SQLite database smaller than this (its file and write-ahead log) is read through the Django cursor:
# ADBC's process takes about a second to start (Arrow's import), more than the cursor takes over all the
# rows so small a database holds (measured, docs/benchmarks.md: 300,000 rows in 25 MB, 1.7 s either way).
ADBC_SQLITE_FROM_BYTES = 16 * 2**20


def arrow_table(relation: Any) -> pa.Table:
    """The whole result of a DuckDB relation as one Arrow table. Newer DuckDB returns a record
    batch reader from ``to_arrow_table()``; it is read to the end here, so the connection is free
    for the next statement."""
    result = relation.to_arrow_table()
    if isinstance(result, pa.RecordBatchReader):
        result = result.read_all()
    return result


def _made_once_a_process(kept: dict[tuple[int, str], Any], key: str, make: Callable[[], Any]) -> Any:
    """The object ``kept`` holds for this process and key, made by ``make`` the first time; a forked
    worker makes its own (what its parent made is not safe to use in it). Called under ``kept``'s lock."""
    at = (os.getpid(), key)
    found = kept.get(at)
    if found is None:
        found = kept[at] = make()
    return found


# The process's in-memory DuckDB database (``duckdb_connection``).
_DUCKDB_DATABASES: dict[tuple[int, str], Any] = {}
_DUCKDB_LOCK = threading.Lock()


@contextmanager
def duckdb_connection() -> Iterator[Any]:
    """A DuckDB connection of its own, to an in-memory database made once a process, closed after
    use. Making a DuckDB database takes 25-35 ms (its catalogue, its defaults), which every casework
    write paid twice as it brought the child's clocks up to date; a further connection to one takes
    a hundredth of a millisecond. What a connection registers (an Arrow table as a view) and its
    temporary tables are its own, unseen by another thread's connection, and go with it: only
    registered tables and temporary objects belong here, never a table of the shared database. A
    forked worker makes its own database."""
    import duckdb

    with _DUCKDB_LOCK:
        con = _made_once_a_process(_DUCKDB_DATABASES, "", duckdb.connect).cursor()
    try:
        yield con
    finally:
        con.close()


def query_arrow(sql: str, schema: pa.Schema, progress: Progress | None = None) -> pa.Table:
    """The rows of a read-only query (no parameters) as an Arrow table of ``schema``, in batches.

    - PostgreSQL, no transaction open: the ADBC PostgreSQL driver (COPY in binary, columns built
      in C++). psycopg hands over a COPY a row at a time, and the Python loop over five million
      rows cost more than the database's own work.
    - PostgreSQL inside a transaction: COPY ... TO STDOUT as CSV on Django's connection, parsed by
      Arrow's CSV reader.
    - SQLite, a database file of 16 MB or more and no transaction open: the ADBC SQLite driver,
      which hands over whole columns from C. Python's sqlite3 driver makes a Python object of every
      value: 13 s of a 5-million-event scan went on that alone.
    - Otherwise (a transaction open, whose own rows another connection could not see; an
      in-memory database, as in the tests; a database too small for ADBC's process to pay): the
      Django cursor, a batch of rows at a time.

    A query must not read a temporary table of Django's connection: ADBC's own connection (and,
    on SQLite, its process) would not see it.
    """
    return queries_arrow([Query(sql, schema, progress)])[0]


@dataclass(frozen=True)
class Query:
    sql: str
    schema: pa.Schema
    progress: Progress | None = None


def queries_arrow(queries: Sequence[Query]) -> list[pa.Table]:
    """Several queries read as ``query_arrow`` reads one; through ADBC on SQLite they are read side
    by side, a process each, and on PostgreSQL one after the other on one connection."""
    if connection.vendor == "postgresql":
        if not connection.in_atomic_block:
            conninfo = postgresql_conninfo()
            try:
                return read_postgresql(conninfo, queries)
            except Exception as exc:  # the driver missing, or refused by the server
                _forget_adbc_database(conninfo)
                # Read the slower way rather than not at all (a query that is wrong fails there too).
                logger.warning("reading through ADBC failed (%s); reading through COPY as CSV", exc)
        with connection.cursor() as cursor:
            # Timestamps as text as ADBC's connection writes them (postgresql_conninfo), whatever
            # the server's default; Django's connection is already in UTC.
            cursor.execute("SET datestyle = 'ISO, YMD'")
        return [_copy(q.sql, q.schema, q.progress) for q in queries]
    path = _sqlite_file()
    if path is not None and not connection.in_atomic_block:
        try:
            return read_sqlite_file(path, queries)
        except (ImportError, OSError) as exc:
            # The driver is missing, or met a value its type inference did not expect: read the
            # slower way rather than not at all.
            logger.warning("reading through ADBC failed (%s); reading through the Django cursor", exc)
    with connection.cursor() as cursor:
        return [read_cursor(cursor, q.sql, q.schema, q.progress) for q in queries]


def _sqlite_file() -> str | None:
    """The SQLite database file, when it is one large enough for ADBC to pay (``ADBC_SQLITE_FROM_BYTES``)."""
    if connection.vendor != "sqlite":
        return None
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or "mode=memory" in name or name.startswith("file:") or not Path(name).is_file():
        return None
    held = sum(f.stat().st_size for f in (Path(name), Path(f"{name}-wal")) if f.is_file())
    return name if held >= ADBC_SQLITE_FROM_BYTES else None


def read_cursor(cursor: Any, sql: str, schema: pa.Schema, progress: Progress | None = None) -> pa.Table:
    """Rows from a DB-API cursor, ``BATCH`` at a time, into Arrow columns (never Python objects
    for the whole result at once)."""
    batches = []
    cursor.execute(sql)
    while rows := cursor.fetchmany(BATCH):
        columns = list(zip(*rows, strict=True))
        batches.append(pa.record_batch([_array(c, f.type) for c, f in zip(columns, schema, strict=True)],
                                       names=schema.names))
        if progress:
            progress(len(rows))
    return pa.Table.from_batches(batches, schema=schema)


def _array(values: Any, type_: pa.DataType) -> pa.Array:
    if pa.types.is_boolean(type_):
        # SQLite hands back 0 and 1.
        return pa.array(values).cast(type_) if len(values) else pa.array([], type_)
    return pa.array(values, type=type_)


_WITNESS = {"int64": "0", "double": "0.0", "bool": "0", "string": "''"}


def read_sqlite_file(path: str, queries: Sequence[Query]) -> list[pa.Table]:
    """Rows of queries on a SQLite database file through ADBC, each cast to its schema.

    Each query is read by ``safeguarding.core.sqlite_reader`` in a process of its own (see there
    why), all at once, and handed back as an Arrow stream in a temporary file. A query is sent
    after one made-up row holding a value of every column's type, for the driver to infer them.
    """
    with tempfile.TemporaryDirectory() as tmp:
        children = [_start_reader(path, q, Path(tmp) / f"rows-{n}.arrows") for n, q in enumerate(queries)]
        tables: list[pa.Table] = []
        failures: list[str] = []
        for (child, out), query in zip(children, queries, strict=True):
            with child:
                assert child.stdout and child.stderr
                for line in child.stdout:
                    if query.progress:
                        query.progress(int(line))
                failure = child.stderr.read().strip()
            if child.returncode != 0:
                failures.append(failure.splitlines()[-1] if failure else f"exit {child.returncode}")
                continue
            if not out.exists() or out.stat().st_size == 0:
                tables.append(query.schema.empty_table())
                continue
            with pa.OSFile(str(out)) as source:  # read into memory, not mapped: the file is about to go
                table = pa.ipc.open_stream(source).read_all()
            tables.append(table.drop_columns(table.column_names[0]).rename_columns(query.schema.names)
                          .cast(query.schema))
    if failures:
        raise OSError("; ".join(failures))
    return tables


def _start_reader(path: str, query: Query, out: Path) -> tuple[subprocess.Popen[str], Path]:
    literals = []
    for f in query.schema:
        literal = _WITNESS.get(str(f.type))
        if literal is None:
            raise TypeError(f"no SQLite witness value for {f.name} of type {f.type}")
        literals.append(literal)
    witnessed = (
        f"SELECT 1, {', '.join(literals)} UNION ALL SELECT * FROM (SELECT 0, q.* FROM ({query.sql}) AS q)"  # noqa: S608
    )
    child = subprocess.Popen(
        [sys.executable, "-m", "safeguarding.core.sqlite_reader"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert child.stdin
    child.stdin.write(json.dumps({"path": path, "sql": witnessed, "out": str(out), "batch_rows": BATCH}))
    child.stdin.close()
    return child, out


def postgresql_conninfo() -> str:
    """Django's PostgreSQL connection as a libpq connection string for another connection, with
    timestamps as ISO text in UTC whatever the server's defaults."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    connection.ensure_connection()
    info = connection.connection.info
    options = conninfo_to_dict(info.dsn).get("options") or ""
    return make_conninfo(
        info.dsn,
        password=info.password or None,
        options=f"{options} -c DateStyle=ISO,YMD -c TimeZone=UTC".strip(),
    )


# ADBC's PostgreSQL databases, one per process and connection string (``_adbc_connection``).
_ADBC_DATABASES: dict[tuple[int, str], Any] = {}
_ADBC_LOCK = threading.Lock()


def _adbc_connection(conninfo: str) -> Any:
    """A new ADBC connection, from the PostgreSQL driver's database for the connection string, made
    once a process. Making a database reads the server's catalogue of types (every table of the hub is
    a type): about 95 ms of this process's CPU each time, which every page that read through ADBC paid
    (a child's network page took 263 to 307 ms where 300 is the budget). The database holds no session
    of its own: each read opens a connection from it (about 2 ms) and closes it. ADBC's objects allow
    one thread at a time (its concurrency rules), so the database is only touched under the lock; each
    connection then belongs to the thread that asked for it."""
    import adbc_driver_manager
    import adbc_driver_postgresql

    with _ADBC_LOCK:
        database = _made_once_a_process(_ADBC_DATABASES, conninfo, lambda: adbc_driver_postgresql.connect(conninfo))
        return adbc_driver_manager.AdbcConnection(database)


def _forget_adbc_database(conninfo: str) -> None:
    """After a failed read: the next one makes the database again (the server's types may have changed)."""
    with _ADBC_LOCK:
        database = _ADBC_DATABASES.pop((os.getpid(), conninfo), None)
        if database is not None:
            try:
                database.close()
            except Exception:  # a connection of it still open in another thread: left to the collector
                logger.debug("ADBC database not closed", exc_info=True)


def read_postgresql(conninfo: str, queries: Sequence[Query]) -> list[pa.Table]:
    """Rows of queries through the ADBC PostgreSQL driver, on a connection of its own (autocommit, ADBC's
    default), each cast to its schema (columns by position). What it reads is what is committed."""
    import adbc_driver_manager

    tables = []
    conn = _adbc_connection(conninfo)
    try:
        for query in queries:
            statement = adbc_driver_manager.AdbcStatement(conn)
            try:
                statement.set_sql_query(query.sql)
                stream, _ = statement.execute_query()
                batches = []
                for batch in pa.RecordBatchReader._import_from_c(stream.address):
                    batch = pa.record_batch(batch.columns, names=query.schema.names).cast(query.schema)
                    batches.append(batch)
                    if query.progress:
                        query.progress(batch.num_rows)
            finally:
                statement.close()
            tables.append(pa.Table.from_batches(batches, schema=query.schema))
    finally:
        conn.close()
    return tables


def _copy(sql: str, schema: pa.Schema, progress: Progress | None) -> pa.Table:
    import pyarrow.csv as pacsv

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        with (
            connection.cursor() as cursor,
            path.open("wb") as out,
            cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy,
        ):
            for chunk in copy:
                out.write(chunk)
        if path.stat().st_size == 0:
            return schema.empty_table()
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=schema.names),
            convert_options=pacsv.ConvertOptions(
                column_types=schema, strings_can_be_null=True, quoted_strings_can_be_null=False,  # NULL, not ""
                true_values=["t", "true", "1"], false_values=["f", "false", "0"],  # PostgreSQL writes t and f
            ),
        )
    if progress:
        progress(table.num_rows)
    return table.cast(schema) if table.schema != schema else table
