"""The linkage pipeline end to end: prepare, train (or reuse) a model, score pairs, group into persons."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from safeguarding.linkage.base import INPUT_COLUMNS, LinkageSettings, Progress, report
from safeguarding.linkage.cluster import cluster, conflicting_identifiers, identifier_values, numbers_of_one_person
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
    identifiers: pa.Table | None = None  # the records' identifier_values, for conflicting_identifiers


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


def _person_of(clusters: pa.Table) -> Callable[[np.ndarray], np.ndarray]:
    """A lookup from record ids to the person each is in (-1 for a record the clusters do not hold)."""
    ids = clusters.column("unique_id").to_numpy().astype(np.int64, copy=False)
    persons = clusters.column("cluster_id").to_numpy().astype(np.int64, copy=False)
    if len(ids) > 1 and not bool(np.all(ids[1:] >= ids[:-1])):
        order = np.argsort(ids, kind="stable")
        ids, persons = ids[order], persons[order]

    def lookup(records: np.ndarray) -> np.ndarray:
        if not len(ids):
            return np.full(len(records), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(ids, records), len(ids) - 1)
        return np.where(ids[at] == records, persons[at], -1)

    return lookup


def review_pairs(
    pairs: pa.Table, clusters: pa.Table, *, settings: LinkageSettings, decided: Iterable[Pair] = (),
) -> pa.Table:
    """Pairs for a person to decide, not already decided, strongest first: lower <= probability < upper, and
    links at or above upper that clustering kept apart (`kept_apart`: the person they would make holds two
    NHS numbers, UPNs or PNC ids, or records people said are different), the strongest for each two persons.
    `same_cluster` says whether other links put the two records in one person anyway."""
    decided = list(decided)
    person_of = _person_of(clusters)
    left = person_of(pairs.column("unique_id_l").to_numpy().astype(np.int64, copy=False))
    right = person_of(pairs.column("unique_id_r").to_numpy().astype(np.int64, copy=False))
    p = pairs.column("match_probability").to_numpy(zero_copy_only=False)
    undecided = ~_decided_mask(pairs, decided)
    known = (left >= 0) & (right >= 0)  # a pair of records the clusters do not both hold is not shown
    kept_apart = known & undecided & (p >= settings.upper_threshold) & (left != right)
    mask = (known & undecided & (p >= settings.lower_threshold) & (p < settings.upper_threshold)) | kept_apart
    band = pairs.filter(pa.array(mask)).append_column("kept_apart", pa.array(kept_apart[mask]))
    band = band.append_column("cluster_id_l", pa.array(left[mask])).append_column(
        "cluster_id_r", pa.array(right[mask]))
    band = band.append_column("same_cluster", pa.array(left[mask] == right[mask]))
    band = band.sort_by([("match_probability", "descending"), ("unique_id_l", "ascending"),
                         ("unique_id_r", "ascending")])
    # Of the links kept apart, one per two persons, the strongest, and none between two persons people have
    # already decided a pair of: one decision settles them all.
    kept = band.column("kept_apart").to_numpy(zero_copy_only=False)
    if not kept.any():
        return band
    persons_l, persons_r = band.column("cluster_id_l").to_numpy(), band.column("cluster_id_r").to_numpy()
    decided_l = person_of(np.array([a for a, _ in decided], dtype=np.int64))
    decided_r = person_of(np.array([b for _, b in decided], dtype=np.int64))
    seen = {(min(a, b), max(a, b)) for a, b in zip(decided_l.tolist(), decided_r.tolist(), strict=True)
            if a >= 0 and b >= 0 and a != b}
    first = np.ones(band.num_rows, dtype=bool)
    for row in np.flatnonzero(kept).tolist():
        persons = (min(int(persons_l[row]), int(persons_r[row])), max(int(persons_l[row]), int(persons_r[row])))
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
    identifiers = identifier_values(records)
    clusters = cluster(pairs, records.column("unique_id"), threshold=settings.upper_threshold,
                       must_link=must, cannot_link=cannot,
                       identifiers=numbers_of_one_person(identifiers, settings.max_records_per_identifier))
    review = review_pairs(pairs, clusters, settings=settings, decided=must + cannot)
    report(progress, "cluster", 1, 1)
    timings["cluster"] = time.perf_counter() - started
    return LinkageResult(pairs=pairs, clusters=clusters, review=review, model=model, settings=settings,
                         timings=timings, compared=scored.records_compared, identifiers=identifiers)
