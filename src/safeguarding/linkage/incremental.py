"""Keep what a run compared, so that the next run compares only the records that changed.

A pair's score depends on nothing but the two records' prepared values and the model: the comparisons
use no term frequencies, and the blocking rules look only at the two records. So after a run, every
pair between two records that have not changed since scores exactly as it did, and only pairs with at
least one changed record need comparing again. The one thing that reaches across records is the
shared-identifier rule (a phone or NHS number held by more than `max_records_per_identifier` records is
set aside): when a value crosses that line, every record holding it is prepared and compared again.

The store is a DuckDB file (`LINKAGE_STORE_DIR/pairs.duckdb`) holding, as of the last run:
- `hashes`: each record's id and a hash of every field linkage reads, to see what changed;
- `identifiers`: each record's identifiers before shared values were set aside, to count them again;
- `shared`: the values set aside;
- `prepared`: the prepared table Splink compares;
- `predictions`: Splink's scored pairs (at or above `min_pair_probability`);
- `meta`: the key that says which model, settings and code produced all of it.

It is a cache, not a record: it can be deleted at any time, and any doubt about it (another key, an
unreadable file, more than a quarter of the records changed) means a full run, which writes it again.
Nothing in it is trusted over the database: what changed is worked out from the records each run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import splink
from splink import DuckDBAPI, Linker
from splink.internals.blocking import BlockingRule
from splink.internals.blocking_rule_creator import BlockingRuleCreator

from safeguarding.core.arrow import arrow_table
from safeguarding.linkage import comparisons as comparisons_module
from safeguarding.linkage import model as model_module
from safeguarding.linkage import prepare as prepare_module
from safeguarding.linkage.base import LinkageSettings, Progress, report
from safeguarding.linkage.engines import duckdb_connection
from safeguarding.linkage.model import _SPLINK_LOG_LEVEL, TrainedModel, splink_settings
from safeguarding.linkage.prepare import IDENTIFIER_COLUMNS, Prepared, Shared, conform, prepare_in, shared_values

logger = logging.getLogger(__name__)

CACHE_FORMAT = 1
CACHE_FILE = "pairs.duckdb"
# Beyond this share of records changed, comparing everything again is as quick and simpler.
MAX_SHARE_CHANGED = 0.25
# Settings that do not change a pair's score (thresholds act after scoring; the rest is machinery).
_SETTINGS_NOT_IN_KEY = frozenset({
    "lower_threshold", "upper_threshold", "duckdb_memory_limit", "duckdb_threads", "duckdb_temp_directory",
    "spark_master", "spark_driver_memory", "spark_shuffle_partitions", "spark_conf",
})


@dataclass(frozen=True)
class Scored:
    """Splink's predictions for every pair, and how much of it this run compared."""

    predictions: pa.Table
    records_compared: int  # prepared and compared again: the changed, and those holding a value newly shared


def cache_key(model: TrainedModel, settings: LinkageSettings) -> str:
    """What the stored pairs depend on: the model, the settings that shape a score, the code that prepares
    and compares records, and the versions of Splink and DuckDB (whose hash tells changes apart)."""
    import nicknames

    code = hashlib.sha256()
    for module in (prepare_module, comparisons_module, model_module):
        code.update(Path(str(module.__file__)).read_bytes())
    shaping = {k: v for k, v in settings.as_dict().items() if k not in _SETTINGS_NOT_IN_KEY}
    parts = {
        "format": CACHE_FORMAT, "model": model.version, "definition": model.definition_hash,
        "probability": model.probability_two_random_records_match,
        "settings": shaping, "code": code.hexdigest(), "splink": splink.__version__, "duckdb": duckdb.__version__,
        "nicknames": getattr(nicknames, "__version__", ""),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _hash_sql() -> str:
    """One 64-bit hash of every field prepare reads (null and '' hash differently)."""
    fields = [c for c in prepare_module.CONFORMED_COLUMNS if c != "unique_id"]
    return f"hash({', '.join(fields)})"


def _rules(settings_dict: dict[str, Any]) -> list[BlockingRuleCreator | BlockingRule | str | dict[str, Any]]:
    """The prediction blocking rules, each kept to pairs with the smaller id on the left (as a full run
    orders them), so that no pair is found twice and each is scored the way round a full run scores it."""
    return [f"({rule['blocking_rule']}) AND l.unique_id < r.unique_id"
            for rule in settings_dict["blocking_rules_to_generate_predictions"]]


def _ids(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Array:
    table = arrow_table(con.sql(sql))
    return pc.cast(table.column(0).combine_chunks(), pa.int64()) if table.num_rows else pa.array([], pa.int64())


def _attach(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    con.execute(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS cache")


def score_changed(
    records: pa.Table, model: TrainedModel, *, settings: LinkageSettings, directory: Path,
    progress: Progress | None = None, timings: dict[str, float] | None = None,
) -> Scored | None:
    """Every pair's predictions, comparing again only what changed since the stored run; None when the
    store cannot be used (none yet, another model or settings, unreadable, or too much changed)."""
    path = directory / CACHE_FILE
    if not path.exists():
        return None
    con = duckdb_connection(settings)
    try:
        return _score_changed(con, records, model, settings, path, progress, timings if timings is not None else {})
    except Exception as exc:  # a full run is always right: any doubt about the store means one
        logger.warning("linkage: the stored pairs in %s could not be used (%s); comparing every record", path, exc,
                       exc_info=True)
        return None
    finally:
        con.close()


def _score_changed(
    con: duckdb.DuckDBPyConnection, records: pa.Table, model: TrainedModel, settings: LinkageSettings,
    path: Path, progress: Progress | None, timings: dict[str, float],
) -> Scored | None:
    started = time.perf_counter()
    _attach(con, path)
    stored = dict(con.execute("select key, value from cache.meta").fetchall())
    if stored.get("key") != cache_key(model, settings):
        return None
    report(progress, "prepare", 0, 3)
    table = conform(records)
    con.register("records_now", table)
    con.execute(f"create temp table now_hash as select unique_id, {_hash_sql()} as h from records_now")  # noqa: S608
    changed = _ids(con, "select n.unique_id from now_hash n left join cache.hashes o using (unique_id) "
                        "where o.h is distinct from n.h order by 1")
    removed = _ids(con, "select unique_id from cache.hashes anti join now_hash using (unique_id) order by 1")
    if len(changed) + len(removed) == 0:
        report(progress, "prepare", 3, 3)
        timings["prepare"] = time.perf_counter() - started
        started = time.perf_counter()
        report(progress, "predict", 0, 1)
        predictions = arrow_table(con.sql("select * from cache.predictions"))
        report(progress, "predict", 1, 1)
        timings["predict"] = time.perf_counter() - started
        return Scored(predictions, 0)
    if len(changed) + len(removed) > MAX_SHARE_CHANGED * max(table.num_rows, 1):
        return None
    con.register("changed_ids", pa.table({"unique_id": changed}))
    con.register("removed_ids", pa.table({"unique_id": removed}))
    con.execute("create temp table gone as select unique_id from changed_ids union all select unique_id from removed_ids")

    # Prepare the changed records, then count every identifier again with their new values.
    old_shared: Shared = {column: [] for column in IDENTIFIER_COLUMNS}
    for column, value in con.execute("select col, v from cache.shared order by col, v").fetchall():
        old_shared[column].append(value)
    first = prepare_in(con, table.filter(pc.is_in(table.column("unique_id"), value_set=changed)), settings,
                       shared=old_shared, keep_identifiers=True, frequencies=model.frequencies)
    assert first.identifiers is not None
    con.register("identifiers_changed", first.identifiers)
    columns = ", ".join(["unique_id", *IDENTIFIER_COLUMNS])
    con.execute(f"""create temp view identifiers_now as
        select {columns} from cache.identifiers where unique_id not in (select unique_id from gone)
        union all select {columns} from identifiers_changed""")  # noqa: S608
    new_shared = shared_values(con, "identifiers_now", settings.max_records_per_identifier)
    report(progress, "prepare", 1, 3)

    # A value that became shared, or stopped being, changes every record that holds it.
    affected: set[int] = set()
    for column, is_list in IDENTIFIER_COLUMNS.items():
        crossed = sorted(set(old_shared[column]) ^ set(new_shared[column]))
        if crossed:
            test = f"list_has_any({column}, ?)" if is_list else f"list_contains(?, {column})"
            affected.update(r[0] for r in con.execute(
                f"select unique_id from identifiers_now where {test}", [crossed]).fetchall())  # noqa: S608
    affected.difference_update(changed.to_pylist())
    if affected:
        dirty = pa.array(sorted(set(changed.to_pylist()) | affected), pa.int64())
        prepared = prepare_in(con, table.filter(pc.is_in(table.column("unique_id"), value_set=dirty)), settings,
                              shared=new_shared, frequencies=model.frequencies).table
    else:
        dirty, prepared = changed, first.table
    report(progress, "prepare", 2, 3)
    con.register("dirty_ids", pa.table({"unique_id": dirty}))
    con.register("prepared_dirty", prepared)
    con.execute("create temp table d as select * from prepared_dirty")
    con.execute("create temp table dropped as select unique_id from dirty_ids union all select unique_id from removed_ids")
    con.execute("create temp view u as select * from cache.prepared where unique_id not in (select unique_id from dropped)")
    con.execute("create temp view a as select * from u union all select * from d")
    report(progress, "prepare", 3, 3)
    timings["prepare"] = time.perf_counter() - started
    started = time.perf_counter()

    # Score only pairs with a record compared again: (dirty, anything) and (unchanged, dirty).
    report(progress, "predict", 0, 3)
    db_api = DuckDBAPI(connection=con)
    settings_dict = splink_settings(settings, "duckdb", model=model)
    rules = _rules(settings_dict)
    linker = Linker(db_api.register("a"), settings_dict, log_level=_SPLINK_LOG_LEVEL, validate_settings=False)
    new_pairs = []
    for left, right in (("d", "a"), ("u", "d")):
        scored = linker.inference.predict_between(
            db_api.register(left), db_api.register(right), blocking_rules_to_generate_predictions=rules,
            threshold_match_probability=settings.min_pair_probability, warning_mode="never")
        new_pairs.append(scored.physical_name)
    report(progress, "predict", 1, 3)

    prediction_columns = [r[0] for r in con.execute(
        "select column_name from duckdb_columns() where database_name = 'cache' and table_name = 'predictions' "
        "order by column_index").fetchall()]
    selected = ", ".join(f'"{c}"' for c in prediction_columns)
    con.execute("begin transaction")
    try:
        con.execute("delete from cache.predictions where unique_id_l in (select unique_id from dropped) "
                    "or unique_id_r in (select unique_id from dropped)")
        for name in new_pairs:
            con.execute(f"insert into cache.predictions select {selected} from {name}")  # noqa: S608
        con.execute("delete from cache.prepared where unique_id in (select unique_id from dropped)")
        con.execute("insert into cache.prepared select * from d")
        con.execute("delete from cache.identifiers where unique_id in (select unique_id from gone)")
        con.execute(f"insert into cache.identifiers select {columns} from identifiers_changed")  # noqa: S608
        con.execute("delete from cache.hashes where unique_id in (select unique_id from gone)")
        con.execute("insert into cache.hashes select unique_id, h from now_hash "
                    "where unique_id in (select unique_id from changed_ids)")
        con.execute("delete from cache.shared")
        _insert_shared(con, new_shared)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    report(progress, "predict", 2, 3)
    predictions = arrow_table(con.sql("select * from cache.predictions"))
    report(progress, "predict", 3, 3)
    timings["predict"] = time.perf_counter() - started
    return Scored(predictions, len(dirty))


def _insert_shared(con: duckdb.DuckDBPyConnection, shared: Shared) -> None:
    rows = [(column, value) for column, values in shared.items() for value in values]
    if rows:
        con.executemany("insert into cache.shared values (?, ?)", rows)


def save(
    directory: Path, records: pa.Table, prepared: Prepared, predictions: pa.Table, model: TrainedModel,
    settings: LinkageSettings,
) -> None:
    """Store a full run's work for the next run: written to a new file, then put in place at once."""
    assert prepared.identifiers is not None, "prepare with keep_identifiers=True to store a run"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / CACHE_FILE
    partial = directory / (CACHE_FILE + ".partial")
    for leftover in (partial, Path(str(partial) + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb_connection(settings)
    try:
        _write(con, partial, records, prepared, predictions, model, settings)
    except BaseException:
        con.close()
        for leftover in (partial, Path(str(partial) + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    con.close()
    os.chmod(partial, 0o600)  # the prepared table holds names, dates of birth and identifiers
    Path(str(path) + ".wal").unlink(missing_ok=True)  # an old file's log must never meet the new file
    os.replace(partial, path)


def _write(
    con: duckdb.DuckDBPyConnection, partial: Path, records: pa.Table, prepared: Prepared, predictions: pa.Table,
    model: TrainedModel, settings: LinkageSettings,
) -> None:
    """Every table of the store, into a new file."""
    _attach(con, partial)
    con.register("records_now", conform(records))
    con.register("prepared_now", prepared.table)
    con.register("identifiers_now", prepared.identifiers)
    con.register("predictions_now", predictions)
    con.execute(f"create table cache.hashes as select unique_id, {_hash_sql()} as h from records_now")  # noqa: S608
    con.execute("create table cache.prepared as select * from prepared_now")
    con.execute("create table cache.identifiers as select * from identifiers_now")
    con.execute("create table cache.predictions as select * from predictions_now")
    con.execute("create table cache.shared (col varchar, v varchar)")
    _insert_shared(con, prepared.shared)
    con.execute("create table cache.meta (key varchar, value varchar)")
    con.execute("insert into cache.meta values ('key', ?)", [cache_key(model, settings)])
    con.execute("detach cache")
