"""Standardising source records for comparison: names, nicknames, dates, addresses, identifiers."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from safeguarding.core.normalise import clean_name
from safeguarding.linkage.base import LinkageSettings
from safeguarding.linkage.prepare import PREPARED_COLUMNS, name_forms, prepare_records
from tests.linkage.conftest import record


def prepared(*rows: dict[str, Any], settings: LinkageSettings | None = None) -> dict[int, dict[str, Any]]:
    table = prepare_records(pa.Table.from_pylist(list(rows)), settings or LinkageSettings())
    assert tuple(table.column_names) == PREPARED_COLUMNS
    return {row["unique_id"]: row for row in table.to_pylist()}


def test_names_are_folded_split_and_gathered() -> None:
    row = prepared(record(1, given_name="Zoë Ann", middle_names="Mary", family_name="O'Brien-Smith",
                          other_names="Zee;Jones"))[1]

    assert row["given_std"] == "zoe"
    assert row["family_std"] == "obriensmith"
    assert set(row["all_names"]) >= {"zoe", "ann", "mary", "obrien", "smith", "obriensmith", "zee", "jones"}
    assert clean_name("  D'Arcy-Ünal ") == "darcy unal"


def test_a_letter_unicode_cannot_fold_is_compared_as_its_latin_letter() -> None:
    """Łukasz and Lukasz are the same spelling to the model, as to Find a person (one clean_name for both)."""
    rows = prepared(record(1, given_name="Łukasz", family_name="Wróbel", other_names="Michał;Paweł Søren"),
                    record(2, given_name="Lukasz", family_name="Wrobel"))

    assert rows[1]["given_std"] == rows[2]["given_std"] == "lukasz"
    assert rows[1]["family_std"] == rows[2]["family_std"] == "wrobel"
    assert rows[1]["given_sound"] == rows[2]["given_sound"]
    assert {"michal", "pawel", "soren", "pawelsoren"} <= set(rows[1]["all_names"])


def test_nicknames_and_formal_names_share_a_form() -> None:
    assert set(name_forms("chris")) & set(name_forms("christopher"))
    assert "christopher" in name_forms("chris")
    assert name_forms("zebedee") == ["zebedee"]


def test_dates_keep_their_precision_and_impossible_dates_lose_only_the_impossible_part() -> None:
    rows = prepared(record(1, date_of_birth="2010-05-12"), record(2, date_of_birth="2010-05"),
                    record(3, date_of_birth="2010"), record(4, date_of_birth="2010-03-41"),
                    record(5, date_of_birth="12/05/2010"), record(6, date_of_birth="1850-01-01"))

    assert (rows[1]["dob_full"], rows[1]["dob_precision"], rows[1]["dob_day"]) == ("2010-05-12", 3, 12)
    assert (rows[2]["dob_year"], rows[2]["dob_month"], rows[2]["dob_precision"]) == (2010, 5, 2)
    assert (rows[3]["dob_year"], rows[3]["dob_month"], rows[3]["dob_precision"]) == (2010, None, 1)
    assert (rows[4]["dob_full"], rows[4]["dob_month"], rows[4]["dob_precision"]) == (None, 3, 2)
    assert rows[5]["dob_year"] is None and rows[6]["dob_year"] is None


def test_addresses_expand_abbreviations_and_find_the_street() -> None:
    rows = prepared(record(1, address="Flat 2, 14 Oak Rd, Kimberworth", postcode="S61 2AB"),
                    record(2, address="14 OAK ROAD", postcode="s61 2ab"), record(3, postcode="4223"))

    assert rows[1]["street_key"] == rows[2]["street_key"] == "14 oak road"
    assert rows[1]["house_number"] == "14" and rows[1]["street_name"] == "oak road"
    assert rows[1]["postcode_std"] == rows[2]["postcode_std"] == "S612AB"
    assert rows[1]["postcode_district"] == "S61"
    assert rows[3]["postcode_district"] == "42"  # not a UK postcode: compared as it is, not parsed as one


def test_identifiers_only_when_usable() -> None:
    rows = prepared(
        record(1, nhs_number="943 476 5919", nhs_number_valid=True, phones="07700 900123; +44 7700 900124",
               emails=" Ann@Example.org ;not-an-email", upn="a123456789012", sex="f"),
        record(2, nhs_number="9434765918", nhs_number_valid=False, phones="", emails="", sex="U"),
    )

    assert rows[1]["nhs"] == "9434765919"
    assert rows[1]["phones_list"] == ["+447700900123", "+447700900124"]
    assert rows[1]["emails_list"] == ["ann@example.org"]
    assert rows[1]["upn_std"] == "A123456789012"
    assert rows[1]["sex_std"] == "F"
    assert rows[2]["nhs"] is None and rows[2]["phones_list"] is None and rows[2]["emails_list"] is None
    assert rows[2]["sex_std"] is None  # unknown is missing, not a value to agree on


def test_identifiers_shared_by_many_records_are_set_aside() -> None:
    settings = LinkageSettings(max_records_per_identifier=3)
    rows = prepared(*[record(i, phones="01709 000000;07700 900200" if i == 1 else "01709 000000",
                             nhs_number="9434765919", nhs_number_valid=True) for i in range(1, 6)],
                    settings=settings)

    assert rows[1]["phones_list"] == ["+447700900200"]  # the switchboard number is dropped, the mobile kept
    assert rows[2]["phones_list"] is None
    assert all(row["nhs"] is None for row in rows.values())


def test_missing_optional_columns_are_missing_values() -> None:
    table = prepare_records(pa.table({"unique_id": [1, 2], "given_name": ["Ann", None]}), LinkageSettings())

    assert table.num_rows == 2
    assert table.column("family_std").null_count == 2
