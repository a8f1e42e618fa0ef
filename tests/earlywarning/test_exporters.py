"""alerts.csv, the hub's hand-back of early-warning alerts (src/safeguarding/earlywarning/exporters.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.utils import timezone

from safeguarding.earlywarning.exporters import export_alerts
from safeguarding.earlywarning.models import Alert
from tests.factories import EventFactory, PersonFactory, RuleFactory


@pytest.mark.django_db
def test_an_explanation_that_a_spreadsheet_would_run_is_written_as_text(tmp_path: Path) -> None:
    event = EventFactory()
    hostile = "=cmd|' /C calc'!A0"
    now = timezone.now()
    Alert.objects.create(
        rule=RuleFactory(), rule_version=1, person=PersonFactory(), trigger_event=event, raised_at=now,
        level="high", explanation=hostile, created_at=now, evidence_updated_at=now,
    )
    out = tmp_path / "alerts.csv"

    assert export_alerts(out) == 1

    with out.open(encoding="utf-8", newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert row["explanation"] == "'" + hostile
