"""The pipeline end to end on synthetic records with known truth, people's decisions, and dirty data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from safeguarding.linkage.base import LinkageSettings
from safeguarding.linkage.model import TrainedModel
from safeguarding.linkage.pipeline import link, review_pairs
from safeguarding.linkage.synthetic import SyntheticPartnership, pairwise_scores
from tests.linkage.conftest import record


def persons(result_clusters: pa.Table) -> dict[int, int]:
    return dict(zip(result_clusters.column("unique_id").to_pylist(),
                    result_clusters.column("cluster_id").to_pylist(), strict=True))


def test_links_a_synthetic_partnership_with_high_pairwise_f1(settings: LinkageSettings) -> None:
    records, truth = SyntheticPartnership(300, seed=2).records()
    calls: list[tuple[str, int, int | None]] = []

    result = link(records, settings=settings, progress=lambda stage, done, total: calls.append((stage, done, total)))

    scores = pairwise_scores(result.clusters, truth)
    assert scores["f1"] >= 0.97, scores
    assert scores["precision"] >= 0.97, scores
    assert {stage for stage, _, _ in calls} == {"prepare", "train", "predict", "cluster"}
    assert set(result.timings) == {"prepare", "train", "predict", "cluster"}
    assert result.clusters.num_rows == records.num_rows


def test_pairs_are_ordered_explainable_and_above_the_floor(
    background: tuple[pa.Table, dict[int, int]], model: TrainedModel, settings: LinkageSettings
) -> None:
    result = link(background[0], settings=settings, model=model)
    pairs = result.pairs

    assert pairs.num_rows > 0
    assert all(left < right for left, right in zip(pairs.column("unique_id_l").to_pylist(),
                                                   pairs.column("unique_id_r").to_pylist(), strict=True))
    assert min(pairs.column("match_probability").to_pylist()) >= settings.min_pair_probability
    for name in ("given_name", "date_of_birth", "family_and_home", "nhs_number"):
        assert f"gamma_{name}" in pairs.column_names
        assert f"label_{name}" in pairs.column_names
        assert f"mw_{name}" in pairs.column_names
    # The per-comparison weights add up to the pair's match weight, from the prior.
    row = pairs.slice(0, 1).to_pylist()[0]
    total = model.prior_match_weight + sum(row[c] for c in pairs.column_names if c.startswith("mw_"))
    assert total == pytest.approx(row["match_weight"], abs=1e-3)


def test_review_pairs_are_in_the_band_and_exclude_decided_pairs(
    background: tuple[pa.Table, dict[int, int]], model: TrainedModel, settings: LinkageSettings
) -> None:
    result = link(background[0], settings=settings, model=model)
    review = result.review
    probabilities = review.column("match_probability").to_pylist()
    for row in review.to_pylist():  # in the band, or a link kept apart (two NHS numbers, say)
        if row["kept_apart"]:
            assert row["match_probability"] >= settings.upper_threshold and not row["same_cluster"]
        else:
            assert settings.lower_threshold <= row["match_probability"] < settings.upper_threshold
    assert probabilities == sorted(probabilities, reverse=True)
    if review.num_rows:
        first = review.slice(0, 1).to_pylist()[0]
        decided = [(first["unique_id_r"], first["unique_id_l"])]  # either order counts
        again = review_pairs(result.pairs, result.clusters, settings=settings, decided=decided)
        assert again.num_rows == review.num_rows - 1


def test_must_link_and_cannot_link_override_the_model(
    background: tuple[pa.Table, dict[int, int]], model: TrainedModel, settings: LinkageSettings
) -> None:
    records, truth = background
    plain = persons(link(records, settings=settings, model=model).clusters)
    # A pair the model linked, and two records of different people the model kept apart.
    by_cluster: dict[int, list[int]] = {}
    for uid, cid in plain.items():
        by_cluster.setdefault(cid, []).append(uid)
    linked = next(sorted(ids)[:2] for ids in by_cluster.values() if len(ids) >= 2)
    stranger = next(uid for uid in sorted(plain) if truth[uid] != truth[linked[0]])
    apart = [stranger, linked[0]]

    decided = persons(link(records, settings=settings, model=model, cannot_link=[(linked[0], linked[1])],
                           must_link=[(apart[0], apart[1])]).clusters)

    assert decided[linked[0]] != decided[linked[1]]
    assert decided[apart[0]] == decided[apart[1]]


def test_dirty_records_never_stop_a_run(
    with_records: Callable[[list[dict[str, Any]]], pa.Table], model: TrainedModel, settings: LinkageSettings
) -> None:
    dirty = [
        record(100001),  # nothing at all but ids
        record(100002, given_name="J", family_name="S", date_of_birth="2010"),
        record(100003, given_name="  ", family_name="---", date_of_birth="2010-02-30", sex="?",
               postcode="not a postcode", phones=";;", emails="nobody"),
        record(100004, given_name="Zoë", family_name="O'Brien-Łukasz", date_of_birth="31/12/2010",
               nhs_number="123", nhs_number_valid=True, other_names=";;; ;", address=",,,"),
        record(100005, given_name=None, family_name=None, date_of_birth=None, phones=None, emails=None),
    ]
    records = with_records(dirty)

    result = link(records, settings=settings, model=model)

    assert result.clusters.num_rows == records.num_rows
    found = persons(result.clusters)
    assert found[100001] == 100001  # a record with nothing to compare stays a person of its own


def test_training_survives_dirty_and_sparse_data(settings: LinkageSettings) -> None:
    rows = [record(i, given_name=["A", "", "Bo", None][i % 4], family_name="Smith" if i % 3 else "",
                   date_of_birth=["", "2011", "2011-02", "2011-02-03", "garbage"][i % 5]) for i in range(1, 60)]
    table = pa.Table.from_pylist(rows)

    result = link(table, settings=settings)

    assert result.clusters.num_rows == 59
    assert "upn" in result.model.training["comparisons_without_data"]


def test_duplicate_unique_ids_are_refused(settings: LinkageSettings) -> None:
    table = pa.Table.from_pylist([record(1, given_name="A"), record(1, given_name="B")])
    with pytest.raises(ValueError, match="unique"):
        link(table, settings=settings)


def test_thresholds_are_validated() -> None:
    with pytest.raises(ValueError):
        LinkageSettings(lower_threshold=0.99, upper_threshold=0.9)
