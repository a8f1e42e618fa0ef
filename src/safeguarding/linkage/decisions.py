"""People's decisions on pairs of records: 'same person' merges, 'different people' splits, both
applied at once through the identity room and kept so that every later run honours them until they
are undone."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from safeguarding.accounts.access import Capability, has
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.errors import ServiceError
from safeguarding.linkage.models import MatchDecision, MatchReview, MatchVerdict, ReviewStatus
from safeguarding.people import identity
from safeguarding.people.models import LinkMethod, PersonChange, SourceRecord

Pair = tuple[int, int]


def active_decisions() -> tuple[list[Pair], list[Pair], set[Pair]]:
    """Active 'same' and 'different' decisions (which override the model), and every decided pair
    (including 'unsure'), which is not put back in the review queue."""
    must: list[Pair] = []
    cannot: list[Pair] = []
    decided: set[Pair] = set()
    for left, right, verdict in MatchDecision.objects.filter(revoked_at__isnull=True).values_list(
        "record_l_id", "record_r_id", "verdict"
    ):
        pair = (min(left, right), max(left, right))
        decided.add(pair)
        if verdict == MatchVerdict.SAME:
            must.append(pair)
        elif verdict == MatchVerdict.DIFFERENT:
            cannot.append(pair)
    return must, cannot, decided


def decisions_mark() -> tuple[int, int, int]:
    """Where people's decisions and persons' merges and splits stand: the latest change of persons (a
    merge, split or undo, by a decision or a run), the latest 'same' or 'different' decision, and how
    many of those have been undone. Each only grows, and every change of them holds
    ``identity.identity_lock``, so they are committed in order: a mark read again under the lock that
    differs means someone decided, undid or regrouped in between. An 'unsure' (made or undone) changes
    no person and binds no run: it only keeps its pair out of the review queue, which a run reads again
    under the lock (``active_decisions``)."""
    changes = PersonChange.objects.aggregate(latest=Max("pk"))["latest"] or 0
    binding = MatchDecision.objects.filter(verdict__in=[MatchVerdict.SAME, MatchVerdict.DIFFERENT])
    decisions = binding.aggregate(latest=Max("pk"), undone=Count("pk", filter=Q(revoked_at__isnull=False)))
    return changes, decisions["latest"] or 0, decisions["undone"]


def match_decide(
    *, acting_user: User, review: MatchReview, verdict: str, reason: str = ""
) -> MatchDecision:
    """Record a person's decision on a pair and apply it now: 'same person' merges the two persons
    (the older id is kept); 'different people' splits the second record off into a person of its
    own. Every later run keeps to the decision until it is undone."""
    if not has(acting_user, Capability.REVIEW_MATCHES):
        raise ServiceError("You cannot decide on record matches")
    if verdict not in MatchVerdict.values:
        raise ServiceError("Choose same person, different people or unsure")
    if verdict == MatchVerdict.DIFFERENT and not reason.strip():
        raise ServiceError("Say why these are different people")
    with transaction.atomic():
        # Before the review's row: a linkage run applying holds the identity lock, then writes the queue.
        identity.identity_lock()
        locked = MatchReview.objects.select_for_update().get(pk=review.pk)
        if locked.status != ReviewStatus.PENDING:
            raise ServiceError("This pair has already been decided")
        now = timezone.now()
        decision = MatchDecision.objects.create(
            record_l_id=locked.record_l_id,
            record_r_id=locked.record_r_id,
            verdict=verdict,
            reason=reason.strip(),
            decided_by=acting_user,
            decided_at=now,
            review=locked,
        )
        locked.status = ReviewStatus.DECIDED
        locked.save(update_fields=["status"])
        # By id, not by the order in_bulk happens to return: 'different people' splits off record_r.
        by_id = SourceRecord.objects.in_bulk([locked.record_l_id, locked.record_r_id])
        left, right = by_id[locked.record_l_id], by_id[locked.record_r_id]
        persons_before = sorted({left.person_id, right.person_id})
        cause = identity.Cause(match_decision_id=decision.pk)
        change: PersonChange | None = None
        if verdict == MatchVerdict.SAME and left.person_id != right.person_id:
            keep, retire = persons_before
            change = identity.persons_merge(keep=keep, retire=retire, cause=cause, now=now)
            SourceRecord.objects.filter(pk__in=[left.pk, right.pk]).update(link_method=LinkMethod.REVIEWER)
        elif verdict == MatchVerdict.DIFFERENT and left.person_id == right.person_id:
            change = identity.records_split_off(records=[right.pk], cause=cause, now=now)
            SourceRecord.objects.filter(pk=right.pk).update(link_method=LinkMethod.OWN, link_probability=None)
        # Both persons the reviewer decided about are named in the trail, so each child's trail shows it.
        _audit_each_person(AuditEventType.MATCH_DECIDED, acting_user, ("match_review", locked.pk), persons_before,
                           reason=reason.strip(), detail={"verdict": verdict, "records": [left.pk, right.pk],
                                                          "change": change.pk if change else None})
    return decision


def _audit_each_person(event_type: AuditEventType, acting_user: User, target: tuple[str, int], persons: list[int],
                       *, reason: str = "", detail: dict[str, object]) -> None:
    """One audit row for each person a match decision (or its undo) touches, each naming every one of them
    (``persons`` in the detail): a child's trail shows what was decided about them."""
    for person_id in persons:
        audit_record(event_type=event_type, actor=acting_user, target_kind=target[0], target_id=target[1],
                     person_id=person_id, reason=reason, detail={**detail, "persons": persons})


def match_decision_undo(*, acting_user: User, decision: MatchDecision) -> None:
    """Undo a decision: it stops overriding the model, its merge or split is reversed (records go
    back to the persons they came from), and the pair returns to the review queue."""
    if not has(acting_user, Capability.REVIEW_MATCHES):
        raise ServiceError("You cannot undo match decisions")
    with transaction.atomic():
        identity.identity_lock()  # a run applying finishes first; this waits for it
        locked = MatchDecision.objects.select_for_update().get(pk=decision.pk)
        if locked.revoked_at is not None:
            raise ServiceError("This decision has already been undone")
        now = timezone.now()
        locked.revoked_at, locked.revoked_by = now, acting_user
        locked.save(update_fields=["revoked_at", "revoked_by"])
        identity.changes_undo(cause=identity.Cause(match_decision_id=locked.pk), now=now)
        if locked.review is not None:
            review = locked.review
            MatchReview.objects.create(
                record_l_id=review.record_l_id,
                record_r_id=review.record_r_id,
                match_probability=review.match_probability,
                match_weight=review.match_weight,
                explanation=review.explanation,
                same_person_now=review.same_person_now,
                run=review.run,
                flag=review.flag,
                priority=review.priority,
                worked_with=review.worked_with,
            )
        # As for the decision: each person the two records now belong to is named (one row each), so
        # each child's trail shows the undo beside the decision it reverses.
        persons_after = sorted(set(SourceRecord.objects.filter(
            pk__in=[locked.record_l_id, locked.record_r_id]).values_list("person_id", flat=True)))
        _audit_each_person(AuditEventType.MATCH_DECISION_UNDONE, acting_user, ("match_decision", locked.pk),
                           persons_after, detail={"verdict": locked.verdict,
                                                  "records": [locked.record_l_id, locked.record_r_id]})
