"""Grouping scored pairs into persons, with people's same-person and different-people decisions."""

from __future__ import annotations

import pyarrow as pa
import pytest

from safeguarding.linkage.cluster import cluster, identifier_values, numbers_of_one_person


def pairs(*edges: tuple[int, int, float]) -> pa.Table:
    return pa.table({
        "unique_id_l": pa.array([min(a, b) for a, b, _ in edges], pa.int64()),
        "unique_id_r": pa.array([max(a, b) for a, b, _ in edges], pa.int64()),
        "match_probability": pa.array([p for _, _, p in edges], pa.float64()),
    })


def persons(table: pa.Table) -> dict[int, int]:
    return dict(zip(table.column("unique_id").to_pylist(), table.column("cluster_id").to_pylist(), strict=True))


def test_connected_components_above_threshold_with_smallest_id_as_cluster_id() -> None:
    scored = pairs((10, 11, 0.99), (11, 12, 0.96), (20, 21, 0.90), (30, 31, 0.97))
    result = cluster(scored, [10, 11, 12, 20, 21, 30, 31, 40], threshold=0.95)

    assert persons(result) == {10: 10, 11: 10, 12: 10, 20: 20, 21: 21, 30: 30, 31: 30, 40: 40}


def test_match_probability_is_each_records_strongest_link_and_null_alone() -> None:
    scored = pairs((10, 11, 0.99), (11, 12, 0.96), (20, 21, 0.90))
    result = cluster(scored, [10, 11, 12, 20, 21], threshold=0.95)

    probability = dict(zip(result.column("unique_id").to_pylist(), result.column("match_probability").to_pylist(),
                           strict=True))
    assert probability == {10: 0.99, 11: 0.99, 12: 0.96, 20: None, 21: None}


def test_must_link_joins_records_the_model_left_apart_without_a_probability() -> None:
    scored = pairs((1, 2, 0.99), (3, 4, 0.40))
    result = cluster(scored, [1, 2, 3, 4], threshold=0.95, must_link=[(4, 3), (2, 3)])

    assert set(persons(result).values()) == {1}
    probability = dict(zip(result.column("unique_id").to_pylist(), result.column("match_probability").to_pylist(),
                           strict=True))
    assert probability[3] is None and probability[4] is None  # joined by people's decisions only
    assert probability[1] == 0.99


def test_cannot_link_splits_a_chain_at_its_weakest_link() -> None:
    # 1-2-3-4 in a chain; a person says 1 and 4 are different people. The weakest link (2-3) gives way.
    scored = pairs((1, 2, 0.99), (2, 3, 0.96), (3, 4, 0.98))
    result = cluster(scored, [1, 2, 3, 4], threshold=0.95, cannot_link=[(4, 1)])

    assert persons(result) == {1: 1, 2: 1, 3: 3, 4: 3}


def test_cannot_link_holds_transitively_through_other_records() -> None:
    # A triangle plus a tail: every path between 1 and 5 must be cut, not just the direct one.
    scored = pairs((1, 2, 0.99), (2, 3, 0.99), (1, 3, 0.97), (3, 5, 0.96), (2, 5, 0.955), (5, 6, 0.99))
    result = cluster(scored, [1, 2, 3, 5, 6], threshold=0.95, cannot_link=[(1, 5)])

    found = persons(result)
    assert found[1] != found[5]
    assert found[1] == found[2] == found[3]
    assert found[5] == found[6]


def test_peoples_decisions_outrank_the_model() -> None:
    # The model links 1-2 strongly, but people said 2 and 3 are one person and 1 and 3 are not.
    scored = pairs((1, 2, 0.99))
    result = cluster(scored, [1, 2, 3], threshold=0.95, must_link=[(2, 3)], cannot_link=[(1, 3)])

    found = persons(result)
    assert found[2] == found[3] == 2
    assert found[1] == 1


def test_cannot_link_wins_over_contradicting_must_links(caplog: pytest.LogCaptureFixture) -> None:
    result = cluster(pairs(), [1, 2, 3], threshold=0.95, must_link=[(1, 2), (2, 3)], cannot_link=[(1, 3)])

    found = persons(result)
    assert found[1] != found[3]
    assert "contradicts" in caplog.text


def test_components_without_a_cannot_link_are_untouched_by_one_elsewhere() -> None:
    scored = pairs((1, 2, 0.99), (2, 3, 0.96), (7, 8, 0.97), (8, 9, 0.96))
    result = cluster(scored, [1, 2, 3, 7, 8, 9], threshold=0.95, cannot_link=[(1, 3)])

    found = persons(result)
    assert found[7] == found[8] == found[9] == 7
    assert found[1] != found[3]


def test_pairs_outside_the_record_ids_and_decisions_on_unknown_records_are_ignored() -> None:
    scored = pairs((1, 2, 0.99), (2, 99, 0.99))
    result = cluster(scored, pa.array([1, 2, 3]), threshold=0.95, must_link=[(3, 98)], cannot_link=[(1, 97)])

    assert persons(result) == {1: 1, 2: 1, 3: 3}


def test_no_pairs_gives_one_person_per_record() -> None:
    empty = pairs()
    result = cluster(empty, [5, 3, 4], threshold=0.95)

    assert persons(result) == {3: 3, 4: 4, 5: 5}
    assert result.column("match_probability").null_count == 3


def test_person_weakest_link_is_the_weakest_link_the_person_needs() -> None:
    # 1-2 strong, 2-3 weaker, 1-3 weakest but not needed (1-2-3 already holds them); 5-6 joined by people only.
    scored = pairs((1, 2, 0.99), (2, 3, 0.97), (1, 3, 0.96), (7, 8, 0.98))
    result = cluster(scored, [1, 2, 3, 4, 5, 6, 7, 8], threshold=0.95, must_link=[(5, 6), (7, 8)])

    weakest = dict(zip(result.column("unique_id").to_pylist(), result.column("person_weakest_link").to_pylist(),
                       strict=True))
    assert weakest == {1: 0.97, 2: 0.97, 3: 0.97, 4: None, 5: None, 6: None, 7: None, 8: None}


def held(*rows: tuple[int, str, str]) -> pa.Table:
    """Identifier values as identifier_values returns them: (unique_id, identifier, value)."""
    return pa.table({"unique_id": pa.array([r[0] for r in rows], pa.int64()),
                     "identifier": [r[1] for r in rows], "value": [r[2] for r in rows]})


def test_no_person_holds_two_nhs_numbers_the_weakest_link_gives_way() -> None:
    # Twins 1 and 3 each hold their own NHS number; record 2 (no number) links to both.
    scored = pairs((1, 2, 0.99), (2, 3, 0.97), (3, 4, 0.99))
    numbers = held((1, "nhs_number", "9434765919"), (3, "nhs_number", "9434765870"), (4, "upn", "A1"))
    result = cluster(scored, [1, 2, 3, 4], threshold=0.95, identifiers=numbers)

    assert persons(result) == {1: 1, 2: 1, 3: 3, 4: 3}
    assert set(persons(cluster(scored, [1, 2, 3, 4], threshold=0.95)).values()) == {1}  # without: one person


def test_one_number_on_several_records_and_different_kinds_of_number_do_not_clash() -> None:
    scored = pairs((1, 2, 0.99), (2, 3, 0.97))
    numbers = held((1, "nhs_number", "9434765919"), (2, "upn", "A1"), (3, "nhs_number", "9434765919"),
                   (3, "pnc_id", "12/3456Z"))
    result = cluster(scored, [1, 2, 3], threshold=0.95, identifiers=numbers)

    assert set(persons(result).values()) == {1}


def test_a_persons_same_person_decision_joins_records_with_two_numbers() -> None:
    # A child given a new NHS number (adoption aside, a duplicate registration): people may say so.
    scored = pairs((1, 2, 0.99), (2, 3, 0.97))
    numbers = held((1, "nhs_number", "9434765919"), (3, "nhs_number", "9434765870"))
    result = cluster(scored, [1, 2, 3], threshold=0.95, must_link=[(1, 3)], identifiers=numbers)

    assert set(persons(result).values()) == {1}


def test_identifier_values_standardises_and_leaves_out_placeholders() -> None:
    records = pa.table({
        "unique_id": pa.array([1, 2, 3, 4], pa.int64()),
        "nhs_number": ["943 476 5919", "9434765919", "9434765870", "9434765919"],
        "nhs_number_valid": [True, True, False, True],
        "upn": ["a123 ", "", "", ""],
        "pnc_id": ["", "", "", ""],
    })

    values = identifier_values(records)
    found = values.select(["unique_id", "identifier", "value"]).to_pylist()
    assert found == [{"unique_id": 1, "identifier": "nhs_number", "value": "9434765919"},
                     {"unique_id": 1, "identifier": "upn", "value": "A123"},
                     {"unique_id": 2, "identifier": "nhs_number", "value": "9434765919"},
                     {"unique_id": 4, "identifier": "nhs_number", "value": "9434765919"}]
    assert numbers_of_one_person(values, 2).select(["unique_id", "identifier", "value"]).to_pylist() == [
        {"unique_id": 1, "identifier": "upn", "value": "A123"}]


def test_links_kept_apart_are_left_for_review_one_per_two_persons() -> None:
    from safeguarding.linkage.base import LinkageSettings
    from safeguarding.linkage.pipeline import review_pairs

    scored = pairs((1, 2, 0.99), (2, 3, 0.97), (2, 4, 0.96), (3, 4, 0.99), (5, 6, 0.90), (7, 8, 0.99))
    numbers = held((1, "nhs_number", "9434765919"), (3, "nhs_number", "9434765870"))
    result = cluster(scored, range(1, 9), threshold=0.95, identifiers=numbers)
    review = review_pairs(scored, result, settings=LinkageSettings()).to_pylist()

    found = {(r["unique_id_l"], r["unique_id_r"]): r["kept_apart"] for r in review}
    assert found == {(2, 3): True, (5, 6): False}
    # Once someone decides 2 and 3, the weaker link between the same two persons (2-4) does not take its place.
    after = review_pairs(scored, result, settings=LinkageSettings(), decided=[(3, 2)]).to_pylist()
    assert [(r["unique_id_l"], r["unique_id_r"]) for r in after] == [(5, 6)]
