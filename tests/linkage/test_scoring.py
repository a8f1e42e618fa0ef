"""How the model scores particular kinds of pair: nicknames, partial and transposed dates, shared NHS numbers,
twins, swapped names; and explanations of a score."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

from safeguarding.linkage.base import LinkageSettings
from safeguarding.linkage.cluster import conflicting_identifiers
from safeguarding.linkage.model import TrainedModel, train_model
from safeguarding.linkage.pipeline import link
from safeguarding.linkage.scoring import contributions_from_pair, explain_pair, match_probability
from safeguarding.linkage.synthetic import nhs_number
from tests.linkage.conftest import record

Combine = Callable[[list[dict[str, Any]]], pa.Table]


def same_person(result_clusters: pa.Table, a: int, b: int) -> bool:
    found = dict(zip(result_clusters.column("unique_id").to_pylist(),
                     result_clusters.column("cluster_id").to_pylist(), strict=True))
    return found[a] == found[b]


def labels(contributions: list[Any]) -> dict[str, str]:
    return {c.comparison: c.label for c in contributions}


def test_nickname_chris_links_to_christopher(with_records: Combine, model: TrainedModel,
                                             settings: LinkageSettings) -> None:
    rows = [
        record(100010, given_name="Christopher", family_name="Quarmby", date_of_birth="2011-06-14", sex="M",
               address="12 Lowther Road, Eastwood", postcode="S60 2QL", source_system="nhs-community"),
        record(100011, given_name="Chris", family_name="Quarmby", date_of_birth="2011-06-14", sex="M",
               address="3 Moor Lane", postcode="S66 8JD", source_system="police-records"),
    ]
    result = link(with_records(rows), settings=settings, model=model)

    assert same_person(result.clusters, 100010, 100011)
    assert labels(explain_pair(rows[0], rows[1], model))["given_name"] == "nickname or the same formal name"


def test_partial_and_transposed_dates_of_birth_still_link(with_records: Combine, model: TrainedModel,
                                                          settings: LinkageSettings) -> None:
    rows = [
        record(100020, given_name="Tegan", family_name="Ollerenshaw", date_of_birth="2012-03-04", sex="F",
               address="7 Quarry Hill", postcode="S62 6AB", phones="+447700900321"),
        record(100021, given_name="Tegan", family_name="Ollerenshaw", date_of_birth="2012-04-03", sex="F",
               address="7 Quarry Hill, Rawmarsh", postcode="S62 6AB", source_system="school-sims"),
        record(100022, given_name="Tegan", family_name="Ollerenshaw", date_of_birth="2012-03", sex="F",
               address="7 Quarry Hill", postcode="S62 6AB", source_system="voluntary-outreach"),
        record(100023, given_name="Tegan", family_name="Ollerenshaw", date_of_birth="2012", sex="F",
               phones="07700 900321", source_system="police-records"),
    ]
    result = link(with_records(rows), settings=settings, model=model)

    assert same_person(result.clusters, 100020, 100021)
    assert same_person(result.clusters, 100020, 100022)
    assert same_person(result.clusters, 100020, 100023)
    assert labels(explain_pair(rows[0], rows[1], model))["date_of_birth"] == "day and month transposed"
    assert labels(explain_pair(rows[0], rows[2], model))["date_of_birth"] == "partial date agrees as far as it goes"


def test_one_nhs_number_on_two_different_people_is_not_merged_and_is_reported(
    with_records: Combine, model: TrainedModel, settings: LinkageSettings
) -> None:
    shared = nhs_number(943_476_591)
    assert shared
    rows = [
        record(100030, given_name="Amelia", family_name="Hardcastle", date_of_birth="2013-09-01", sex="F",
               nhs_number=shared, nhs_number_valid=True, address="1 Elm Road", postcode="S61 1AA"),
        record(100031, given_name="Tariq", family_name="Mahmood", date_of_birth="1979-02-17", sex="M",
               nhs_number=shared, nhs_number_valid=True, address="90 Park Street", postcode="S65 9ZZ",
               source_system="police-records"),
    ]
    records = with_records(rows)
    result = link(records, settings=settings, model=model)

    assert not same_person(result.clusters, 100030, 100031)
    explained = explain_pair(rows[0], rows[1], model)
    assert labels(explained)["nhs_number"] == "exact match, but names and date of birth disagree"
    assert match_probability(explained) < 0.01
    conflicts = conflicting_identifiers(result.clusters, records, pairs=result.pairs).to_pylist()
    mine = [c for c in conflicts if {c["unique_id_l"], c["unique_id_r"]} == {100030, 100031}]
    assert mine and mine[0]["identifier"] == "nhs_number" and mine[0]["value"] == shared
    assert mine[0]["match_probability"] is None  # scored below the pair floor, or never a candidate


def test_an_nhs_number_with_a_bad_check_digit_is_ignored(model: TrainedModel) -> None:
    left = record(1, given_name="Ivy", family_name="Brook", nhs_number="9434765919", nhs_number_valid=True)
    right = record(2, given_name="Ivy", family_name="Brook", nhs_number="9434765919", nhs_number_valid=False)

    assert labels(explain_pair(left, right, model))["nhs_number"] == "NHS number missing or invalid"


def test_twins_are_not_linked(with_records: Combine, model: TrainedModel, settings: LinkageSettings) -> None:
    home = {"family_name": "Ibbotson", "date_of_birth": "2015-05-05", "address": "22 Beech Grove",
            "postcode": "S63 7XY", "phones": "+447700900555", "sex": "F"}
    rows = [record(100040, given_name="Lily", **home), record(100041, given_name="Rosie", **home)]
    result = link(with_records(rows), settings=settings, model=model)

    assert not same_person(result.clusters, 100040, 100041)
    assert labels(explain_pair(rows[0], rows[1], model))["given_name"].startswith("different, with the same date")


def others_named(names: list[str]) -> list[dict[str, Any]]:
    """Two other children of each name: the partnership holds the name, not only this pair."""
    return [record(100100 + 10 * i + k, given_name=name, family_name=f"Other{k}", date_of_birth=f"201{k}-0{i + 1}-1{k}",
                   postcode=f"S6{k} 1AA", source_system="school-sims")
            for i, name in enumerate(names) for k in range(2)]


# The names the twins' tests give: a partnership's model knows each from other children who hold it.
NAMES_HELD = ["Jack", "Jake", "Aiden", "Jayden", "Harry", "Harvey", "Lily", "Lila", "Mason"]


@pytest.fixture(scope="module")
def named_model(with_records: Combine, settings: LinkageSettings) -> TrainedModel:
    """A model trained on the background, two other children of each name in NAMES_HELD and one record
    of a misspelt name ("Mastn", held once): one model for the twins' tests (training one per test
    took seconds each)."""
    misspelt = record(100199, given_name="Mastn", family_name="Ibbotson", date_of_birth="2015-05-05",
                      postcode="S63 7XY", source_system="police-records")
    return train_model(with_records([*others_named(NAMES_HELD), misspelt]), settings=settings)


def pair_of(result: Any, a: int, b: int) -> dict[str, Any]:
    return next(p for p in result.pairs.to_pylist() if {p["unique_id_l"], p["unique_id_r"]} == {a, b})


@pytest.mark.parametrize(("first", "second"), [("Jack", "Jake"), ("Aiden", "Jayden"), ("Harry", "Harvey"),
                                               ("Lily", "Lila")])
def test_twins_with_names_alike_are_left_for_a_person(
    with_records: Combine, named_model: TrainedModel, settings: LinkageSettings, first: str, second: str
) -> None:
    home = {"family_name": "Ibbotson", "date_of_birth": "2015-05-05", "address": "22 Beech Grove",
            "postcode": "S63 7XY", "phones": "+447700900555", "sex": "M"}
    rows = [record(100040, given_name=first, **home),
            record(100041, given_name=second, source_system="police-records", **home)]
    records = with_records([*rows, *others_named(NAMES_HELD)])
    result = link(records, settings=settings, model=named_model)  # knows both names, as a partnership's would

    assert not same_person(result.clusters, 100040, 100041)
    review = {(r["unique_id_l"], r["unique_id_r"]) for r in result.review.to_pylist()}
    assert (100040, 100041) in review
    assert labels(contributions_from_pair(pair_of(result, 100040, 100041), named_model))["given_name"].startswith(
        "similar, with the same date of birth and family name")


def test_a_one_off_misspelling_beside_its_name_still_links(
    with_records: Combine, named_model: TrainedModel, settings: LinkageSettings
) -> None:
    home = {"family_name": "Ibbotson", "date_of_birth": "2015-05-05", "address": "22 Beech Grove",
            "postcode": "S63 7XY", "phones": "+447700900555", "sex": "M"}
    rows = [record(100045, given_name="Mason", **home),
            record(100046, given_name="Mastn", source_system="police-records", **home)]
    records = with_records([*rows, *others_named(NAMES_HELD)])
    result = link(records, settings=settings, model=named_model)  # "Mastn": one record of it at training

    assert same_person(result.clusters, 100045, 100046)


def test_twins_one_school_holds_stay_two_children_when_police_hold_one_of_them(
    with_records: Combine, named_model: TrainedModel, settings: LinkageSettings
) -> None:
    home = {"family_name": "Ibbotson", "date_of_birth": "2015-05-05", "address": "22 Beech Grove",
            "postcode": "S63 7XY", "sex": "M"}
    jack_nhs, jake_nhs = nhs_number(943_476_591), nhs_number(943_476_593)
    assert jack_nhs and jake_nhs
    rows = [
        record(100060, given_name="Jack", upn="A123456789012", nhs_number=jack_nhs, nhs_number_valid=True,
               source_system="school-sims", **home),
        record(100061, given_name="Jake", upn="B123456789012", nhs_number=jake_nhs, nhs_number_valid=True,
               source_system="school-sims", **home),
        record(100062, given_name="Jake", source_system="police-records", **home),
        record(100063, given_name="Jack", nhs_number=jack_nhs, nhs_number_valid=True,
               source_system="nhs-community", **home),
    ]
    records = with_records([*rows, *others_named(NAMES_HELD)])
    result = link(records, settings=settings, model=named_model)

    assert same_person(result.clusters, 100060, 100063)
    assert same_person(result.clusters, 100061, 100062)
    assert not same_person(result.clusters, 100060, 100061)


def test_one_child_under_two_spellings_links_when_an_identifier_agrees(
    with_records: Combine, model: TrainedModel, settings: LinkageSettings
) -> None:
    shared = nhs_number(943_476_591)
    home = {"family_name": "Hussain", "date_of_birth": "2012-08-19", "address": "4 Wharf Street",
            "postcode": "S60 1QT", "sex": "M", "nhs_number": shared, "nhs_number_valid": True}
    rows = [record(100070, given_name="Mohammed", **home),
            record(100071, given_name="Muhammad", source_system="nhs-community", **home)]
    result = link(with_records(rows), settings=settings, model=model)

    assert same_person(result.clusters, 100070, 100071)


def test_swapped_given_and_family_names_link(with_records: Combine, model: TrainedModel,
                                            settings: LinkageSettings) -> None:
    rows = [
        record(100050, given_name="Harvey", family_name="Ellis", date_of_birth="2009-11-23", sex="M",
               postcode="S64 5RT", address="5 Mill Lane"),
        record(100051, given_name="Ellis", family_name="Harvey", date_of_birth="2009-11-23", sex="M",
               postcode="S64 5RT", address="5 Mill Ln", source_system="police-records"),
    ]
    result = link(with_records(rows), settings=settings, model=model)

    assert same_person(result.clusters, 100050, 100051)
    assert labels(explain_pair(rows[0], rows[1], model))["given_name"] == "given and family names swapped"


def test_explanation_matches_the_scored_pair(background: tuple[pa.Table, dict[int, int]], model: TrainedModel,
                                            settings: LinkageSettings) -> None:
    records = background[0]
    result = link(records, settings=settings, model=model)
    pair = result.pairs.slice(0, 1).to_pylist()[0]
    by_id = {r["unique_id"]: r for r in records.to_pylist()}

    recomputed = explain_pair(by_id[pair["unique_id_l"]], by_id[pair["unique_id_r"]], model)
    from_table = contributions_from_pair(pair, model)

    assert recomputed == from_table
    assert recomputed[0].status == "prior"
    assert {c.status for c in recomputed} <= {"prior", "agree", "similar", "disagree", "missing"}
    assert match_probability(recomputed) == pytest.approx(pair["match_probability"], abs=1e-6)
