"""Score candidate pairs with a trained model, and explain a pair's score in words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from splink import Linker

from safeguarding.linkage.base import LinkageSettings, Progress, report
from safeguarding.linkage.comparisons import Comparison, comparisons
from safeguarding.linkage.engines import database
from safeguarding.linkage.model import _SPLINK_LOG_LEVEL, TrainedModel, splink_settings
from safeguarding.linkage.prepare import prepare_records

NHS_CONFLICT_LABEL = "exact match, but names and date of birth disagree"


def gamma_values(comparison: Comparison) -> list[int]:
    """Splink's comparison vector value for each level, in definition order: -1 for the null level, then
    counting down to 0 for the else level."""
    count = len(comparison.levels) - 1
    return [-1, *range(count - 1, -1, -1)]


def _levels_from_weights(weights: np.ndarray, level_weights: list[float]) -> np.ndarray:
    """The level index of each pair, recovered from its per-comparison match weight (Splink writes each
    level's weight as a literal, so the nearest level weight is the level)."""
    candidates = np.asarray(level_weights)
    return np.abs(weights[:, None] - candidates[None, :]).argmin(axis=1)


def explainable_pairs(predictions: pa.Table, model: TrainedModel) -> pa.Table:
    """Splink's predictions as pairs with, per comparison, the gamma level (int8), its label (dictionary-encoded) and its weight."""
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "unique_id_l": pc.cast(predictions.column("unique_id_l"), pa.int64()),
        "unique_id_r": pc.cast(predictions.column("unique_id_r"), pa.int64()),
        "match_probability": pc.cast(predictions.column("match_probability"), pa.float64()),
        "match_weight": pc.cast(predictions.column("match_weight"), pa.float64()),
    }
    for comparison in comparisons():
        mw = predictions.column(f"mw_{comparison.name}").to_numpy(zero_copy_only=False).astype(np.float64)
        index = _levels_from_weights(mw, model.level_weights(comparison.name))
        gammas = np.asarray(gamma_values(comparison), dtype=np.int8)[index]
        labels = pa.DictionaryArray.from_arrays(
            pa.array(index.astype(np.int8)), pa.array([lvl.label for lvl in comparison.levels]))
        columns[f"gamma_{comparison.name}"] = pa.array(gammas)
        columns[f"label_{comparison.name}"] = labels
        columns[f"mw_{comparison.name}"] = pa.array(mw.astype(np.float32))
    nhs_levels = [lvl.label for lvl in next(c for c in comparisons() if c.name == "nhs_number").levels]
    conflict = pc.equal(pc.cast(columns["label_nhs_number"], pa.string()), NHS_CONFLICT_LABEL) \
        if NHS_CONFLICT_LABEL in nhs_levels else pa.nulls(predictions.num_rows, pa.bool_())
    # A pair sharing a valid NHS number while names and date of birth disagree: a data-quality problem.
    columns["nhs_number_conflict"] = conflict
    table = pa.table(columns)
    return table.sort_by([("unique_id_l", "ascending"), ("unique_id_r", "ascending")])


def predict_pairs(
    records: pa.Table, model: TrainedModel, *, settings: LinkageSettings, engine: str = "duckdb",
    progress: Progress | None = None, prepared: pa.Table | None = None,
) -> pa.Table:
    """Score every candidate pair the blocking rules find; return those at or above
    `settings.min_pair_probability`.

    Columns: unique_id_l < unique_id_r, match_probability, match_weight, and for each comparison
    gamma_<name> (Splink's level value: -1 missing, 0 different, higher is closer), label_<name> (the
    level in words) and mw_<name> (its match weight in bits), then nhs_number_conflict.
    """
    return explainable_pairs(splink_predictions(records, model, settings=settings, engine=engine, progress=progress,
                                                prepared=prepared), model)


def splink_predictions(
    records: pa.Table, model: TrainedModel, *, settings: LinkageSettings, engine: str = "duckdb",
    progress: Progress | None = None, prepared: pa.Table | None = None,
) -> pa.Table:
    """Splink's own predictions (unique_id_l < unique_id_r, match_weight, match_probability, mw_<name>),
    before explainable_pairs turns them into levels and words."""
    report(progress, "predict", 0, 3)
    table = prepared if prepared is not None else prepare_records(records, settings,
                                                                  frequencies=model.frequencies)
    report(progress, "predict", 1, 3)
    with database(engine, settings) as db_api:
        settings_dict = splink_settings(settings, db_api.sql_dialect.sql_dialect_str, model=model)
        # The settings are this code's own, checked by its tests: Splink's check of every column named in
        # them would cost a quarter of a second each time.
        linker = Linker(db_api.register(table), settings_dict, log_level=_SPLINK_LOG_LEVEL, validate_settings=False)
        predictions = linker.inference.predict(
            threshold_match_probability=settings.min_pair_probability, warning_mode="never")
        report(progress, "predict", 2, 3)
        arrow = predictions.as_pyarrow_table()
        predictions.drop_table_from_database_and_remove_from_cache()
    report(progress, "predict", 3, 3)
    return arrow


class Contribution(NamedTuple):
    """One step of the waterfall: what a comparison (or the prior) added to the pair's match weight."""

    comparison: str
    label: str
    match_weight: float  # bits
    status: str  # "agree", "similar", "disagree", "missing", or "prior"


@lru_cache(maxsize=1)
def _level_table() -> tuple[tuple[str, dict[int, tuple[int, str, str]]], ...]:
    """For each comparison: its name, and for each gamma value the level's index, label and kind.
    Plain values, built once: building the comparisons costs milliseconds, and a run explains
    thousands of pairs."""
    return tuple(
        (c.name, {gamma: (index, level.label, level.kind)
                  for index, (gamma, level) in enumerate(zip(gamma_values(c), c.levels, strict=True))})
        for c in comparisons()
    )


def contributions_from_pair(pair: Mapping[str, Any], model: TrainedModel) -> list[Contribution]:
    """The waterfall of one row of `predict_pairs`' output, without recomputing anything."""
    result = [Contribution("prior", "probability two random records match", model.prior_match_weight, "prior")]
    for name, levels in _level_table():
        index, label, kind = levels[int(pair[f"gamma_{name}"])]
        result.append(Contribution(name, label, model.parameters[name][index].match_weight, kind))
    return result


def explain_pair(
    record_l: Mapping[str, Any], record_r: Mapping[str, Any], model: TrainedModel,
    *, settings: LinkageSettings | None = None,
) -> list[Contribution]:
    """Why the model scores two source records as it does: the prior, then each comparison's level in words
    and its match weight in bits, and whether the fields agree, are similar, disagree or are missing.
    The weights add up to the pair's match weight; probability = 2^w / (1 + 2^w).

    Records are dicts with INPUT_COLUMNS (missing keys are missing values). Runs in a throwaway DuckDB.
    """
    return explain_pairs([(record_l, record_r)], model, settings=settings)[0]


def explain_pairs(
    pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]], model: TrainedModel,
    *, settings: LinkageSettings | None = None,
) -> list[list[Contribution]]:
    """explain_pair for many pairs at once, in one prediction: each pair's two records get a key of
    their own, and the only blocking rule is that key, so exactly the given pairs are scored. Splink's
    score_pair costs a third of a second a pair in composing SQL; a run explains hundreds. Each pair
    is explained as explain_pair would alone (no identifier is set aside for being shared among the
    pairs' records)."""
    if not pairs:
        return []
    settings = settings or LinkageSettings()
    rows = []
    for number, (record_l, record_r) in enumerate(pairs):
        for side, record in enumerate((record_l, record_r), start=1):
            row = dict(record)
            row["unique_id"] = 2 * number + side  # the pair's own ids: the caller's may be equal or absent
            rows.append(row)
    keys = sorted({k for row in rows for k in row})
    table = pa.Table.from_pylist(rows).select(keys)
    prepared = prepare_records(table, replace(settings, max_records_per_identifier=len(rows)),
                               frequencies=model.frequencies)
    pair_key = pc.divide(pc.subtract(prepared.column("unique_id"), 1), 2)  # integer division: 1, 2 -> 0
    prepared = prepared.append_column("explained_pair", pair_key)
    with database("duckdb", settings) as db_api:
        settings_dict = splink_settings(settings, "duckdb", model=model)
        rule = settings_dict["blocking_rules_to_generate_predictions"][0]
        settings_dict["blocking_rules_to_generate_predictions"] = [
            {**rule, "blocking_rule": "l.explained_pair = r.explained_pair"}]
        linker = Linker(db_api.register(prepared), settings_dict, log_level=_SPLINK_LOG_LEVEL, validate_settings=False)
        predictions = linker.inference.predict(warning_mode="never")
        scored = explainable_pairs(predictions.as_pyarrow_table(), model)
        predictions.drop_table_from_database_and_remove_from_cache()
    by_pair = {(row["unique_id_l"] - 1) // 2: row for row in scored.to_pylist()}
    return [contributions_from_pair(by_pair[number], model) for number in range(len(pairs))]


def match_probability(contributions: list[Contribution]) -> float:
    """The probability the contributions add up to."""
    weight = sum(c.match_weight for c in contributions)
    return float(2**weight / (1 + 2**weight))
