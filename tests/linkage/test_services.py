"""Linkage applied to the hub: stable person ids, review decisions that override the model, merge
and undo, persons.csv, and what the single view says about how a record was linked."""

from __future__ import annotations

import csv
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.errors import ServiceError
from safeguarding.exchange.exporters import export_persons
from safeguarding.linkage.models import MatchReview, ReviewStatus
from safeguarding.linkage.services import linkage_run, linkage_settings
from safeguarding.people.models import Person, PersonChange, SourceRecord
from tests.factories import sign_in
from tests.linkage.conftest import linked_pair, pending_review


def _pairs(mapping: dict[tuple[str, str], str]) -> set[tuple[tuple[str, str], ...]]:
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, value in mapping.items():
        groups[value].append(key)
    return {tuple(sorted(p)) for members in groups.values() for p in combinations(members, 2)}


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
    # Nothing changed since but the adult survivor the demo's support worker recorded in the hub after the
    # link: only that record is compared, the kept pairs stand.
    assert again.counts["records_compared"] == SourceRecord.objects.filter(source_system__is_hub=True).count() == 1
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


@pytest.mark.django_db
def test_single_view_says_how_each_record_was_linked(linked_demo: Path, make_user) -> None:  # type: ignore[no-untyped-def]
    left, right = linked_pair()
    pending_review(left, right)
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


@override_settings(LINKAGE_UPPER_THRESHOLD=0.97)
def test_a_run_can_turn_a_setting_off_and_an_absent_threshold_keeps_the_partnerships() -> None:
    chosen = linkage_settings(upper_threshold=None, twin_match_weight=None, link_within_source=False)

    assert chosen.upper_threshold == 0.97
    assert (chosen.twin_match_weight, chosen.link_within_source) == (None, False)
    assert linkage_settings().twin_match_weight is not None


@override_settings(LINKAGE_SPARK_MASTER="spark://spark-master.internal:7077", LINKAGE_SPARK_DRIVER_MEMORY="8g",
                   LINKAGE_SPARK_PARTITIONS=64)
def test_a_spark_run_goes_to_the_partnerships_cluster() -> None:
    chosen = linkage_settings()

    assert chosen.spark_master == "spark://spark-master.internal:7077"
    assert (chosen.spark_driver_memory, chosen.spark_shuffle_partitions) == ("8g", 64)


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
