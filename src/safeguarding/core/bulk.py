"""Writing many rows of one model at once, the fastest way each database offers: for the importer,
the linkage run and the alert scan, where the ORM's bulk_create and bulk_update cost most of the time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from typing import Any

from django.db import connection, models, transaction


def _sqlite_datetime() -> Callable[[Any], Any]:
    """What the SQLite backend does for an aware datetime, without its per-value checks: stored as
    naive UTC text. Callers only ever hold aware datetimes or None. The last value is remembered:
    a write stamps millions of rows with the same moment, and converting it each time was a third
    of writing an alert scan's evidence."""
    last: list[Any] = [None, None]

    def adapt(value: Any) -> Any:
        if value is last[0]:
            return last[1]
        text = None if value is None else str(value.astimezone(dt.UTC).replace(tzinfo=None))
        last[:] = [value, text]
        return text

    return adapt


# PostgreSQL checks a foreign key with a query per written row (about 6 µs each, queued until the
# commit for Django's deferred constraints). Past this many rows, and at least as many as the table
# holds already, dropping a table's foreign keys and adding them back (one join checks all rows) is
# the quicker way: PostgreSQL's "Populating a Database" advice.
CHECK_ONCE_FROM = 100_000


def _estimated_rows(cursor: Any, table: str) -> int:
    """PostgreSQL's estimate of a table's rows from its last ANALYZE (-1: never analysed)."""
    cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
    return int(cursor.fetchone()[0])


def column_of(model: type[models.Model], name: str) -> str:
    """The database column of a model's field, for SQL written from the model's own metadata."""
    model_field = model._meta.get_field(name)
    assert isinstance(model_field, models.Field) and model_field.column
    return model_field.column


def refresh_statistics() -> None:
    """On PostgreSQL, ANALYZE every table, so the planner plans for what the tables hold now. For the end of
    a load that changed them wholesale (the demo): autovacuum would get there too, but only a minute or
    more after the load commits, and a plan made from statistics of other data can cost a page a second."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def compiled_for_the_rest_of_this_transaction() -> None:
    """On PostgreSQL, JIT compilation for the rest of the transaction the caller is in. The hub's
    connections run without it (settings: it put up to a second on pages of short queries), but a
    write of hundreds of thousands of rows gains from it: a first link's write-back of 198,343 records
    took 8.3 s with it and 9.0-9.3 s without (docs/decisions.md)."""
    assert connection.in_atomic_block, "SET LOCAL lasts only to the end of a transaction"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = on")


def _check_waiting_constraints_now(cursor: Any) -> None:
    """Run the foreign-key checks Django's deferred constraints have queued for the commit, now (they
    would have been run then), and defer again: a table with checks waiting cannot be altered or
    indexed."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextmanager
def foreign_keys_checked_once(model: type[models.Model], rows: int, *, share: float = 1.0) -> Iterator[None]:
    """Around a bulk write of ``rows`` rows of ``model`` inside a transaction: on PostgreSQL, when
    the write is large next to the table (at least ``share`` of the rows it holds), its foreign keys
    are dropped and added back afterwards, so each is checked by one query over the table instead
    of one per row. Every row is still checked before the transaction commits; if anything fails,
    the keys are restored with the savepoint the write is done in.

    Dropping a foreign key locks the table it names (ACCESS EXCLUSIVE) until the commit: readers
    of that table wait for the end of the write. That is why it is kept to writes so large (the
    first scan of an area) that the per-row checks would take longer than the wait."""
    if connection.vendor != "postgresql" or rows < CHECK_ONCE_FROM or not connection.in_atomic_block:
        yield
        return
    table = model._meta.db_table
    quote = connection.ops.quote_name
    # A savepoint of its own: if the write fails, even in a transaction that goes on, the keys are back.
    with transaction.atomic():
        with connection.cursor() as cursor:
            if rows < share * _estimated_rows(cursor, table):
                constraints = []
            else:
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                    [table],
                )
                constraints = cursor.fetchall()
            if constraints:
                _check_waiting_constraints_now(cursor)
                for name, _ in constraints:
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
        yield
        with connection.cursor() as cursor:
            for name, definition in constraints:
                cursor.execute(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")


# A write of at least this share of a table's rows (inserted, or updated in an indexed column) has the
# table's secondary indexes built again afterwards instead of kept up to date row by row: building an
# index sorts the table once, where keeping it inserts each new entry at a random place (and on
# PostgreSQL an update that changes an indexed column adds an entry to every index of the table).
REBUILD_FROM_SHARE = 0.25
# SQLite's page cache while a large write runs (KiB). Its default, 2 MB, holds a sliver of a million-row
# table's indexes, and each new entry then costs a read of the page it goes in.
SQLITE_WRITE_CACHE_KIB = 256 * 1024


def _secondary_indexes(cursor: Any, table: str, keep: Sequence[str], updated: Sequence[str] | None) -> list[tuple[str, str]]:
    """(name, definition) of a table's indexes that are neither unique nor its primary key, index none
    of the columns in ``keep``, and that a write of new rows (``updated`` None) or an update of the
    columns ``updated`` adds entries to: on PostgreSQL every index of the table, once an indexed
    column changes (such an update is never a "heap-only" one); on SQLite those holding a column
    that changes."""
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisunique OR i.indisprimary, "
            "ARRAY(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)) "
            "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass ORDER BY c.relname",
            [table],
        )
        found = cursor.fetchall()
        if updated is not None and not any(set(columns) & set(updated) for *_, columns in found):
            return []
        return [(name, definition) for name, definition, unique, columns in found
                if not unique and not set(columns) & set(keep)]
    cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL "
                   "ORDER BY name", [table])
    secondary = []
    for name, definition in cursor.fetchall():
        cursor.execute(f"SELECT \"unique\" FROM pragma_index_list({connection.ops.quote_name(table)}) "  # noqa: S608
                       "WHERE name = %s", [name])
        (unique,) = cursor.fetchone()
        cursor.execute("SELECT name FROM pragma_index_info(%s)", [name])
        columns = {c for (c,) in cursor.fetchall()}
        if not unique and not columns & set(keep) and (updated is None or columns & set(updated)):
            secondary.append((name, definition))
    return secondary


@contextmanager
def indexes_built_after(
    model: type[models.Model], rows: int, *, keep: Sequence[str] = (), updated: Sequence[str] | None = None
) -> Iterator[None]:
    """Around a write of ``rows`` rows of ``model`` inside a transaction (new rows, or with
    ``updated`` the fields an update changes): when the write is large next to the table (at least
    ``CHECK_ONCE_FROM`` rows and ``REBUILD_FROM_SHARE`` of those it holds), the secondary indexes it
    would add entries to are dropped and built again after it, each by one sort of the table
    (PostgreSQL's "Populating a Database" advice); unique indexes stay, so every lookup and every
    uniqueness check goes on as before. An index on a field named in ``keep`` stays too: the writer
    reads by it, or its new entries come in order (ids just taken) and cost nothing to add. On SQLite
    the connection's page cache is also made large for the write. If anything fails, the savepoint
    the write is done in brings the indexes back.

    Dropping an index locks its table until the commit (on PostgreSQL readers of the table wait;
    on SQLite a write holds the database anyway): that is why this is kept to writes so large (a
    first import, a first linkage run) that keeping the indexes would cost more than the wait."""
    if rows < CHECK_ONCE_FROM or not connection.in_atomic_block:
        yield
        return
    table = model._meta.db_table
    kept = [column_of(model, name) for name in keep]
    changed = None if updated is None else [column_of(model, name) for name in updated]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        held = int(cursor.fetchone()[0])
        indexes = _secondary_indexes(cursor, table, kept, changed) if rows >= REBUILD_FROM_SHARE * held else []
        cache = None
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA cache_size")
            cache = int(cursor.fetchone()[0])
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_WRITE_CACHE_KIB}")
        try:
            for name, _ in indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
            yield
            if indexes and connection.vendor == "postgresql":
                _check_waiting_constraints_now(cursor)
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)
        finally:
            if cache is not None:
                cursor.execute(f"PRAGMA cache_size = {cache}")


@dataclass(frozen=True)
class Same:
    """One value for every row of a column (``BulkTable.insert_columns``)."""

    value: Any


class BulkTable:
    """Many rows of one model written in bulk, the fastest way each database offers.

    The ORM's bulk_create and bulk_update prepare every value through several layers of calls and,
    on SQLite, cap a statement at 999 values; at millions of rows that was most of an import's (and
    a linkage run's) time. Values are adapted here with the database backend's own adapters (the
    ones the ORM ends in), chosen once per field, so what is stored is what the ORM would store. SQLite gets one
    prepared statement run for every row (``executemany``, which it runs fastest); PostgreSQL gets
    COPY, as a statement per row there costs a round of parsing and planning each. Rows are dicts
    keyed by attribute name (``person_id``). Nothing is validated, no signals are sent and
    ``save()`` is not called: callers pass values ready to store, inside their own transaction.
    """

    ANALYSE_FROM = 10_000  # PostgreSQL: rows written before a table's statistics are first renewed

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self._written_since_analyse = 0
        self._rows_at_analyse = 0
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.pk_column = model._meta.pk.column if model._meta.pk else "id"
        self.by_name = {f.name: f for f in self.fields} | {f.attname: f for f in self.fields}

    @staticmethod
    def _adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
        """How a Python value of this field goes to the driver; None if it goes as it is."""
        ops = connection.ops
        if isinstance(field, models.JSONField):
            encoder = field.encoder
            return lambda value: ops.adapt_json_value(value, encoder)
        if isinstance(field, models.DateTimeField):
            if connection.vendor == "sqlite":
                return _sqlite_datetime()
            return ops.adapt_datetimefield_value
        if isinstance(field, models.DateField):
            return ops.adapt_datefield_value
        return None

    def _prepare(self, fields: Sequence[models.Field[Any, Any]], rows: Sequence[dict[str, Any]],
                 defaults: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """The rows' values for the driver, a tuple a row. Worked a column at a time: a call per
        column rather than a branch per value is most of what writing millions of rows costs here."""
        columns = []
        for f in fields:
            name = f.attname
            if defaults is None:
                values = [row[name] for row in rows]
            else:
                default = defaults[name]
                values = [row.get(name, default) for row in rows]
            columns.append(self._column(f, values, len(rows)))
        return list(zip(*columns, strict=True))

    def _column(self, field: models.Field[Any, Any], given: Sequence[Any] | Same, count: int) -> Iterable[Any]:
        """A column's values adapted for the driver: ``Same`` is adapted once and repeated."""
        adapt = self._adapter(field)
        if isinstance(given, Same):
            return repeat(given.value if adapt is None else adapt(given.value), count)
        return given if adapt is None else [adapt(v) for v in given]

    def _insert_values(self, rows: Sequence[dict[str, Any]], now: dt.datetime) -> list[tuple[Any, ...]]:
        return self._prepare(self.fields, rows, {f.attname: self._default(f, now) for f in self.fields})

    @staticmethod
    def _default(field: models.Field[Any, Any], now: dt.datetime) -> Any:
        stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        return now if stamped else field.get_default()

    def _columns(self) -> str:
        return ", ".join(connection.ops.quote_name(f.column) for f in self.fields)

    def insert(self, rows: Sequence[dict[str, Any]], now: dt.datetime, *, ids: Sequence[int] | None = None) -> None:
        """Insert the rows; with ``ids``, each row takes the id in the same place."""
        if rows:
            self._write(self._insert_values(rows, now), ids)

    def insert_columns(self, columns: dict[str, Any], count: int, now: dt.datetime) -> None:
        """Insert ``count`` rows given a column at a time, by attribute name: a list of values, or
        ``Same(value)`` for one value in every row. Fields not given take their defaults. For the
        millions of rows that differ in a column or two (an alert's evidence), without a dict a row."""
        if not count:
            return
        prepared = [self._column(f, columns.get(f.attname, Same(self._default(f, now))), count) for f in self.fields]
        self._write(list(zip(*prepared, strict=True)), None)

    def _write(self, values: list[tuple[Any, ...]], ids: Sequence[int] | None) -> None:
        table = connection.ops.quote_name(self.model._meta.db_table)
        columns = self._columns()
        if ids is not None:
            values = [(pk, *row) for pk, row in zip(ids, values, strict=True)]
            columns = f"{connection.ops.quote_name(self.pk_column)}, {columns}"
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
                self._analyse_as_it_grows(cursor, table, len(values))
                return
            placeholders = ", ".join(["%s"] * len(values[0]))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})", values)  # noqa: S608

    def _analyse_as_it_grows(self, cursor: Any, table: str, written: int) -> None:
        """Renew PostgreSQL's statistics of a table each time it has about doubled.

        Rows written inside a long transaction (an import of millions of rows) are invisible to
        autovacuum until it commits, so the planner would go on planning the next batch's lookups
        for the nearly empty table it last analysed. ANALYZE in the transaction sees them; doubling
        keeps it to a few runs however large the load (about ten for 5 million rows).
        """
        self._written_since_analyse += written
        if self._written_since_analyse < max(self.ANALYSE_FROM, self._rows_at_analyse):
            return
        cursor.execute(f"ANALYZE {table}")
        self._rows_at_analyse = max(0, _estimated_rows(cursor, self.model._meta.db_table))
        self._written_since_analyse = 0

    def insert_returning_ids(
        self, rows: Sequence[dict[str, Any]], now: dt.datetime, *, self_references: Sequence[str] = ()
    ) -> list[int]:
        """Insert and return the new ids in the order of ``rows``. Each foreign key named in
        ``self_references`` is set to the row's own id (a person is their own root).

        The ids are taken first and the rows written with them in bulk: from the table's sequence
        on PostgreSQL; on SQLite, the next ones after the highest the table has ever used, which is
        safe inside a transaction (IMMEDIATE, as the hub's settings make them: no other writer is
        let in until it ends). Outside one, on SQLite, multi-row INSERT ... RETURNING gives the ids
        in the order of the VALUES (SQLite 3.35+), as Django's own bulk_create relies on.
        """
        if not rows:
            return []
        quote = connection.ops.quote_name
        db_table = self.model._meta.db_table
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [db_table, self.pk_column, len(rows)],
                )
                ids = [row[0] for row in cursor.fetchall()]
            elif connection.in_atomic_block:
                cursor.execute(
                    f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "  # noqa: S608
                    f"coalesce((SELECT max({quote(self.pk_column)}) FROM {quote(db_table)}), 0))",
                    [db_table],
                )
                first = int(cursor.fetchone()[0]) + 1
                ids = list(range(first, first + len(rows)))
            else:
                if self_references:
                    raise RuntimeError("rows that refer to themselves need a transaction, to take their ids first")
                return self._insert_returning(rows, now)
        if self_references:
            rows = [{**row, **{f"{name}_id": pk for name in self_references}} for row, pk in zip(rows, ids, strict=True)]
        self.insert(rows, now, ids=ids)
        return ids

    def _insert_returning(self, rows: Sequence[dict[str, Any]], now: dt.datetime) -> list[int]:
        table = connection.ops.quote_name(self.model._meta.db_table)
        row_sql = "(" + ", ".join(["%s"] * len(self.fields)) + ")"
        # SQLite may be built to take no more than 999 values a statement.
        per_statement = max(1, 999 // len(self.fields))
        values = self._insert_values(rows, now)
        ids: list[int] = []
        with connection.cursor() as cursor:
            for start in range(0, len(values), per_statement):
                chunk = values[start : start + per_statement]
                cursor.execute(
                    f"INSERT INTO {table} ({self._columns()}) VALUES {', '.join([row_sql] * len(chunk))} "  # noqa: S608
                    f"RETURNING {connection.ops.quote_name(self.pk_column)}",
                    [value for row in chunk for value in row],
                )
                ids.extend(row[0] for row in cursor.fetchall())
        return ids

    def update(self, rows: Sequence[dict[str, Any]], names: Sequence[str], *, skip_unchanged: bool = False) -> None:
        """Set the named fields of each row, found by its ``id``. ``skip_unchanged``: a row whose
        fields already hold these values is not written at all (no new row version, no index entry):
        for updates where most rows are expected to be the same already."""
        if not rows:
            return
        fields = [self.by_name[n] for n in names]
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        pk = quote(self.pk_column)
        values = [(*prepared, row["id"]) for prepared, row in zip(self._prepare(fields, rows), rows, strict=True)]
        with connection.cursor() as cursor:
            if connection.vendor != "postgresql":
                assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
                where = f"{pk} = %s"
                if skip_unchanged:  # IS NOT: SQLite's comparison that treats two NULLs as the same
                    where += " AND (" + " OR ".join(f"{quote(f.column)} IS NOT %s" for f in fields) + ")"
                    values = [(*v, *v[:-1]) for v in values]
                cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {where}", values)  # noqa: S608
                return
            # Changed rows are copied into a scratch table and applied with one UPDATE: statements
            # holding thousands of values cost more to compose and parse than the update itself.
            scratch = quote(f"bulk_{self.model._meta.db_table}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {scratch} ON COMMIT DROP "  # noqa: S608
                f"AS SELECT * FROM {table} WITH NO DATA"
            )
            columns = ", ".join([*(quote(f.column) for f in fields), pk])
            with cursor.cursor.copy(f"COPY {scratch} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in fields)
            where = f"t.{pk} = v.{pk}"
            if skip_unchanged:
                where += (f" AND ({', '.join(f't.{quote(f.column)}' for f in fields)}) IS DISTINCT FROM"
                          f" ({', '.join(f'v.{quote(f.column)}' for f in fields)})")
            cursor.execute(f"UPDATE {table} AS t SET {assignments} FROM {scratch} AS v WHERE {where}")  # noqa: S608
            cursor.execute(f"TRUNCATE {scratch}")
