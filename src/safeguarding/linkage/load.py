"""Loading every source record as the linkage pipeline's input: one query straight into Arrow
columns, with where each record stands now (its person, and how it came to it)."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from django.db import connection, models

from safeguarding.core.arrow import query_arrow
from safeguarding.core.bulk import column_of
from safeguarding.linkage.base import INPUT_COLUMNS, Progress, report
from safeguarding.people.models import SourceRecord, SourceSystem

_FIELDS = [c for c in INPUT_COLUMNS if c not in ("unique_id", "source_system")]
_LOAD_SCHEMA = pa.schema(
    [("unique_id", pa.int64()), ("person_id", pa.int64()), ("link_method", pa.string()),
     ("link_probability", pa.float64()), ("source_system", pa.string())]
    + [(name, pa.bool_() if name == "nhs_number_valid" else pa.string()) for name in _FIELDS]
)


@dataclass
class LoadedRecords:
    """Every source record as the pipeline's input table, with where each record stands now."""

    records: pa.Table
    # unique_id (ascending, as in records), person_id, link_method, link_probability
    state: pa.Table

    @property
    def current(self) -> dict[int, int]:
        """Each record's person."""
        return dict(zip(self.state.column("unique_id").to_pylist(), self.state.column("person_id").to_pylist(),
                        strict=True))


def _select_records_sql() -> str:
    """One query for every source record, its system's code and its linkage state (in no particular
    order: ``_load`` puts them in id order). Built from model metadata only; no caller's text reaches it."""
    quote = connection.ops.quote_name
    meta = SourceRecord._meta

    def column(name: str, model: type[models.Model] = SourceRecord, alias: str = "r") -> str:
        return f"{alias}.{quote(column_of(model, name))}"

    selected = [
        # A postcode that is not a UK one is kept apart from ``postcode`` at import, but is still compared.
        f"CASE WHEN {column('postcode')} <> '' THEN {column('postcode')} ELSE {column('postcode_other')} END"
        if name == "postcode" else column(name)
        for name in _FIELDS
    ]
    return (
        f"SELECT {column('id')}, {column('person')}, {column('link_method')}, {column('link_probability')}, "  # noqa: S608
        f"{column('code', SourceSystem, 's')}, {', '.join(selected)} "
        f"FROM {quote(meta.db_table)} r JOIN {quote(SourceSystem._meta.db_table)} s "
        f"ON {column('id', SourceSystem, 's')} = {column('source_system')}"
    )


def load(*, progress: Progress | None = None) -> LoadedRecords:
    """Read the records with one query straight into Arrow columns (``core.arrow.query_arrow``,
    through ADBC on both databases): a million records are never held as Django objects or dicts."""
    total = SourceRecord.objects.count()
    done = 0
    report(progress, "load", 0, total)

    def read(rows: int) -> None:
        nonlocal done
        done += rows
        report(progress, "load", done, total)

    # Sorted here, not by the database: the pipeline and the write-back want id order whichever
    # reader brought the rows.
    table = query_arrow(_select_records_sql(), _LOAD_SCHEMA, read).sort_by("unique_id")
    states = table.select(["unique_id", "person_id", "link_method", "link_probability"])
    records = table.select(list(INPUT_COLUMNS))
    return LoadedRecords(records, states)


def load_records(*, progress: Progress | None = None) -> tuple[pa.Table, dict[int, int]]:
    """Every source record as the pipeline's input table (INPUT_COLUMNS), and each record's current person."""
    loaded = load(progress=progress)
    return loaded.records, loaded.current
