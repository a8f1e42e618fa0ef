"""Validating a large file in worker processes (``exchange.parallel``): what is staged, refused and
reported is exactly what validating it in order gives, repeated keys across batches included."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pyarrow as pa
import pytest
from pytest_django.fixtures import Settings

from safeguarding.core.errors import ServiceError
from safeguarding.exchange import importer, read
from safeguarding.exchange.format import EVENTS, PEOPLE
from safeguarding.exchange.importer import import_extract
from safeguarding.exchange.models import ImportRun, ImportStatus, IssueSeverity
from safeguarding.exchange.read import Limits, Row
from safeguarding.exchange.staging import StagedFile
from safeguarding.exchange.validate import Accepted, RowValidator
from safeguarding.people.models import SourceRecord, SourceSystem
from tests.exchange.test_importer import (
    EVENTS_HEADER,
    data_dir,  # noqa: F401  (autouse: rejects files go to a scratch folder)
    issues_at,
    people_file,
    people_row,
    systems,  # noqa: F401  (the fixture)
    write_extract,
)


def _events_row(event_id: str, record_id: str, event_type: str = "missing_episode", occurred: str = "2026-01-05") -> str:
    return f"police-records,{event_id},{record_id},{event_type},{occurred},,,,,,,\n"


def _extract(folder: Path) -> Path:
    """People and events with repeated keys in the same batch and in later ones (batches of 3),
    a repeat that is wrong in other ways too, rows with too many values, and rows wrong alone."""
    people = [people_row(f"P{n}", given_name=f"Given{n}", family_name="Smith", date_of_birth="2010-02-03")
              for n in range(12)]
    people[4] = people_row("P1", given_name="repeat in a later batch")
    people[5] = people_row("P5", date_of_birth="2010-13-45")  # a warning: set aside
    people[7] = people_row("P7", given_name="again") + people_row("P7", given_name="same batch")
    people[9] = "police-records,P9,too,many,values,,,,,,,,,,,,,,\n"
    people[10] = people_row("", given_name="no record id")
    events = [_events_row(f"E{n}", f"P{n % 4}") for n in range(14)]
    # A repeat with an unknown type: refused for its type alone (a row refused takes no key, so a
    # corrected row after it would be imported).
    events[6] = _events_row("E2", "P1", event_type="ran_away")
    events[8] = _events_row("E8", "P2", event_type="ran_away")
    events[11] = _events_row("E0", "P3")
    events[12] = _events_row("E12", "P9", occurred="")
    return write_extract(folder, {
        "people.csv": people_file(*people),
        "events.csv": EVENTS_HEADER + "\n" + "".join(events),
    })


def _staged(extract: Path, folder: Path) -> list[StagedFile]:
    limits = Limits.from_settings()
    with ExitStack() as stack:
        members = read.find_members(extract, stack, limits)
        return importer._read_and_validate(members, folder, limits, None)


def _tables(file: StagedFile) -> tuple[pa.Table, pa.Table]:
    stem = str(file.folder / file.fmt.name.removesuffix(".csv"))
    return tuple(pa.ipc.open_file(stem + suffix).read_all() for suffix in (".rows.arrow", ".issues.arrow"))


@pytest.fixture
def in_workers(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file validated in two workers, three rows a batch."""
    settings.IMPORT_WORKERS = 2
    monkeypatch.setattr(importer, "IN_WORKERS_FROM", 0)
    monkeypatch.setattr(read, "BATCH_SIZE", 3)


@pytest.mark.django_db
def test_workers_stage_exactly_what_validating_in_order_stages(
    systems: dict, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    extract = _extract(tmp_path / "extract")
    monkeypatch.setattr(read, "BATCH_SIZE", 3)
    settings.IMPORT_WORKERS = 0
    in_order = _staged(extract, tmp_path / "in-order")
    settings.IMPORT_WORKERS = 2
    monkeypatch.setattr(importer, "IN_WORKERS_FROM", 0)
    in_workers = _staged(extract, tmp_path / "in-workers")

    assert [f.fmt.name for f in in_workers] == ["people.csv", "events.csv"]
    for alone, shared in zip(in_order, in_workers, strict=True):
        assert shared.counts == alone.counts
        assert (shared.accepted, shared.batches) == (alone.accepted, alone.batches)
        rows, issues = _tables(shared)
        assert rows.equals(_tables(alone)[0])
        assert issues.equals(_tables(alone)[1])
    people_issues = _tables(in_workers[0])[1].to_pylist()
    events_issues = _tables(in_workers[1])[1].to_pylist()
    # What the rows above should come to, so that the two agreeing is not two wrongs.
    assert [(i["line"], i["column"]) for i in people_issues] == [
        (6, "record_id"), (10, "record_id"), (12, ""), (13, "record_id"),
    ]
    assert "appears more than once" in people_issues[0]["reason"]
    # An event's repeated key is refused as the rows are written (line 13), not as they are read.
    assert [(i["line"], i["column"]) for i in events_issues] == [
        (8, "event_type"), (10, "event_type"), (14, "occurred_at"),
    ]
    assert in_workers[0].accepted == 9 and in_workers[1].accepted == 11


@pytest.mark.django_db
def test_an_import_in_workers_saves_and_reports_as_one_in_order(
    systems: dict, tmp_path: Path, in_workers: None  # noqa: F811
) -> None:
    result = import_extract(_extract(tmp_path / "extract"))

    people = issues_at(result, "people.csv")
    assert {line for line, found in people.items() if found[0].severity == IssueSeverity.REJECTED} == {6, 10, 12, 13}
    assert [i.column for i in people[7]] == ["date_of_birth"]  # a warning
    assert result.counts["people.csv"].created == 9
    assert set(issues_at(result, "events.csv")) == {8, 10, 13, 14}
    assert result.counts["events.csv"].created == 10
    (late,) = SourceRecord.objects.filter(record_id="P1")
    assert late.given_name == "Given1"  # the first P1, not its repeat
    assert SourceRecord.objects.get(record_id="P7").given_name == "again"


@pytest.mark.django_db
def test_a_row_unreadable_in_a_later_batch_is_rejected_at_its_line_with_workers_running(
    systems: dict, tmp_path: Path, in_workers: None  # noqa: F811
) -> None:
    extract = _extract(tmp_path / "extract")
    lines = (extract / "events.csv").read_bytes().splitlines(keepends=True)
    lines[11] = lines[11].replace(b"missing_episode", b"missing_episode \xe9")
    (extract / "events.csv").write_bytes(b"".join(lines))

    result = import_extract(extract)

    (issue,) = issues_at(result, "events.csv")[12]
    assert "not valid UTF-8 at line 12" in issue.reason
    assert result.counts["events.csv"].created == 9  # the ten rows right in themselves but the one on line 12
    assert result.counts["people.csv"].created == 9


def test_a_row_checked_apart_claims_its_key_and_a_later_claim_of_it_is_refused() -> None:
    system = SourceSystem(pk=7, code="police-records", is_hub=False)
    validator = RowValidator(PEOPLE, {system.code: system})
    row = Row(2, {"source_system": "police-records", "record_id": "P1"})

    first, keys = validator.claims(row)
    again, same_keys = validator.claims(row)

    assert isinstance(first, Accepted) and isinstance(again, Accepted)  # each checked as though alone
    assert len(keys) == 1 and keys == same_keys
    assert validator.claim(keys) is True
    assert validator.claim(same_keys) is False
    refused = validator(row)  # checked again in order, the repeat is refused
    assert not isinstance(refused, Accepted) and "appears more than once" in refused.reason
    wrong_after = Row(3, {"source_system": "police-records", "record_id": "P1", "date_of_birth": "2010-13-45"})
    assert validator.claims(Row(3, {"source_system": "police-records", "record_id": ""}))[1] == []  # refused: no key
    assert validator.claims(wrong_after)[1] == keys  # a warning is no reason to refuse it: it claims its key
    unknown_system = Row(4, {"source_system": "nowhere", "record_id": "P1"})
    assert validator.claims(unknown_system)[1] == []  # wrong before its key: claims nothing
    # An event's key is taken as it is written, by the first row imported (``upsert``): the write may
    # yet refuse a row that reads well (one for a record the hub does not hold).
    event_validator = RowValidator(EVENTS, {system.code: system})
    right = Row(5, {"source_system": "police-records", "event_id": "E1", "record_id": "P1",
                    "event_type": "missing_episode", "occurred_at": "2026-01-05"})
    assert event_validator.claims(right)[1] == []


@pytest.mark.django_db
def test_a_worker_that_stops_fails_the_import_saying_what_to_set_and_saves_nothing(
    systems: dict, tmp_path: Path, in_workers: None, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    # A worker that cannot start (its settings cannot be found) stops as one killed would.
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "safeguarding.no_such_settings")

    with pytest.raises(ServiceError, match=r"a process validating people\.csv stopped.*IMPORT_WORKERS=0"):
        import_extract(_extract(tmp_path / "extract"))

    assert not SourceRecord.objects.exists()
    assert ImportRun.objects.get().status == ImportStatus.FAILED
