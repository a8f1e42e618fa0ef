"""`safeguarding export`: a file that cannot be written ends the command in one line, and changes nothing."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from safeguarding.audit.models import AuditEvent, AuditEventType

pytestmark = pytest.mark.django_db


def test_export_to_a_place_it_cannot_write_says_why_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "file.csv").write_text("kept")
    refused = [(tmp_path, "it is a folder: name a file in it"),
               (tmp_path / "file.csv" / "x.csv", "part of its path is a file, not a folder")]
    if Path("/dev/full").exists():
        refused.append((Path("/dev/full"), "No space left on device"))
    for out, reason in refused:
        with pytest.raises(CommandError, match=re.escape(f"Could not write {out}: {reason}. Nothing was written.")):
            call_command("export", "alerts", out=out, stdout=io.StringIO())
    assert (tmp_path / "file.csv").read_text() == "kept"
    assert not AuditEvent.objects.filter(event_type=AuditEventType.DATA_EXPORTED).exists()


def test_an_export_that_fails_part_way_leaves_the_file_before_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "persons.csv"
    out.write_text("the export before\n")
    from safeguarding.core import csvfile

    def full(self: csvfile.SpreadsheetSafeWriter, row: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(csvfile.SpreadsheetSafeWriter, "writerow", full)
    with pytest.raises(CommandError, match="No space left on device"):
        call_command("export", "persons", out=out, stdout=io.StringIO())
    assert out.read_text() == "the export before\n"
    assert [p.name for p in tmp_path.iterdir()] == ["persons.csv"]
