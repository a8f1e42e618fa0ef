"""People's decisions on pairs of records: 'same person' merges now and in every later run,
'different people' splits, undo restores, and only reviewers decide, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.errors import ServiceError
from safeguarding.linkage.decisions import match_decide, match_decision_undo
from safeguarding.linkage.models import MatchDecision, MatchReview, ReviewStatus
from safeguarding.linkage.services import linkage_run
from safeguarding.people.models import ChangeKind, Person, PersonChange, SourceRecord
from tests.linkage.conftest import linked_pair, pending_review


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


@pytest.mark.parametrize("weight, words", [
    (7.2, "Strong evidence for a match"),
    (-3.4, "Moderate evidence against a match"),
    (1.0, "Some evidence for a match"),
    (-0.4, "Slight evidence against a match"),
    (0.01, "No evidence either way"),
])
def test_match_evidence_is_said_in_words_not_bits(weight: float, words: str) -> None:
    from safeguarding.linkage.selectors import evidence_in_words

    assert evidence_in_words(weight) == words
