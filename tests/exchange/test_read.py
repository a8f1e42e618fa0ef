"""Reading an extract (src/safeguarding/exchange/read.py): what an extract may expand to, line ends,
long values and blank lines, each refused or read with a clear reason, never a traceback."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from pytest_django.fixtures import Settings

from safeguarding.accounts.models import Agency, AgencyKind
from safeguarding.core.errors import ServiceError
from safeguarding.exchange.format import MAX_VALUE
from safeguarding.exchange.importer import import_extract
from safeguarding.exchange.models import ImportIssue, ImportRun, ImportStatus, IssueSeverity
from safeguarding.exchange.read import MAX_LINE_BYTES
from safeguarding.people.models import Event, SourceRecord, SourceSystem

PEOPLE_HEADER = b"source_system,record_id,given_name,family_name,date_of_birth,sex\n"
EVENTS_HEADER = b"source_system,event_id,record_id,event_type,occurred_at,detail\n"


@pytest.fixture(autouse=True)
def data_dir(settings: Settings, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    return Path(settings.DATA_DIR)


@pytest.fixture
def police(db: None) -> SourceSystem:
    agency = Agency.objects.create(code="police", name="Police", kind=AgencyKind.POLICE)
    return SourceSystem.objects.create(code="police-records", name="Police records", agency=agency)


def extract(folder: Path, **files: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / f"{name}.csv").write_bytes(data)
    return folder


def zipped(path: Path, name: str, chunks: int, chunk: bytes, head: bytes = PEOPLE_HEADER) -> Path:
    """A zip holding ``name`` made of ``head`` and then ``chunk`` repeated, written a piece at a time."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive, archive.open(name, "w") as member:
        member.write(head)
        for _ in range(chunks):
            member.write(chunk)
    return path


# --- What an extract may expand to ----------------------------------------------------------------


@pytest.mark.django_db
def test_a_zip_bomb_of_blank_lines_is_refused_at_once_naming_the_limit(police: SourceSystem, tmp_path: Path) -> None:
    # 100 MB of blank lines zip into about 100 KB: the 400 KB zip of 400 MB that held the hub for 600 s, smaller.
    bomb = zipped(tmp_path / "extract.zip", "people.csv", 100, b"\n" * 1024 * 1024,
                  head=PEOPLE_HEADER + b"police-records,P1,Chloe,Barker,2010-03-14,F\n")
    assert bomb.stat().st_size < 500_000

    started = time.monotonic()
    with pytest.raises(ServiceError) as refused:
        import_extract(bomb)

    assert time.monotonic() - started < 5
    message = str(refused.value)
    assert "people.csv" in message and "100 MB" in message and "IMPORT_MAX_COMPRESSION_RATIO" in message
    assert not SourceRecord.objects.exists()


@pytest.mark.django_db
def test_blank_lines_in_a_row_refuse_the_file_where_they_start(
    police: SourceSystem, tmp_path: Path, settings: Settings
) -> None:
    settings.IMPORT_MAX_COMPRESSION_RATIO = 1_000_000  # let the bomb through the zip's own check
    bomb = zipped(tmp_path / "extract.zip", "people.csv", 50, b"\n" * 1024 * 1024,
                  head=PEOPLE_HEADER + b"police-records,P1,Chloe,Barker,2010-03-14,F\n")

    started = time.monotonic()
    result = import_extract(bomb)

    assert time.monotonic() - started < 5
    (issue,) = result.issues
    assert issue.line == 3
    assert "10,000 blank lines in a row from line 3" in issue.reason
    assert "IMPORT_MAX_BLANK_LINES" in issue.reason
    assert result.counts["people.csv"].file_rejected
    assert not SourceRecord.objects.exists()


@pytest.mark.django_db
def test_a_few_blank_lines_are_still_skipped(police: SourceSystem, tmp_path: Path) -> None:
    folder = extract(tmp_path / "x", people=PEOPLE_HEADER + b"police-records,P1,Chloe,,,\n" + b"\n" * 9_999
                     + b"police-records,P2,Jade,,,\n")

    result = import_extract(folder)

    assert result.issue_count == 0
    assert SourceRecord.objects.count() == 2


@pytest.mark.django_db
def test_an_extract_larger_than_the_limit_is_refused_before_it_is_read(
    police: SourceSystem, tmp_path: Path, settings: Settings
) -> None:
    settings.IMPORT_MAX_EXTRACT_BYTES = 1024
    folder = extract(tmp_path / "x", people=PEOPLE_HEADER + b"police-records,P1,Chloe,,,\n" * 100)

    with pytest.raises(ServiceError, match=r"holds 2\.7 KB of CSV, more than the 1 KB .*IMPORT_MAX_EXTRACT_BYTES"):
        import_extract(folder)

    assert not ImportRun.objects.exists()  # refused before a run began, like a path that is not an extract


@pytest.mark.django_db
def test_an_extract_of_more_rows_than_the_limit_is_refused_whole(
    police: SourceSystem, tmp_path: Path, settings: Settings
) -> None:
    settings.IMPORT_MAX_ROWS = 5
    folder = extract(
        tmp_path / "x",
        people=PEOPLE_HEADER + b"".join(b"police-records,P%d,Chloe,,,\n" % n for n in range(3)),
        events=EVENTS_HEADER + b"".join(b"police-records,E%d,P1,concern,2025-01-10,\n" % n for n in range(3)),
    )

    with pytest.raises(ServiceError, match=r"more than 5 rows, the most one import may hold \(IMPORT_MAX_ROWS\)"):
        import_extract(folder)

    run = ImportRun.objects.get()
    assert run.status == ImportStatus.FAILED and "IMPORT_MAX_ROWS" in run.failure
    assert not SourceRecord.objects.exists() and not Event.objects.exists()


@pytest.mark.django_db
def test_a_zip_compressed_other_than_by_deflate_is_refused_with_what_to_do(police: SourceSystem, tmp_path: Path) -> None:
    archive = tmp_path / "extract.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_BZIP2) as zipped_file:
        zipped_file.writestr("people.csv", PEOPLE_HEADER + b"police-records,P1,Chloe,,,\n")

    with pytest.raises(ServiceError, match="compressed with method 12; the hub reads zip files compressed the usual way"):
        import_extract(archive)


@pytest.mark.django_db
def test_a_damaged_zip_member_refuses_that_file_with_a_reason(police: SourceSystem, tmp_path: Path) -> None:
    archive = tmp_path / "extract.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zipped_file:
        zipped_file.writestr("people.csv", PEOPLE_HEADER + b"police-records,P1,Chloe,,,\n")
    data = bytearray(archive.read_bytes())
    at = data.index(b"Chloe")
    data[at : at + 5] = b"Chlo!"  # the stored CRC no longer matches
    archive.write_bytes(bytes(data))

    result = import_extract(archive)

    (issue,) = result.issues
    assert "the zip file is damaged" in issue.reason
    assert not SourceRecord.objects.exists()


# --- Line ends, long values -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("end", [b"\r", b"\r\n", b"\n"], ids=["bare CR", "CRLF", "LF"])
def test_every_line_end_is_read_with_the_right_line_numbers(police: SourceSystem, tmp_path: Path, end: bytes) -> None:
    rows = [
        b"source_system,record_id,given_name,address,sex",
        b"police-records,P1,Chloe,\"Flat 2," + end + b"14 Fern Road\",F",
        b"police-records,P2,Jade,,Q",
    ]
    folder = extract(tmp_path / "x", people=end.join(rows) + end)

    result = import_extract(folder)

    chloe = SourceRecord.objects.get(record_id="P1")
    assert chloe.raw["address"] == "Flat 2," + end.decode() + "14 Fern Road"
    assert chloe.address == "Flat 2, 14 Fern Road"  # SPEC.md: one line
    assert [(warning.line, warning.column) for warning in result.issues] == [(2, "address"), (4, "sex")]
    assert result.counts["people.csv"].created == 2


@pytest.mark.django_db
def test_a_properly_quoted_3_mb_value_is_set_aside_with_the_real_limit_and_the_row_kept(
    police: SourceSystem, tmp_path: Path
) -> None:
    detail = "Notes " * (3 * 1024 * 1024 // 6)
    body = io.BytesIO()
    body.write(EVENTS_HEADER)
    body.write(f'police-records,E1,P1,concern,2025-01-10,"{detail}"\n'.encode())
    body.write(b"police-records,E2,P1,concern,2025-01-11,short\n")
    folder = extract(tmp_path / "x", people=PEOPLE_HEADER + b"police-records,P1,Chloe,,,\n", events=body.getvalue())

    result = import_extract(folder)

    (issue,) = result.issues
    assert (issue.file, issue.line, issue.severity, issue.column) == ("events.csv", 2, IssueSeverity.WARNING, "detail")
    assert issue.reason == f"detail is longer than {MAX_VALUE:,} characters; set aside"
    assert "quote" not in issue.reason
    long, short = Event.objects.order_by("event_id")
    assert (long.detail, short.detail) == ("", "short")
    assert long.raw["detail"].startswith("[set aside: 3,145,728 characters")
    assert len(ImportIssue.objects.get().row["detail"]) < 200  # not 3 MB in the issue either


@pytest.mark.django_db
def test_a_quote_left_open_says_so_and_where_it_began(police: SourceSystem, tmp_path: Path) -> None:
    rows = PEOPLE_HEADER + b'police-records,P1,"Chloe,,,\n' + b"police-records,P2,Jade,,,\n" * 10
    folder = extract(tmp_path / "x", people=rows)

    result = import_extract(folder)

    first, *taken = result.issues
    assert first.line == 2
    assert "a quoted value opened in the row at line 2 is never closed (the file ends inside it)" in first.reason
    # Each line it took is rejected on its own, with its line: none is lost unseen.
    assert [i.line for i in taken] == list(range(3, 13))
    assert all(i.reason.startswith("read inside a quoted value opened at line 2") for i in taken)


@pytest.mark.django_db
def test_a_quoted_value_still_open_after_the_most_the_hub_reads_is_refused_with_that_limit(
    police: SourceSystem, tmp_path: Path
) -> None:
    line = b"x" * 1023 + b"\n"
    rows = PEOPLE_HEADER + b'police-records,P1,"' + line * (MAX_LINE_BYTES // len(line) + 2) + b'",,,\n'
    folder = extract(tmp_path / "x", people=rows)

    result = import_extract(folder)

    (issue,) = result.issues
    assert issue.line == 2
    assert "a quoted value that starts in the row at line 2 is still open after 16 MB" in issue.reason
    assert not SourceRecord.objects.exists()


@pytest.mark.django_db
def test_a_line_longer_than_the_most_the_hub_reads_refuses_the_file(police: SourceSystem, tmp_path: Path) -> None:
    folder = extract(tmp_path / "x", people=PEOPLE_HEADER + b"police-records,P1," + b"x" * (MAX_LINE_BYTES + 10))

    result = import_extract(folder)

    (issue,) = result.issues
    assert "line 2 is longer than 16 MB, the most the hub reads as one line" in issue.reason


def test_an_extra_column_named_twice_is_kept_twice_but_a_known_one_refuses_its_file(
    police: SourceSystem, tmp_path: Path
) -> None:
    result = import_extract(extract(
        tmp_path / "x",
        people=b"source_system,record_id,given_name,notes,family_name,notes\npolice-records,P1,Chloe,first,Barker,second\n",
        events=EVENTS_HEADER.replace(b"detail", b"event_type") + b"police-records,E1,P1,intelligence,2025-01-01,x\n",
    ))

    record = SourceRecord.objects.get()
    assert record.raw["notes"] == "first" and record.raw["notes (column 6)"] == "second"
    assert (record.given_name, record.family_name) == ("Chloe", "Barker")
    [issue] = result.issues
    assert (issue.file, issue.line, issue.column) == ("events.csv", 1, "event_type")
    assert "names the column 'event_type' twice" in issue.reason and not Event.objects.exists()
