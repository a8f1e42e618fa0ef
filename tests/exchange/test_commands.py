"""The exchange's console commands refuse bad input in one line (``CommandError``), before doing anything."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from safeguarding.audit.models import AuditEvent
from safeguarding.exchange.models import ImportRun
from safeguarding.people.models import SourceSystem
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("limit", ["-1", "0"])
def test_imports_refuses_a_limit_below_one(limit: str) -> None:
    with pytest.raises(CommandError, match="--limit must be 1 or more"):
        call_command("imports", f"--limit={limit}", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--limit must be 1 or more"):
        call_command("imports", limit=int(limit), stdout=io.StringIO())


def test_imports_lists_up_to_the_limit() -> None:
    for hour in range(3):
        ImportRun.objects.create(started_at=f"2026-11-22T0{hour}:00:00Z", source_path=f"{hour}.zip", initiated_by="x")
    out = io.StringIO()
    call_command("imports", "--limit", "2", stdout=out)
    assert "2.zip" in out.getvalue() and "1.zip" in out.getvalue() and "0.zip" not in out.getvalue()


@pytest.mark.parametrize(
    ("code", "name", "reason"),
    [("x" * 300, "Police records", r"at most 80 characters \(this one has 300\)"),
     ("police-records", "N" * 500, r"A source system's name has at most 200 characters \(this one has 500\)"),
     ("police records", "Police records", "cannot be a source system code")],
)
def test_source_systems_add_refuses_what_its_columns_cannot_take(code: str, name: str, reason: str) -> None:
    AgencyFactory(code="police")
    with pytest.raises(CommandError, match=reason):
        call_command("source_systems", "add", code, "--agency", "police", "--name", name, stdout=io.StringIO())
    assert not SourceSystem.objects.filter(agency__code="police").exists()
    assert not AuditEvent.objects.filter(target_kind="source_system").exists()
