"""Linkage applied to the hub: stable person ids, review decisions that override the model, merge
and undo, persons.csv, and what the single view says about how a record was linked."""

from __future__ import annotations

import csv
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.errors import ServiceError
from safeguarding.exchange.exporters import export_persons
from safeguarding.linkage.assign import assign_persons
from safeguarding.linkage.decisions import match_decide, match_decision_undo
from safeguarding.linkage.load import load_records
from safeguarding.linkage.models import MatchDecision, MatchReview, ReviewStatus
from safeguarding.linkage.services import linkage_run, linkage_settings
from safeguarding.people.models import ChangeKind, LinkMethod, Person, PersonChange, SourceRecord
from tests.factories import SourceRecordFactory, sign_in


def test_unchanged_records_keep_their_person() -> None:
    current = {1: 10, 2: 10, 3: 11}
    result = assign_persons({1: 1, 2: 1, 3: 3}, current)
    assert result.moves == [] and result.merged_into == {}


def test_a_merge_keeps_the_older_person() -> None:
    # Person 12 (newer, two records) and person 10 (older, one record) turn out to be one.
    result = assign_persons({1: 1, 2: 1, 3: 1}, {1: 10, 2: 12, 3: 12})
    assert result.person_of_cluster == {1: 10}
    assert result.merged_into == {12: 10}
    assert sorted((r, f, t) for r, f, t, _ in result.moves) == [(2, 12, 10), (3, 12, 10)]


def test_a_split_keeps_the_id_where_most_records_stay() -> None:
    result = assign_persons({1: 1, 2: 1, 3: 3}, {1: 10, 2: 10, 3: 10})
    assert result.person_of_cluster == {1: 10, 3: None}  # record 3 goes to a new person
    assert result.merged_into == {}


def _pairs(mapping: dict[tuple[str, str], str]) -> set[tuple[tuple[str, str], ...]]:
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, value in mapping.items():
        groups[value].append(key)
    return {tuple(sorted(p)) for members in groups.values() for p in combinations(members, 2)}


@pytest.fixture
def linked_demo(tmp_path: Path, db: None) -> Path:
    call_command("demo", children=150, out=tmp_path, quiet=True)  # generates, imports and links
    return tmp_path


@pytest.mark.django_db
def test_linking_the_demo_finds_its_people_and_rerunning_moves_no_one(linked_demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "persons.csv"
    rows = export_persons(out)
    hub = {(r["source_system"], r["record_id"]): r["person_id"] for r in csv.DictReader(out.open())}
    assert rows == SourceRecord.objects.count()
    with (linked_demo / "truth" / "persons.csv").open() as handle:
        truth = {(r["source_system"], r["record_id"]): r["true_person_id"] for r in csv.DictReader(handle)}
    found, expected = _pairs({k: v for k, v in hub.items() if k in truth}), _pairs(truth)
    f1 = 2 * len(found & expected) / (len(found) + len(expected))
    assert f1 >= 0.97, f"pairwise F1 {f1:.4f}"
    assert out.read_text().splitlines()[0] == "source_system,record_id,person_id,match_probability"
    assert AuditEvent.objects.filter(event_type=AuditEventType.DATA_EXPORTED).exists()

    before = dict(SourceRecord.objects.values_list("pk", "person_id"))
    again = linkage_run()
    assert again.counts["records_moved"] == 0
    assert again.counts["records_compared"] == 0  # nothing changed since: the kept pairs stand
    assert dict(SourceRecord.objects.values_list("pk", "person_id")) == before

    # A record put right in the next extract is compared again; comparing everything finds the same.
    record = SourceRecord.objects.filter(given_name__gt="").order_by("pk").first()
    assert record is not None
    SourceRecord.objects.filter(pk=record.pk).update(given_name=record.given_name + "x")
    changed = linkage_run()
    assert changed.counts["records_compared"] == 1
    after_change = dict(SourceRecord.objects.values_list("pk", "person_id"))
    full = linkage_run(full=True)
    assert full.counts["records_compared"] == len(before)
    assert full.counts["records_moved"] == 0
    assert dict(SourceRecord.objects.values_list("pk", "person_id")) == after_change


def _linked_pair() -> tuple[SourceRecord, SourceRecord]:
    person = (
        Person.objects.filter(source_records__link_method=LinkMethod.MODEL, merged_into__isnull=True)
        .order_by("pk")
        .first()
    )
    assert person is not None
    left, right = SourceRecord.objects.filter(person=person).order_by("pk")[:2]
    return left, right


def _review(left: SourceRecord, right: SourceRecord) -> MatchReview:
    from safeguarding.linkage.models import LinkageRun

    return MatchReview.objects.create(
        record_l=left,
        record_r=right,
        match_probability=0.9,
        match_weight=3.2,
        explanation=[{"comparison": "prior", "label": "prior", "match_weight": -8.0, "status": "prior"}],
        run=LinkageRun.objects.latest("pk"),
    )


@pytest.mark.django_db
def test_different_people_decision_splits_now_and_in_every_later_run_until_undone(linked_demo: Path, make_user) -> None:  # type: ignore[no-untyped-def]
    reviewer = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    left, right = _linked_pair()
    kept = left.person_id
    review = _review(left, right)
    with pytest.raises(ServiceError, match="why"):
        match_decide(acting_user=reviewer, review=review, verdict="different")
    decision = match_decide(acting_user=reviewer, review=review, verdict="different", reason="School confirms twins")
    right.refresh_from_db()
    assert right.person_id != kept
    assert PersonChange.objects.filter(match_decision_id=decision.pk, kind=ChangeKind.SPLIT).exists()

    linkage_run()  # the model would join them again; the decision wins
    left.refresh_from_db()
    right.refresh_from_db()
    assert left.person_id != right.person_id
    assert left.person_id == kept

    match_decision_undo(acting_user=reviewer, decision=decision)
    decision.refresh_from_db()
    assert decision.revoked_at is not None
    assert MatchReview.objects.filter(record_l=left, record_r=right, status=ReviewStatus.PENDING).exists()
    linkage_run()
    left.refresh_from_db()
    right.refresh_from_db()
    assert left.person_id == right.person_id == kept
    assert AuditEvent.objects.filter(event_type=AuditEventType.MATCH_DECISION_UNDONE, actor=reviewer).exists()


@pytest.mark.django_db
def test_same_person_decision_merges_into_the_older_person_and_undo_restores(linked_demo: Path, make_user) -> None:  # type: ignore[no-untyped-def]
    reviewer = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    older, newer = (
        Person.objects.filter(merged_into__isnull=True, source_records__isnull=False).distinct().order_by("pk")[:2]
    )
    left = SourceRecord.objects.filter(person=older).first()
    right = SourceRecord.objects.filter(person=newer).first()
    assert left and right
    newer_records = set(SourceRecord.objects.filter(person=newer).values_list("pk", flat=True))
    decision = match_decide(acting_user=reviewer, review=_review(left, right), verdict="same")
    assert set(SourceRecord.objects.filter(person=older).values_list("pk", flat=True)) >= newer_records
    newer.refresh_from_db()
    assert newer.merged_into_id == older.pk

    linkage_run()  # the model would keep them apart; the decision wins
    assert SourceRecord.objects.get(pk=right.pk).person_id == SourceRecord.objects.get(pk=left.pk).person_id

    match_decision_undo(acting_user=reviewer, decision=decision)
    linkage_run()
    assert SourceRecord.objects.get(pk=right.pk).person_id != SourceRecord.objects.get(pk=left.pk).person_id


@pytest.mark.django_db
def test_only_reviewers_decide_and_a_pair_is_decided_once(linked_demo: Path, make_user) -> None:  # type: ignore[no-untyped-def]
    left, right = _linked_pair()
    review = _review(left, right)
    with pytest.raises(ServiceError):
        match_decide(acting_user=make_user(role=Role.REFERRER), review=review, verdict="same")
    reviewer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    match_decide(acting_user=reviewer, review=review, verdict="unsure")
    with pytest.raises(ServiceError, match="already"):
        match_decide(acting_user=reviewer, review=review, verdict="same")
    assert MatchDecision.objects.count() == 1


@pytest.mark.django_db
def test_single_view_says_how_each_record_was_linked(linked_demo: Path, make_user) -> None:  # type: ignore[no-untyped-def]
    left, right = _linked_pair()
    _review(left, right)
    client = Client()
    sign_in(client, make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL))
    page = client.get(reverse("people:detail", args=[left.person_id])).content.decode()
    assert "Linked by the model" in page
    assert "Awaiting match review" in page


@pytest.mark.django_db
def test_a_merged_person_leads_to_the_person_they_were_joined_to(linked_demo: Path, make_user) -> None:  # type: ignore[no-untyped-def]
    retired = Person.objects.filter(merged_into__isnull=False).first()
    assert retired is not None
    client = Client()
    sign_in(client, make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL))
    response = client.get(reverse("people:detail", args=[retired.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("people:detail", args=[retired.merged_into_id])


@pytest.mark.django_db
def test_one_nhs_number_on_two_different_people_is_flagged_not_merged(linked_demo: Path) -> None:
    first, second = (
        Person.objects.filter(merged_into__isnull=True, source_records__isnull=False, role="child")
        .exclude(given_name="")
        .distinct()
        .order_by("pk")[:2]
    )
    assert (first.given_name, first.date_of_birth) != (second.given_name, second.date_of_birth)
    left = SourceRecord.objects.filter(person=first).first()
    right = SourceRecord.objects.filter(person=second).first()
    assert left and right
    SourceRecord.objects.filter(pk__in=[left.pk, right.pk]).update(nhs_number="9434765919", nhs_number_valid=True)
    result = linkage_run()
    assert SourceRecord.objects.get(pk=left.pk).person_id != SourceRecord.objects.get(pk=right.pk).person_id
    flagged = MatchReview.objects.get(
        status=ReviewStatus.PENDING, record_l=min(left.pk, right.pk), record_r=max(left.pk, right.pk)
    )
    assert "NHS number (9434765919)" in flagged.flag
    assert flagged.explanation and result.counts["shared_identifiers_flagged"] >= 1


@pytest.mark.django_db
def test_a_postcode_from_abroad_is_compared_where_the_record_holds_no_uk_one() -> None:
    abroad = SourceRecordFactory(postcode="", postcode_other="4223")
    both = SourceRecordFactory(postcode="S65 1AB", postcode_other="4223")
    neither = SourceRecordFactory(postcode="", postcode_other="")

    records, current = load_records()

    postcodes = dict(zip(records.column("unique_id").to_pylist(), records.column("postcode").to_pylist(), strict=True))
    assert postcodes == {abroad.pk: "4223", both.pk: "S65 1AB", neither.pk: ""}
    assert current == {r.pk: r.person_id for r in (abroad, both, neither)}


@override_settings(LINKAGE_UPPER_THRESHOLD=0.97)
def test_a_run_can_turn_a_setting_off_and_an_absent_threshold_keeps_the_partnerships() -> None:
    chosen = linkage_settings(upper_threshold=None, twin_match_weight=None, link_within_source=False)

    assert chosen.upper_threshold == 0.97
    assert (chosen.twin_match_weight, chosen.link_within_source) == (None, False)
    assert linkage_settings().twin_match_weight is not None


@pytest.mark.django_db
def test_a_linkage_run_that_fails_part_way_changes_nothing(linked_demo: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Persons, records, the history of merges and the review queue are written in one transaction:
    a failure after the records were moved leaves every person as it was."""
    from safeguarding.linkage import services as linkage_services
    from safeguarding.linkage.models import LinkageRun, RunStatus

    SourceRecord.objects.filter(pk=SourceRecord.objects.order_by("pk").values("pk")[:1]).update(given_name="Zed")
    records = dict(SourceRecord.objects.values_list("pk", "person_id"))
    persons = set(Person.objects.values_list("pk", "merged_into_id", "root_id", "given_name"))
    changes, reviews = PersonChange.objects.count(), MatchReview.objects.count()

    def fail(**kwargs: object) -> int:
        raise RuntimeError("the disk filled up")

    monkeypatch.setattr(linkage_services, "refresh_review_queue", fail)
    with pytest.raises(ServiceError, match="nothing was changed"):
        linkage_run(full=True, retrain=True)
    assert dict(SourceRecord.objects.values_list("pk", "person_id")) == records
    assert set(Person.objects.values_list("pk", "merged_into_id", "root_id", "given_name")) == persons
    assert (PersonChange.objects.count(), MatchReview.objects.count()) == (changes, reviews)
    assert LinkageRun.objects.latest("pk").status == RunStatus.FAILED
