"""The exchange format described as data (src/safeguarding/exchange/format.py) against SPEC.md and the models."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from safeguarding.core import normalise
from safeguarding.exchange import format as exchange_format
from safeguarding.exchange.format import ALERTS, CLOCKS, EVENTS, NETWORKS, PEOPLE, PERSONS, RELATIONSHIPS
from safeguarding.people.models import Event, EventType, Handling, RelationshipType, SourceRecord

SPEC = next(
    (found for folder in Path(__file__).resolve().parents if (found := folder / "shared" / "exchange" / "SPEC.md").is_file()),
    None,
)


@pytest.fixture(scope="module")
def spec() -> str:
    if SPEC is None:
        pytest.skip("the shared SPEC.md is not beside the project")
    return SPEC.read_text(encoding="utf-8")


def spec_table(spec: str, file_name: str) -> list[tuple[str, bool]]:
    """(column, required) in the order of the table under the file's heading in SPEC.md."""
    section = spec.split(f"## {file_name}", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\w+) \| (yes|no) \|", section, flags=re.MULTILINE)
    return [(name, required == "yes") for name, required in rows]


@pytest.mark.parametrize("described", [PEOPLE, EVENTS, RELATIONSHIPS], ids=lambda f: f.name)
def test_each_incoming_file_has_the_columns_spec_md_gives_in_its_order(spec: str, described: exchange_format.FileFormat) -> None:
    assert [(c.name, c.required) for c in described.columns if c.in_spec] == spec_table(spec, described.name)


def test_the_vocabularies_are_spec_md_s_and_the_models_own(spec: str) -> None:
    listed = spec.split("### event_type vocabulary", 1)[1].split("\n## ", 1)[0]
    assert exchange_format.EVENT_TYPES == tuple(re.findall(r"`(\w+)`", listed)) == tuple(EventType.values)
    relationships = spec.split("## relationships.csv", 1)[1].split("\n## ", 1)[0]
    kinds = re.search(r"\| relationship \| yes \| (.*) \|", relationships)
    assert kinds is not None
    assert tuple(re.findall(r"`(\w+)`", kinds.group(1))) == exchange_format.RELATIONSHIP_TYPES
    assert tuple(RelationshipType.values) == exchange_format.RELATIONSHIP_TYPES
    assert exchange_format.HANDLING_CODES == tuple(Handling.values) == ("P", "C")
    assert exchange_format.ROLES == ("child", "adult")
    assert "`F`, `M`, `X` (other), `U` (unknown)" in spec and exchange_format.SEX_CODES == ("F", "M", "X", "U")


def test_the_files_handed_back_have_spec_md_s_columns(spec: str) -> None:
    for described in (PERSONS, ALERTS, CLOCKS, NETWORKS):
        bullet = spec.split(f"**{described.name}**", 1)[1].split("\n- **", 1)[0]
        first_list = re.search(r"`([a-z_]+(?:, [a-z_]+)+)`", re.sub(r"\s+", " ", bullet))
        assert first_list is not None, described.name
        assert described.names == tuple(first_list.group(1).split(", ")), described.name
    clocks = spec.split("**clocks.csv**", 1)[1]
    assert set(exchange_format.CLOCK_KINDS) <= set(re.findall(r"`(\w+)`", clocks))
    assert set(exchange_format.CLOCK_STATUSES) <= set(re.findall(r"`(\w+)`", clocks))


def test_length_limits_are_the_model_fields_own() -> None:
    assert PEOPLE.by_name["record_id"].limit == SourceRecord._meta.get_field("record_id").max_length == 120
    assert PEOPLE.by_name["given_name"].limit == SourceRecord._meta.get_field("given_name").max_length
    assert PEOPLE.by_name["pnc_id"].limit == SourceRecord._meta.get_field("pnc_id").max_length
    assert EVENTS.by_name["location_name"].limit == Event._meta.get_field("location_name").max_length
    # Text without a limit of its own, and values read by a normaliser, are held to the format's.
    assert EVENTS.by_name["detail"].limit == PEOPLE.by_name["address"].limit == exchange_format.MAX_VALUE
    assert PEOPLE.by_name["postcode"].limit == exchange_format.MAX_VALUE


def test_every_field_a_file_sets_is_a_field_of_its_model() -> None:
    for described in (PEOPLE, EVENTS, RELATIONSHIPS):
        assert described.model is not None
        names = {f.name for f in described.model._meta.get_fields()}
        assert set(described.fields) <= names, described.name
    assert "nhs_number_valid" in PEOPLE.fields and "postcode_other" in PEOPLE.fields
    assert EVENTS.fields[:3] == ("event_type", "occurred_at", "occurred_date_only")


def test_a_value_quoted_in_a_wording_is_shortened_when_long() -> None:
    warning = PEOPLE.by_name["postcode"].warning
    assert warning.format(value=exchange_format.Sent("XX1")) == "postcode 'XX1' is not a UK postcode; set aside"
    long = warning.format(value=exchange_format.Sent("X" * 5000))
    assert "(and 4,800 more characters)" in long and len(long) < 300


@pytest.mark.parametrize("number", [
    "07700 900123", "07700900999", "0114 273 4567", "020 7946 0000", "0300 123 4567", "+447700900123",
    "+44 7700 900123", "+44 114 273 4567", "(01632) 960123", "(0114) 273 4567", "+44 (0)7700 900123", "(07700)900123",
    "0770 0900 12", "+44770090012", "+4407700900123", "+1 212 555 0100", "0800 123 4567", "(0)7700 900123",
])
def test_the_phone_shortcut_agrees_with_the_normaliser(number: str) -> None:
    assert exchange_format.phone(number) == normalise.phone(number)


@pytest.mark.parametrize("value", ["07700 900123;07700900999", "+44 7700 900123, 0114 273 4567"])
def test_two_phone_numbers_in_one_value_are_set_aside_rather_than_read_as_the_first(value: str) -> None:
    # events.csv's phone is one number: the whole value is set aside with a warning, as unreadable.
    assert exchange_format.phone(value) is None
    assert exchange_format.phone(value.split(";")[0].split(",")[0]) is not None
