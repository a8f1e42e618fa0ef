"""The linkage pipeline end to end: prepare, train (or reuse) a model, score pairs, group into persons."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safeguarding.linkage.base import INPUT_COLUMNS, LinkageSettings, Progress, report
from safeguarding.linkage.cluster import cluster, conflicting_identifiers, identifier_values
from safeguarding.linkage.model import (
    ModelMismatchError,
    TrainedModel,
    definition_hash,
    model_from_json,
    model_to_json,
    train_model,
)
from safeguarding.linkage.prepare import prepare_in, prepare_records
from safeguarding.linkage.scoring import (
    Contribution,
    contributions_from_pair,
    explain_pair,
    explainable_pairs,
    match_probability,
    predict_pairs,
    splink_predictions,
)

__all__ = [
    "INPUT_COLUMNS", "Contribution", "LinkageResult", "LinkageSettings", "ModelMismatchError", "TrainedModel",
    "cluster", "conflicting_identifiers", "contributions_from_pair", "definition_hash", "explain_pair", "link",
    "match_probability", "model_from_json", "model_to_json", "predict_pairs", "prepare_records",
    "review_pairs", "train_model",
]

Pair = tuple[int, int]
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkageResult:
    """What one run concluded, with the model and settings that produced it."""

    pairs: pa.Table  # every scored pair >= settings.min_pair_probability (see predict_pairs)
    clusters: pa.Table  # unique_id, cluster_id, match_probability (see cluster)
    review: pa.Table  # pairs in [lower, upper) that no person has decided yet, plus same_cluster
    model: TrainedModel
    settings: LinkageSettings
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    compared: int = 0  # records prepared and compared in this run (all of them, unless pairs were kept)


def _decided_mask(pairs: pa.Table, decided: Iterable[Pair]) -> np.ndarray:
    """Which rows of the pairs table a person has already decided (in either order)."""
    keys = {(min(a, b), max(a, b)) for a, b in decided}
    if not keys or not pairs.num_rows:
        return np.zeros(pairs.num_rows, dtype=bool)
    decided_table = pa.table({
        "unique_id_l": pa.array([k[0] for k in keys], pa.int64()),
        "unique_id_r": pa.array([k[1] for k in keys], pa.int64()),
    })
    left = pairs.select(["unique_id_l", "unique_id_r"]).append_column(
        "row", pa.array(np.arange(pairs.num_rows, dtype=np.int64)))
    hits = left.join(decided_table, ["unique_id_l", "unique_id_r"], join_type="inner").column("row")
    mask = np.zeros(pairs.num_rows, dtype=bool)
    mask[hits.to_numpy()] = True
    return mask


def _kept_apart(pairs: pa.Table, clusters: pa.Table, candidates: np.ndarray) -> np.ndarray:
    """Which of the candidate rows of pairs have their two records in different persons."""
    kept = np.zeros(pairs.num_rows, dtype=bool)
    rows = np.flatnonzero(candidates)
    if not len(rows) or not clusters.num_rows:
        return kept
    ids = clusters.column("unique_id").to_numpy().astype(np.int64, copy=False)
    persons = clusters.column("cluster_id").to_numpy().astype(np.int64, copy=False)
    if len(ids) > 1 and not bool(np.all(ids[1:] >= ids[:-1])):
        order = np.argsort(ids, kind="stable")
        ids, persons = ids[order], persons[order]
    left = pairs.column("unique_id_l").to_numpy().astype(np.int64, copy=False)[rows]
    right = pairs.column("unique_id_r").to_numpy().astype(np.int64, copy=False)[rows]
    top = len(ids) - 1
    kept[rows] = persons[np.minimum(np.searchsorted(ids, left), top)] != \
        persons[np.minimum(np.searchsorted(ids, right), top)]
    return kept


def _persons_of_pairs(clusters: pa.Table, pairs: list[Pair]) -> set[tuple[int, int]]:
    """The (smaller, larger) persons of each pair's two records, where they are two persons."""
    if not pairs:
        return set()
    wanted = pa.array(sorted({r for pair in pairs for r in pair}), pa.int64())
    found = clusters.filter(pc.is_in(clusters.column("unique_id"), value_set=wanted))
    person = dict(zip(found.column("unique_id").to_pylist(), found.column("cluster_id").to_pylist(), strict=True))
    return {(min(person[a], person[b]), max(person[a], person[b])) for a, b in pairs
            if a in person and b in person and person[a] != person[b]}


def review_pairs(
    pairs: pa.Table, clusters: pa.Table, *, settings: LinkageSettings, decided: Iterable[Pair] = (),
) -> pa.Table:
    """Pairs for a person to decide, not already decided, strongest first: lower <= probability < upper, and
    links at or above upper that clustering kept apart (`kept_apart`: the person they would make holds two
    NHS numbers, UPNs or PNC ids, or records people said are different), the strongest for each two persons.
    `same_cluster` says whether other links put the two records in one person anyway."""
    decided = list(decided)
    p = pairs.column("match_probability")
    in_band = pc.and_(pc.greater_equal(p, settings.lower_threshold), pc.less(p, settings.upper_threshold))
    undecided = ~_decided_mask(pairs, decided)
    above = pc.greater_equal(p, settings.upper_threshold).to_numpy(zero_copy_only=False) & undecided
    kept_apart = _kept_apart(pairs, clusters, above)
    mask = (in_band.to_numpy(zero_copy_only=False) & undecided) | kept_apart
    band = pairs.filter(pa.array(mask)).append_column("kept_apart", pa.array(kept_apart[mask]))
    # Only the band's records: joining a few thousand pairs to a million-row lookup costs seconds.
    in_band = pa.concat_arrays([band.column("unique_id_l").combine_chunks(), band.column("unique_id_r").combine_chunks()])
    lookup = clusters.select(["unique_id", "cluster_id"])
    lookup = lookup.filter(pc.is_in(lookup.column("unique_id"), value_set=pc.unique(in_band)))
    band = band.join(lookup.rename_columns(["unique_id_l", "cluster_id_l"]), "unique_id_l") \
               .join(lookup.rename_columns(["unique_id_r", "cluster_id_r"]), "unique_id_r")
    same = pc.equal(band.column("cluster_id_l"), band.column("cluster_id_r"))
    band = band.append_column("same_cluster", same)
    band = band.sort_by([("match_probability", "descending"), ("unique_id_l", "ascending"),
                         ("unique_id_r", "ascending")])
    # Of the links kept apart, one per two persons, the strongest, and none between two persons people have
    # already decided a pair of: one decision settles them all.
    kept = band.column("kept_apart").to_numpy(zero_copy_only=False)
    if not kept.any():
        return band
    left, right = band.column("cluster_id_l").to_numpy(), band.column("cluster_id_r").to_numpy()
    first = np.ones(band.num_rows, dtype=bool)
    seen = _persons_of_pairs(clusters, decided)
    for row in np.flatnonzero(kept).tolist():
        persons = (min(int(left[row]), int(right[row])), max(int(left[row]), int(right[row])))
        first[row] = persons not in seen
        seen.add(persons)
    return band.filter(pa.array(first))


def link(
    records: pa.Table, *, settings: LinkageSettings, engine: str = "duckdb", model: TrainedModel | None = None,
    must_link: Iterable[Pair] = (), cannot_link: Iterable[Pair] = (), progress: Progress | None = None,
    store: Path | None = None, compare_all: bool = False,
) -> LinkageResult:
    """Train (unless a model is given), score pairs, group into persons at the upper threshold, and list
    the pairs people should review.

    `store`: a folder where the scored pairs are kept between runs (DuckDB only). With a model given and
    a store from the same model and settings, only records that changed since are compared again
    (see linkage.incremental); the pairs are the same as comparing everything. `compare_all`: compare
    every record anyway (the store is written afresh)."""
    from safeguarding.linkage import incremental

    must = list(must_link)
    cannot = list(cannot_link)
    timings: dict[str, float] = {}
    keep = store is not None and engine == "duckdb"
    scored = None
    if keep and model is not None and not compare_all:
        assert store is not None
        scored = incremental.score_changed(records, model, settings=settings, directory=store, progress=progress,
                                           timings=timings)
    if scored is None:
        timings.clear()
        started = time.perf_counter()
        report(progress, "prepare", 0, 1)
        with duckdb.connect() as con:
            prepared = prepare_in(con, records, settings, keep_identifiers=keep,
                                  frequencies=model.frequencies if model is not None else None)
        report(progress, "prepare", 1, 1)
        timings["prepare"] = time.perf_counter() - started
        if model is None:
            started = time.perf_counter()
            model = train_model(records, settings=settings, engine=engine, progress=progress, prepared=prepared)
            timings["train"] = time.perf_counter() - started
        started = time.perf_counter()
        predictions = splink_predictions(records, model, settings=settings, engine=engine, progress=progress,
                                         prepared=prepared.table)
        timings["predict"] = time.perf_counter() - started
        if keep:
            assert store is not None
            started = time.perf_counter()
            try:
                incremental.save(store, records, prepared, predictions, model, settings)
            except Exception as exc:  # the run's result stands; the next run compares everything again
                logger.warning("linkage: could not keep this run's pairs in %s (%s)", store, exc, exc_info=True)
            timings["store"] = time.perf_counter() - started
        n = records.num_rows
        scored = incremental.Scored(predictions, records_compared=n)
        del prepared
    assert model is not None
    started = time.perf_counter()
    pairs = explainable_pairs(scored.predictions, model)
    timings["predict"] = timings.get("predict", 0.0) + time.perf_counter() - started
    started = time.perf_counter()
    report(progress, "cluster", 0, 1)
    identifiers = identifier_values(records, max_records=settings.max_records_per_identifier)
    clusters = cluster(pairs, records.column("unique_id"), threshold=settings.upper_threshold,
                       must_link=must, cannot_link=cannot, identifiers=identifiers)
    review = review_pairs(pairs, clusters, settings=settings, decided=must + cannot)
    report(progress, "cluster", 1, 1)
    timings["cluster"] = time.perf_counter() - started
    return LinkageResult(pairs=pairs, clusters=clusters, review=review, model=model, settings=settings,
                         timings=timings, compared=scored.records_compared)
