"""Linkage on the demo partnership, generated, imported and linked once for this module
(``linked_demo_once``: each test rolled back after it): what the hub's runs do to persons (stable ids,
persons.csv, re-runs that move no one, a failed run that changes nothing, one NHS number on two people),
people's decisions on pairs ('same person' merges now and in every later run, 'different people'
splits, undo restores, only reviewers decide, once), the review queue sized for people, and what the
single view says about how a record was linked. One module, so the demo is built once for all of them."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterator
from itertools import combinations
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.errors import ServiceError
from safeguarding.exchange.exporters import export_persons
from safeguarding.frontdoor.selectors import concerns_for_person
from safeguarding.frontdoor.services import concern_raise
from safeguarding.linkage import sources
from safeguarding.linkage.decisions import match_decide, match_decision_undo
from safeguarding.linkage.models import LinkageRun, MatchDecision, MatchReview, ReviewPriority, ReviewStatus, RunStatus
from safeguarding.linkage.review_queue import refresh_review_queue
from safeguarding.linkage.services import linkage_run
from safeguarding.people.models import ChangeKind, Person, PersonChange, SourceRecord
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


@pytest.mark.django_db
def test_a_linkage_run_that_fails_part_way_changes_nothing(linked_demo: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Persons, records, the history of merges and the review queue are written in one transaction:
    a failure after the records were moved leaves every person as it was."""
    from safeguarding.linkage import services as linkage_services
    from safeguarding.linkage.models import LinkageModelVersion, LinkageRun, RunStatus

    SourceRecord.objects.filter(pk=SourceRecord.objects.order_by("pk").values("pk")[:1]).update(given_name="Zed")
    records = dict(SourceRecord.objects.values_list("pk", "person_id"))
    persons = set(Person.objects.values_list("pk", "merged_into_id", "root_id", "given_name"))
    changes, reviews = PersonChange.objects.count(), MatchReview.objects.count()
    models = set(LinkageModelVersion.objects.values_list("pk", flat=True))

    def fail(**kwargs: object) -> int:
        raise RuntimeError("the disk filled up")

    monkeypatch.setattr(linkage_services, "refresh_review_queue", fail)
    with pytest.raises(ServiceError, match="nothing was changed"):
        linkage_run(full=True, retrain=True)
    assert dict(SourceRecord.objects.values_list("pk", "person_id")) == records
    assert set(Person.objects.values_list("pk", "merged_into_id", "root_id", "given_name")) == persons
    assert (PersonChange.objects.count(), MatchReview.objects.count()) == (changes, reviews)
    assert set(LinkageModelVersion.objects.values_list("pk", flat=True)) == models  # the model it retrained is not kept
    assert LinkageRun.objects.latest("pk").status == RunStatus.FAILED


# --- People's decisions on pairs ------------------------------------------------------------


@pytest.mark.django_db
def test_different_people_decision_splits_now_and_in_every_later_run_until_undone(linked_demo: Path, make_user) -> None:  # type: ignore[no-untyped-def]
    reviewer = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    left, right = linked_pair()
    kept = left.person_id
    review = pending_review(left, right)
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
    decision = match_decide(acting_user=reviewer, review=pending_review(left, right), verdict="same")
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
    left, right = linked_pair()
    review = pending_review(left, right)
    with pytest.raises(ServiceError):
        match_decide(acting_user=make_user(role=Role.REFERRER), review=review, verdict="same")
    reviewer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    match_decide(acting_user=reviewer, review=review, verdict="unsure")
    with pytest.raises(ServiceError, match="already"):
        match_decide(acting_user=reviewer, review=review, verdict="same")
    assert MatchDecision.objects.count() == 1


def _decided_while_scoring(monkeypatch: Any, reviewer: Any, review: MatchReview, verdict: str) -> Any:
    """Every linkage run from now on has a reviewer decide the pair while it scores (after its pairs are
    scored, before it applies). Returns the run's own scoring, to put back."""
    from safeguarding.linkage import services as linkage_services

    scored = linkage_services.link

    def a_reviewer_decides_while_the_run_scores(*args: Any, **kwargs: Any) -> Any:
        result = scored(*args, **kwargs)
        match_decide(acting_user=reviewer, review=review, verdict=verdict)
        return result

    monkeypatch.setattr(linkage_services, "link", a_reviewer_decides_while_the_run_scores)
    return scored


@pytest.mark.django_db
def test_a_same_person_decision_made_while_a_run_works_stands_and_the_run_says_run_again(  # type: ignore[no-untyped-def]
    linked_demo: Path, make_user, monkeypatch
) -> None:
    """A reviewer merges two persons while a run is scoring: the run, which read them before the merge, is
    not applied (it would have given the merged-away person back its id with none of its records, taking
    its concern out of the child's history, and queued the decided pair again); the next run keeps the
    merge."""
    from safeguarding.linkage import services as linkage_services

    reviewer = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    review = next(r for r in MatchReview.objects.filter(status=ReviewStatus.PENDING).order_by("pk")
                  .select_related("record_l", "record_r") if r.record_l.person_id != r.record_r.person_id)
    older, newer = sorted({review.record_l.person_id, review.record_r.person_id})
    concern = concern_raise(raised_by=referrer, child=Person.objects.get(pk=newer), seen_on=timezone.localdate(),
                            description="Seen getting into cars with older men")
    scored = _decided_while_scoring(monkeypatch, reviewer, review, "same")
    with pytest.raises(ServiceError, match="a reviewer decided or undid a match while this run was working"):
        linkage_run()

    def the_merge_stands() -> None:
        assert Person.objects.get(pk=newer).merged_into_id == older
        assert {SourceRecord.objects.get(pk=r).person_id for r in (review.record_l_id, review.record_r_id)} == {older}
        assert concerns_for_person(user=reviewer, person=Person.objects.get(pk=older)) == [concern]
        assert not MatchReview.objects.filter(record_l=review.record_l_id, record_r=review.record_r_id,
                                              status=ReviewStatus.PENDING).exists()

    the_merge_stands()
    refused = LinkageRun.objects.latest("pk")
    assert refused.status == RunStatus.FAILED and "run it again" in refused.failure

    monkeypatch.setattr(linkage_services, "link", scored)
    assert linkage_run().run.status == RunStatus.COMPLETED
    the_merge_stands()


@pytest.mark.django_db
def test_an_unsure_made_while_a_run_works_lets_the_run_apply_and_keeps_the_pair_out_of_the_queue(  # type: ignore[no-untyped-def]
    linked_demo: Path, make_user, monkeypatch
) -> None:
    """'Unsure' changes no person, so a run is not thrown away for it (before: refused, "run it
    again", as for a merge); the pair it decided is not queued again by the run."""

    reviewer = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    review = MatchReview.objects.filter(status=ReviewStatus.PENDING).order_by("pk").first()
    assert review is not None
    _decided_while_scoring(monkeypatch, reviewer, review, "unsure")
    assert linkage_run().run.status == RunStatus.COMPLETED
    assert not MatchReview.objects.filter(record_l=review.record_l_id, record_r=review.record_r_id,
                                          status=ReviewStatus.PENDING).exists()


def test_safeguarding_link_runs_again_when_a_decision_overtakes_it(linked_demo: Path, make_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The command a partnership schedules: a run a reviewer's decision overtook is run again from
    persons as they are now, and completes; the reviewer's merge stands."""
    from django.core.management import call_command

    from safeguarding.linkage import services as linkage_services

    reviewer = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    review = next(r for r in MatchReview.objects.filter(status=ReviewStatus.PENDING).order_by("-pk")
                  .select_related("record_l", "record_r") if r.record_l.person_id != r.record_r.person_id)
    scored = linkage_services.link
    calls: list[int] = []

    def decided_during_the_first_run(*args: Any, **kwargs: Any) -> Any:
        result = scored(*args, **kwargs)
        if not calls:
            match_decide(acting_user=reviewer, review=review, verdict="same")
        calls.append(1)
        return result

    monkeypatch.setattr(linkage_services, "link", decided_during_the_first_run)
    before = LinkageRun.objects.count()
    call_command("link", quiet=True)
    runs = list(LinkageRun.objects.order_by("pk")[before:])
    assert [run.status for run in runs] == [RunStatus.FAILED, RunStatus.COMPLETED] and len(calls) == 2
    assert SourceRecord.objects.get(pk=review.record_l_id).person_id == SourceRecord.objects.get(
        pk=review.record_r_id).person_id


# --- The review queue sized for people ------------------------------------------------------


EXPLAINED = [{"comparison": "prior", "label": "prior", "match_weight": -8.0, "status": "prior"}]


@pytest.fixture
def only_this_source() -> Iterator[Callable[[set[int]], None]]:
    """Replace the registered sources with one answering the given persons, for one test."""
    saved = dict(sources._sources)

    def use(persons: set[int]) -> None:
        sources._sources.clear()
        sources.register_worked_with_source("test", "an alert", lambda: persons)

    yield use
    sources._sources.clear()
    sources._sources.update(saved)


def _run_of(pairs: list[tuple[SourceRecord, SourceRecord, float]]) -> tuple[Any, tuple[np.ndarray, np.ndarray]]:
    """A linkage result whose review band holds these pairs, and each record's person now."""
    band = pa.Table.from_pylist([
        {"unique_id_l": min(a.pk, b.pk), "unique_id_r": max(a.pk, b.pk), "match_probability": p,
         "match_weight": float(np.log2(p / (1 - p))), "explanation": EXPLAINED}
        for a, b, p in pairs
    ])
    records = sorted({r.pk: r.person_id for a, b, _ in pairs for r in (a, b)}.items())
    persons = (np.array([r for r, _ in records], np.int64), np.array([p for _, p in records], np.int64))
    return SimpleNamespace(review=band, model=None), persons


def _three_pairs() -> list[tuple[SourceRecord, SourceRecord, float]]:
    """Three pairs of records of six different persons, at 0.82, 0.93 and 0.88."""
    records = _one_record_per_person(6)
    return [(records[0], records[1], 0.82), (records[2], records[3], 0.93), (records[4], records[5], 0.88)]


def _one_record_per_person(n: int) -> list[SourceRecord]:
    seen: dict[int, SourceRecord] = {}
    for record in SourceRecord.objects.order_by("pk").iterator():
        seen.setdefault(record.person_id, record)
        if len(seen) == n:
            break
    return list(seen.values())


@pytest.mark.django_db
def test_pairs_touching_a_child_worked_with_come_first_and_the_band_is_cut_at_the_limit(
    linked_demo: Path, only_this_source: Callable[[set[int]], None]
) -> None:
    pairs = _three_pairs()
    least_likely = pairs[0]
    only_this_source({least_likely[1].person_id})
    result, persons = _run_of(pairs)

    counts = refresh_review_queue(run=LinkageRun.objects.latest("pk"), result=result, persons=persons, decided=set(),
                                  flagged={}, limit=2)

    assert (counts.queued, counts.worked_with, counts.uncertain, counts.left_to_model) == (2, 1, 1, 1)
    queue = list(MatchReview.objects.filter(status=ReviewStatus.PENDING).order_by("priority", "-match_probability"))
    # The least likely pair, but it involves a child with an alert: first. Then the likeliest match; the
    # third (0.88) is left to the model.
    assert [(r.record_l_id, r.record_r_id) for r in queue] == [
        tuple(sorted((least_likely[0].pk, least_likely[1].pk))), tuple(sorted((pairs[1][0].pk, pairs[1][1].pk)))]
    assert queue[0].priority == ReviewPriority.WORKED_WITH and queue[0].worked_with == "a child with an alert"
    assert queue[1].priority == ReviewPriority.UNCERTAIN and queue[1].worked_with == ""


@pytest.mark.django_db
def test_a_link_kept_apart_by_two_numbers_is_queued_with_the_reason(
    linked_demo: Path, only_this_source: Callable[[set[int]], None]
) -> None:
    only_this_source(set())
    records = _one_record_per_person(2)
    result, persons = _run_of([(records[0], records[1], 0.99)])
    result.review = result.review.append_column("kept_apart", pa.array([True]))

    counts = refresh_review_queue(run=LinkageRun.objects.latest("pk"), result=result, persons=persons, decided=set(),
                                  flagged={}, limit=10)

    assert counts.queued == 1
    review = MatchReview.objects.get(status=ReviewStatus.PENDING)
    assert review.flag.startswith("The model links these records, but they are kept apart")
    assert review.priority == ReviewPriority.SHARED_IDENTIFIER


@pytest.mark.django_db
def test_every_pair_touching_a_child_worked_with_is_queued_even_past_the_limit(
    linked_demo: Path, only_this_source: Callable[[set[int]], None]
) -> None:
    pairs = _three_pairs()
    only_this_source({a.person_id for a, _, _ in pairs})
    result, persons = _run_of(pairs)

    counts = refresh_review_queue(run=LinkageRun.objects.latest("pk"), result=result, persons=persons, decided=set(),
                                  flagged={}, limit=1)

    assert (counts.queued, counts.worked_with, counts.left_to_model) == (3, 3, 0)


@pytest.mark.django_db
def test_a_pair_decided_as_a_run_writes_the_queue_stays_decided(
    linked_demo: Path, only_this_source: Callable[[set[int]], None]
) -> None:
    """A reviewer's decision committed after the run read the pending queue, before it wrote it: the pair
    the run no longer wants is shown decided, not "no longer in the review band"."""
    from django.db import connection

    only_this_source(set())
    records = _one_record_per_person(4)
    decided_meanwhile = pending_review(records[0], records[1])
    result, persons = _run_of([(records[2], records[3], 0.9)])
    table = MatchReview._meta.db_table

    def a_reviewer_decides_first(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith("UPDATE") and table in sql and decided_meanwhile.status != ReviewStatus.DECIDED:
            decided_meanwhile.status = ReviewStatus.DECIDED  # as another connection's decision commits
            context["cursor"].execute(f"UPDATE {connection.ops.quote_name(table)} SET status = %s WHERE id = %s",  # noqa: S608
                                      [ReviewStatus.DECIDED.value, decided_meanwhile.pk])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(a_reviewer_decides_first):
        refresh_review_queue(run=LinkageRun.objects.latest("pk"), result=result, persons=persons, decided=set(),
                             flagged={}, limit=10)

    decided_meanwhile.refresh_from_db()
    assert decided_meanwhile.status == ReviewStatus.DECIDED
    assert MatchReview.objects.filter(record_l=records[2], record_r=records[3], status=ReviewStatus.PENDING).exists()


@pytest.mark.django_db
def test_the_page_shows_how_many_pairs_wait_and_why(linked_demo: Path, make_user,  # type: ignore[no-untyped-def]
                                                    only_this_source: Callable[[set[int]], None]) -> None:
    pairs = _three_pairs()
    only_this_source({pairs[0][0].person_id})
    result, persons = _run_of(pairs)
    run = LinkageRun.objects.latest("pk")
    refresh_review_queue(run=run, result=result, persons=persons, decided=set(), flagged={}, limit=1)
    LinkageRun.objects.filter(pk=run.pk).update(counts={**run.counts, "review_band_left_to_model": 1})
    client = Client()
    sign_in(client, make_user(Role.TRIAGE_WORKER, AgencyKind.COUNCIL))

    page = client.get(reverse("linkage:queue")).content.decode()

    assert "Pairs awaiting a decision" in page and "Involves a child the partnership is working with" in page
    assert "Involves a child with an alert" in page
    assert "left 1 less likely pairs to the model" in page
