"""The exchange's console commands refuse bad input in one line (``CommandError``), before doing anything."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from safeguarding.exchange.models import ImportRun

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
