"""Reads for match review: the queue, one pair side by side, and a person's linkage state."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from safeguarding.accounts.access import Capability, has, not_hidden, one_or_404, require
from safeguarding.accounts.models import Agency, User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.lists import Listing, Sort, listing
from safeguarding.linkage.forms import MatchReviewFilters
from safeguarding.linkage.models import LinkageRun, MatchDecision, MatchReview, ReviewPriority, ReviewStatus, RunStatus
from safeguarding.linkage.prepare import ADDRESS_WORDS
from safeguarding.people.models import SourceRecord


def _pair_seen_by(user: User) -> Q:
    """Pairs (for review, or decided) neither of whose records is a person's sealed from the user."""
    return not_hidden(user, "record_l__person") & not_hidden(user, "record_r__person")


def review_queue(*, user: User) -> QuerySet[MatchReview]:
    """Pairs awaiting a decision, those whose decision matters most first: pairs touching a child the
    partnership is working with, then pairs with an identifier problem, then the rest; in each, the likeliest
    matches first."""
    require(user, Capability.REVIEW_MATCHES)
    return (
        MatchReview.objects.filter(_pair_seen_by(user), status=ReviewStatus.PENDING)
        .select_related("record_l__source_system__agency", "record_r__source_system__agency")
        .order_by("priority", "-match_probability", "pk")
    )


@dataclass(frozen=True)
class QueueSummary:
    """The queue's size and what is in it, and what the last run left to the model."""

    total: int
    by_priority: list[tuple[str, int]]  # (why, how many), in the queue's order
    left_to_model: int  # uncertain pairs the last run did not queue (beyond LINKAGE_REVIEW_LIMIT)
    limit: int
    last_run: LinkageRun | None


def review_queue_summary(*, user: User) -> QueueSummary:
    """How many pairs wait, for each reason, and what the last completed run left to the model."""
    counts = dict(review_queue(user=user).order_by().values_list("priority").annotate(n=Count("pk")))
    last = LinkageRun.objects.filter(status=RunStatus.COMPLETED).exclude(counts={}).order_by("-started_at").first()
    return QueueSummary(
        total=sum(counts.values()),
        by_priority=[(label, counts.get(value, 0)) for value, label in ReviewPriority.choices],
        left_to_model=int((last.counts if last else {}).get("review_band_left_to_model", 0)),
        limit=django_settings.LINKAGE_REVIEW_LIMIT,
        last_run=last,
    )


# Fields shown side by side, in the order a reviewer reads them.
COMPARED_FIELDS: list[tuple[str, str]] = [
    ("given_name", "First name"),
    ("middle_names", "Middle names"),
    ("family_name", "Last name"),
    ("other_names", "Other names"),
    ("date_of_birth", "Date of birth"),
    ("sex", "Sex"),
    ("role", "Child or adult"),
    ("nhs_number", "NHS number"),
    ("upn", "Unique pupil number"),
    ("pnc_id", "PNC id"),
    ("address", "Address"),
    ("postcode", "Postcode"),
    ("phones", "Phones"),
    ("emails", "Emails"),
]


@dataclass(frozen=True)
class FieldRow:
    label: str
    left: str
    right: str
    status: str  # "agree", "differ", "missing"


def _written_alike(name: str, text: str) -> str:
    """A value as the comparison reads it: any case; an address with its street words written out, as the
    model reads it (6 King Gdns is 6 KING GARDENS)."""
    text = text.strip().lower()
    if name == "address":
        words = re.findall(r"[a-z0-9]+", text)
        text = " ".join(ADDRESS_WORDS.get(word, word) for word in words)
    return text


def side_by_side(left: SourceRecord, right: SourceRecord) -> list[FieldRow]:
    rows = []
    for name, label in COMPARED_FIELDS:
        a, b = (str(getattr(r, name) or (r.postcode_other if name == "postcode" else "")) for r in (left, right))
        if not a or not b:
            status = "missing"
        elif _written_alike(name, a) == _written_alike(name, b):
            status = "agree"
        else:
            status = "differ"
        rows.append(FieldRow(label, a, b, status))
    return rows


def review_for_user_or_404(*, user: User, review_id: int) -> MatchReview:
    """A pair for review, if the user reviews matches; the viewing is audited against both persons
    shown (one row each), so each child's trail shows it. Else Http404."""
    review = one_or_404(
        MatchReview.objects.select_related(
            "record_l__source_system__agency", "record_r__source_system__agency", "record_l__person", "record_r__person"
        ).filter(_pair_seen_by(user), pk=review_id),
        user=user,
        allowed=has(user, Capability.REVIEW_MATCHES),
        event_type=AuditEventType.MATCH_REVIEW_VIEWED,
        target_kind="match_review",
        person_of=lambda pair: pair.record_l.person_id,
        detail=lambda pair: {"records": [pair.record_l_id, pair.record_r_id]},
    )
    if review.record_r.person_id != review.record_l.person_id:
        with transaction.atomic():
            audit_record(
                event_type=AuditEventType.MATCH_REVIEW_VIEWED,
                actor=user,
                target_kind="match_review",
                target_id=review.pk,
                person_id=review.record_r.person_id,
                detail={"records": [review.record_l_id, review.record_r_id]},
            )
    return review


def decision_for_user_or_404(*, user: User, decision_id: int) -> MatchDecision:
    """A match decision, for a reviewer about to undo it. Else Http404."""
    if not has(user, Capability.REVIEW_MATCHES):
        raise Http404
    decision = MatchDecision.objects.filter(_pair_seen_by(user), pk=decision_id).first()
    if decision is None:
        raise Http404
    return decision


def pending_review_record_ids(record_ids: list[int]) -> set[int]:
    """Which of these records are in a pair awaiting review."""
    pending = MatchReview.objects.filter(
        Q(status=ReviewStatus.PENDING) & (Q(record_l_id__in=record_ids) | Q(record_r_id__in=record_ids))
    ).values_list("record_l_id", "record_r_id")
    wanted = set(record_ids)
    return {r for pair in pending for r in pair if r in wanted}


STATUS_WORDS = {
    "prior": "Starting point",
    "agree": "Agree",
    "similar": "Similar",
    "disagree": "Disagree",
    "missing": "Missing on one or both",
}


def evidence_in_words(weight: float) -> str:
    """A match weight (Splink's bits of evidence) as a practitioner would say it: how strong, and which
    way. Each bit doubles the odds, so 6 bits make a match 64 times likelier (or less likely)."""
    size = abs(weight)
    if size < 0.05:
        return "No evidence either way"
    strength = "Strong" if size >= 6 else "Moderate" if size >= 3 else "Some" if size >= 1 else "Slight"
    return f"{strength} evidence {'for' if weight > 0 else 'against'} a match"


@dataclass(frozen=True)
class Reason:
    comparison: str
    level: str
    status: str
    weight: float
    direction: str  # "for", "against", "neutral"

    @property
    def in_words(self) -> str:
        return evidence_in_words(self.weight)


def reasons_in_words(review: MatchReview) -> list[Reason]:
    """The Splink waterfall for a pair, in words: each comparison, what the model saw, and how strong
    the evidence it added for or against a match was."""
    from safeguarding.linkage.comparisons import comparisons

    titles = {c.name: c.description for c in comparisons()}
    titles["prior"] = "How likely any two records are to be one person"
    reasons = []
    for step in review.explanation:
        weight = round(float(step["match_weight"]), 2)
        direction = "for" if weight > 0.05 else "against" if weight < -0.05 else "neutral"
        reasons.append(
            Reason(
                comparison=titles.get(step["comparison"], step["comparison"].replace("_", " ")),
                level=step["label"],
                status=STATUS_WORDS.get(step["status"], step["status"]),
                weight=weight,
                direction=direction,
            )
        )
    return reasons


# --- the queue and the decisions as lists (issue 16) -----------------------------------------------

REVIEW_SORTS = [Sort("probability", ("match_probability",))]


def reviews_listing(*, user: User, query: Mapping[str, Any]) -> Listing[MatchReview]:
    """One page of the pairs awaiting review (``review_queue``'s order), with the true total."""
    filters = MatchReviewFilters(query or None, agencies=list(Agency.objects.order_by("name").values_list("pk", "name")))
    wanted = filters.values()
    pairs = review_queue(user=user)
    if wanted.get("shared"):
        pairs = pairs.exclude(flag="")
    if wanted.get("agency"):
        pairs = pairs.filter(Q(record_l__source_system__agency_id=wanted["agency"])
                             | Q(record_r__source_system__agency_id=wanted["agency"]))
    return listing(pairs, query=query, noun=("pair", "pairs"), filters=filters, sorts=REVIEW_SORTS)


def decisions_listing(*, user: User, query: Mapping[str, Any]) -> Listing[MatchDecision]:
    """Every match decision, latest first, a page at a time (``decisions-page``)."""
    require(user, Capability.REVIEW_MATCHES)
    decisions = MatchDecision.objects.filter(_pair_seen_by(user)).select_related(
        "decided_by", "record_l", "record_r", "revoked_by").order_by("-decided_at", "-pk")
    return listing(decisions, query=query, noun=("decision", "decisions"), prefix="decisions")
