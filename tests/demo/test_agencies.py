"""Tests for how the demo's agencies record people: the variants of the partnership (Recording) change
only what they name, and the default changes nothing."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from safeguarding.core import normalise
from safeguarding.demo import names as words
from safeguarding.demo.agencies import POLICE, RECORDING_VARIANTS, VOLUNTARY, Recording
from safeguarding.demo.generator import generate_partnership

CHILDREN, SEED = 300, 11


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The default partnership and every named variant, generated once with one seed."""
    folders = {}
    for name, recording in RECORDING_VARIANTS.items():
        folder = tmp_path_factory.mktemp(name)
        generate_partnership(folder, children=CHILDREN, seed=SEED, recording=recording)
        folders[name] = folder
    return folders


def people(made: dict[str, Path], name: str) -> list[dict[str, str]]:
    return _read(made[name] / "extract" / "people.csv")


def test_the_default_recording_is_the_generator_as_it_was(made: dict[str, Path], tmp_path: Path) -> None:
    generate_partnership(tmp_path, children=CHILDREN, seed=SEED)
    for part in ("extract/people.csv", "extract/events.csv", "truth/persons.csv"):
        assert (tmp_path / part).read_bytes() == (made["default"] / part).read_bytes()
    assert RECORDING_VARIANTS["default"].is_default and not RECORDING_VARIANTS["hard"].is_default


@pytest.mark.parametrize("name", [n for n in RECORDING_VARIANTS if n != "default"])
def test_a_variant_changes_people_rows_only_and_keeps_who_is_who(made: dict[str, Path], name: str) -> None:
    for part in ("extract/events.csv", "extract/relationships.csv", "truth/persons.csv", "truth/exploited.csv"):
        assert (made[name] / part).read_bytes() == (made["default"] / part).read_bytes(), part
    before, after = people(made, "default"), people(made, name)
    assert [(r["source_system"], r["record_id"]) for r in before] == [(r["source_system"], r["record_id"])
                                                                      for r in after]
    assert before != after
    # Identifiers are never what a variant changes.
    assert [(r["nhs_number"], r["upn"], r["pnc_id"], r["phone"]) for r in before] == \
        [(r["nhs_number"], r["upn"], r["pnc_id"], r["phone"]) for r in after]


def test_without_a_postcode_column_no_row_has_one(made: dict[str, Path]) -> None:
    rows = people(made, "no-postcode-column")
    assert not any(r["postcode"] for r in rows)
    assert [r["address"] for r in rows] == [r["address"] for r in people(made, "default")]


def test_a_postcode_inside_the_address_is_the_one_the_column_held(made: dict[str, Path]) -> None:
    before, after = people(made, "default"), people(made, "postcode-in-address")
    assert not any(r["postcode"] for r in after)
    moved = [(b, a) for b, a in zip(before, after, strict=True) if b["postcode"] and b["address"]]
    assert moved
    for b, a in moved:
        assert a["address"].startswith(b["address"]) and a["address"].endswith(b["postcode"])
    assert sum(bool(normalise.postcode(b["postcode"])) for b, _ in moved) > 0.95 * len(moved)


def test_systems_without_dates_of_birth_send_none(made: dict[str, Path]) -> None:
    rows = people(made, "no-dob-police-voluntary")
    assert not any(r["date_of_birth"] for r in rows if r["source_system"] in (POLICE, VOLUNTARY))
    assert sum(bool(r["date_of_birth"]) for r in rows if r["source_system"] not in (POLICE, VOLUNTARY)) > 100


def _changed(made: dict[str, Path], name: str, field: str) -> list[tuple[str, str]]:
    return [(b[field], a[field]) for b, a in zip(people(made, "default"), people(made, name), strict=True)
            if b[field] != a[field]]


def test_family_names_vary_in_about_the_share_asked(made: dict[str, Path]) -> None:
    rows = people(made, "family-names-vary")
    changed = _changed(made, "family-names-vary", "family_name")
    assert 0.10 * len(rows) < len(changed) < 0.20 * len(rows)
    assert all(new in words.ALL_SURNAMES for _, new in changed)


def test_transliterated_names_are_other_spellings_of_the_same_name(made: dict[str, Path]) -> None:
    changed = _changed(made, "transliterated", "given_name") + _changed(made, "transliterated", "family_name")
    assert len(changed) > 20
    assert all(new in words.TRANSLITERATIONS[old] for old, new in changed)


def test_a_double_barrelled_name_is_written_differently_by_different_systems(made: dict[str, Path]) -> None:
    truth = _read(made["double-barrelled"] / "truth" / "persons.csv")
    person = {(t["source_system"], t["record_id"]): t["true_person_id"] for t in truth}
    forms: dict[str, set[str]] = defaultdict(set)
    for row in people(made, "double-barrelled"):
        forms[person[(row["source_system"], row["record_id"])]].add(row["family_name"])
    hyphenated = {p for p, names in forms.items() if any("-" in n for n in names)}
    assert len(hyphenated) > 30
    # The same person held as "A-B" by one system and as "A", "B", "A B" or "B-A" by another.
    assert sum(len(forms[p]) > 1 for p in hyphenated) > 10


def test_recording_knobs_compose(made: dict[str, Path]) -> None:
    hard = RECORDING_VARIANTS["hard"]
    assert hard == Recording(postcode_in_address=1.0, without_dob=(POLICE, VOLUNTARY), family_name_varies=0.15,
                             transliterated=0.5, double_barrelled=0.2)
    rows = people(made, "hard")
    assert not any(r["postcode"] for r in rows)
    assert not any(r["date_of_birth"] for r in rows if r["source_system"] == POLICE)
