"""An extract read and validated, kept on disk until it is written: each file's accepted rows and
issues, a batch at a time, as Arrow IPC files in a folder of the run's own.

Reading and validating hold no transaction and write nothing; staging their result lets the
import take the database's write lock only for the all-or-nothing write that follows, and keeps
memory to a batch however large the extract. The folder sits under the data folder, on the hub's
own disk (it holds personal data, as the database does; a temporary folder may be in memory), and
is removed when the import ends, or when a killed import is found interrupted.

Rows come back a batch at a time as columns (``StagedBatch``): new rows go to the database as the
columns they are, and a row is made into Python values of its own only when it must be compared
with what the hub holds or reported. Each row's raw cells are staged as the JSON the database
keeps, encoded while the file was read rather than while the lock is held.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.db import models

from safeguarding.exchange.format import FileFormat
from safeguarding.exchange.issues import FileCounts, Issue
from safeguarding.exchange.validate import Accepted

_MOMENT = pa.timestamp("us", tz="UTC")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_WARNINGS = pa.list_(pa.struct([("column", pa.string()), ("reason", pa.string())]))
_ISSUES = pa.schema([
    ("line", pa.int64()), ("severity", pa.string()), ("reason", pa.string()), ("column", pa.string()),
    ("row", pa.string()),
])


def staging_folder(data_dir: Path, run_id: int) -> Path:
    return data_dir / "imports" / "staging" / f"run-{run_id}"


def remove_staging(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _arrow_type(model_field: models.Field[Any, Any]) -> pa.DataType:
    if isinstance(model_field, models.BooleanField):
        return pa.bool_()
    if isinstance(model_field, models.DateTimeField):  # before DateField: it is one
        return _MOMENT
    if isinstance(model_field, models.DateField):
        return pa.date32()
    return pa.string()


def _array(values: list[Any], type_: pa.DataType) -> pa.Array:
    if type_ == _MOMENT:
        # Through whole microseconds: Arrow makes them from integers several times faster.
        return pa.array([None if v is None else (v - _EPOCH) // _MICROSECOND for v in values], pa.int64()).cast(_MOMENT)
    return pa.array(values, type=type_)


def _pylist(column: pa.Array) -> list[Any]:
    if column.type == _MOMENT:
        # Aware datetimes in UTC, as the validator made them (and several times faster than Arrow's own).
        return [None if us is None else _EPOCH + dt.timedelta(microseconds=us) for us in column.cast(pa.int64()).to_pylist()]
    return column.to_pylist()


def rows_schema(fmt: FileFormat) -> pa.Schema:
    """The columns a file's accepted rows are staged in: line, sending system, ids, values, the
    row as sent, warnings."""
    assert fmt.model is not None
    model_fields = {f.name: f for f in fmt.model._meta.get_fields() if isinstance(f, models.Field)}
    return pa.schema([
        ("line", pa.int64()),
        ("system_id", pa.int64()),
        *((f"id:{name}", pa.string()) for name in fmt.ids),
        *((f"value:{name}", _arrow_type(model_fields[name])) for name in fmt.fields),
        ("raw", pa.string()),
        ("warnings", _WARNINGS),
    ])


def staged_rows(schema: pa.Schema, accepted: list[Accepted]) -> pa.RecordBatch:
    """Accepted rows as one batch in ``schema`` (``rows_schema``), ready to stage."""
    columns: list[pa.Array] = []
    for column in schema:
        name = column.name
        if name == "line":
            values: list[Any] = [a.line for a in accepted]
        elif name == "system_id":
            values = [a.system_id for a in accepted]
        elif name.startswith("id:"):
            key = name[3:]
            values = [a.ids[key] for a in accepted]
        elif name.startswith("value:"):
            key = name[6:]
            values = [a.values.get(key) for a in accepted]
        elif name == "raw":
            values = [json.dumps(a.raw) for a in accepted]  # as Django's JSONField encodes it
        else:
            values = [[{"column": c, "reason": r} for c, r in a.warnings] if a.warnings else None for a in accepted]
        columns.append(_array(values, column.type))
    return pa.record_batch(columns, schema=schema)


@dataclass
class StagedFile:
    """One file of the extract, validated: its header, counts so far, and its batches on disk (or
    the one issue that refused it)."""

    fmt: FileFormat
    folder: Path
    header: list[str] = field(default_factory=list)
    counts: FileCounts = field(default_factory=FileCounts)
    refusal: Issue | None = None
    accepted: int = 0  # rows to write
    batches: int = 0
    _writers: tuple[pa.ipc.RecordBatchFileWriter, pa.ipc.RecordBatchFileWriter] | None = None
    _schema: pa.Schema | None = None

    @property
    def _stem(self) -> Path:
        return self.folder / self.fmt.name.removesuffix(".csv")

    def start(self, header: list[str]) -> None:
        """The header is read: rows may now be added."""
        self.header = header
        self.folder.mkdir(parents=True, exist_ok=True)
        self._schema = rows_schema(self.fmt)
        self._writers = (
            pa.ipc.new_file(str(self._stem) + ".rows.arrow", self._schema),
            pa.ipc.new_file(str(self._stem) + ".issues.arrow", _ISSUES),
        )

    @property
    def schema(self) -> pa.Schema:
        assert self._schema is not None
        return self._schema

    def add(self, rows: pa.RecordBatch, issues: list[Issue]) -> None:
        """One batch: its accepted rows (``staged_rows``), and the issues found as it was read (in
        any order)."""
        assert self._writers is not None
        self._writers[0].write_batch(rows)
        self._writers[1].write_batch(pa.record_batch([
            pa.array([i.line for i in issues], pa.int64()),
            pa.array([i.severity for i in issues], pa.string()),
            pa.array([i.reason for i in issues], pa.string()),
            pa.array([i.column for i in issues], pa.string()),
            pa.array([json.dumps(i.row) for i in issues], pa.string()),
        ], schema=_ISSUES))
        self.accepted += rows.num_rows
        self.batches += 1

    def finish(self) -> None:
        if self._writers is not None:
            for writer in self._writers:
                writer.close()
            self._writers = None

    def refuse(self, issue: Issue) -> None:
        """The whole file is refused: what was staged of it is forgotten."""
        self.finish()
        for suffix in (".rows.arrow", ".issues.arrow"):
            Path(str(self._stem) + suffix).unlink(missing_ok=True)
        self.counts = FileCounts(file_rejected=issue.reason)
        self.refusal = issue
        self.accepted = self.batches = 0

    def read(self) -> Iterator[StagedBatch]:
        """The batches again, in the order they were added (each read into memory as it comes:
        a memory-mapped file would count the whole staged extract in the process's memory)."""
        if not self.batches:
            return
        with pa.OSFile(str(self._stem) + ".rows.arrow") as rows_file, \
                pa.OSFile(str(self._stem) + ".issues.arrow") as issues_file:
            rows = pa.ipc.open_file(rows_file)
            issues = pa.ipc.open_file(issues_file)
            for index in range(self.batches):
                found = issues.get_batch(index).to_pydict()
                batch_issues = [
                    Issue(self.fmt.name, line, severity, reason, column, json.loads(row))
                    for line, severity, reason, column, row in zip(
                        found["line"], found["severity"], found["reason"], found["column"], found["row"], strict=True
                    )
                ]
                yield StagedBatch(self.fmt, rows.get_batch(index), batch_issues)


class StagedBatch:
    """One staged batch, column by column, with each row's values made only when asked for."""

    def __init__(self, fmt: FileFormat, batch: pa.RecordBatch, issues: list[Issue]) -> None:
        self.fmt = fmt
        self.issues = issues
        self.size = batch.num_rows
        self._batch = batch
        self.lines: list[int] = batch.column("line").to_pylist()
        self.system_ids: list[int] = batch.column("system_id").to_pylist()
        self.ids: dict[str, list[str]] = {name: batch.column(f"id:{name}").to_pylist() for name in fmt.ids}
        self.raw_json: list[str] = batch.column("raw").to_pylist()
        self.warnings: list[list[dict[str, str]] | None] = batch.column("warnings").to_pylist()
        self._values: dict[str, list[Any]] | None = None

    def raw(self, index: int) -> dict[str, str]:
        loaded: dict[str, str] = json.loads(self.raw_json[index])
        return loaded

    def values(self, name: str) -> list[Any]:
        """The value of field ``name`` in each row (None where unknown)."""
        if self._values is not None:
            return self._values[name]
        return _pylist(self._batch.column(f"value:{name}"))

    def row(self, index: int) -> Accepted:
        """Row ``index`` with its own values (known values only), to compare with a stored row."""
        if self._values is None:
            self._values = {name: _pylist(self._batch.column(f"value:{name}")) for name in self.fmt.fields}
        warnings = self.warnings[index]
        return Accepted(
            self.lines[index], self.system_ids[index], {name: ids[index] for name, ids in self.ids.items()},
            {name: values[index] for name, values in self._values.items() if values[index] is not None},
            [(w["column"], w["reason"]) for w in warnings] if warnings else [],
            self.raw(index),
        )

    def columns(self, indices: Sequence[int], defaults: dict[str, Any]) -> dict[str, list[Any]]:
        """The value columns of the rows at ``indices``, an unknown value given its field's
        default (as a new row takes it), ready to insert as they are."""
        taken = self._batch.take(pa.array(indices, pa.int64())) if len(indices) != self.size else self._batch
        columns: dict[str, list[Any]] = {}
        for name in self.fmt.fields:
            column = taken.column(f"value:{name}")
            default = defaults[name]
            if default is not None and column.null_count:
                column = pc.fill_null(column, pa.scalar(default, column.type))
            columns[name] = _pylist(column)
        return columns

    def take(self, values: list[Any], indices: Sequence[int]) -> list[Any]:
        return values if len(indices) == self.size else [values[i] for i in indices]
