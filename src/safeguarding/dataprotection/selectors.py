"""Reads for the data protection officer: the audit trail of a person, subject access requests and
their review, disclosures, sealed records and who is hidden by them, break-glass use, holds, and the
overview with every clock."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from safeguarding.accounts.access import Capability, has, one_or_404, persons_hidden_from, require
from safeguarding.accounts.models import AgencyKind, User
from safeguarding.audit.models import AuditEvent, AuditEventType, about_person
from safeguarding.audit.services import audit_record
from safeguarding.core.lists import Column, Listing, Sort, listing, period
from safeguarding.core.normalise import typed_reference
from safeguarding.dataprotection import sources
from safeguarding.dataprotection.assemble import police_work_rows
from safeguarding.dataprotection.forms import SarFilters, TrailFilters
from safeguarding.dataprotection.models import (
    BreakGlassAccess,
    Disclosure,
    Disposal,
    LegalHold,
    RedactionStatus,
    SarBundle,
    SarItem,
    SarRedaction,
    SarStatus,
    SealedRecord,
    SubjectAccessRequest,
)
from safeguarding.people import identity
from safeguarding.people.models import Person, person_reference


def _trail_for(user: User, hidden: frozenset[int] | None = None) -> QuerySet[AuditEvent]:
    """The audit trail as this reader may read it. A seal keeps its person out of the trail too, for a
    reader it does not name (as a person it hides is not found anywhere else): their own rows, and the
    rows whose record names them (``single view of P0000064``: a page about them, and the people it
    listed, their parents, would be listed with it). The rows of police work stay with the police
    (``trail_hides_police_work``)."""
    events = AuditEvent.objects.select_related("actor")
    hidden = persons_hidden_from(user) if hidden is None else hidden
    if hidden:
        naming = Q(person_id__in=sorted(hidden)) | Q(target_kind="person", target_id__in=[str(pk) for pk in hidden])
        for reference in sorted({person_reference(pk) for pk in hidden}):
            naming |= Q(target_id__contains=reference)
        events = events.exclude(naming)
    if trail_hides_police_work(user):
        events = events.exclude(police_work_rows())
    return events


def audit_events_for_person(*, user: User, person_id: int) -> QuerySet[AuditEvent]:
    """Every audited action touching one person, under any id they have had (a view logged against
    a person record linkage later merged into the child is the child's), newest first, as this reader
    may read the trail. Reading it is itself audited."""
    require(user, Capability.VIEW_AUDIT)
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.AUDIT_TRAIL_VIEWED,
            actor=user,
            target_kind="person",
            target_id=person_id,
            person_id=person_id,
        )
    return _trail_for(user).filter(about_person(identity.ids_of(person_id))).order_by("-sequence")


def recent_audit_events(*, user: User, limit: int = 100) -> QuerySet[AuditEvent]:
    require(user, Capability.VIEW_AUDIT)
    with transaction.atomic():
        audit_record(event_type=AuditEventType.AUDIT_TRAIL_VIEWED, actor=user, target_kind="trail")
    return _trail_for(user).order_by("-sequence")[:limit]


TRAIL_SORTS = [Sort("when", ("sequence",)), Sort("who", ("actor_label",))]


def trail_listing(*, user: User, query: Mapping[str, Any]) -> tuple[Listing[AuditEvent], Person | None]:
    """The audit trail, newest first, a page at a time: everything, or what touched one person (under
    any id they have had), narrowed by who acted, what they did and when. Reading it is itself
    audited, with the filters used."""
    require(user, Capability.VIEW_AUDIT)
    filters = TrailFilters(query or None)
    wanted = filters.values()
    hidden = persons_hidden_from(user)
    person = person_for_audit(reference=wanted["person"]) if wanted.get("person") else None
    if person is not None and person.pk in hidden:
        person = None
    events = _trail_for(user, hidden).order_by("-sequence")
    if wanted.get("person"):
        if person is None:
            filters.add_error("person", "No person has this hub reference")
            events = events.none()
        else:
            events = events.filter(about_person(identity.ids_of(person.pk)))
    if wanted.get("user"):
        events = events.filter(Q(actor_label__icontains=wanted["user"]) | Q(actor__username__icontains=wanted["user"]))
    if wanted.get("action"):
        events = events.filter(event_type=wanted["action"])
    events = events.filter(**period("occurred_at", wanted.get("occurred_from"), wanted.get("occurred_to")))
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.AUDIT_TRAIL_VIEWED,
            actor=user,
            target_kind="person" if person else "trail",
            target_id=person.pk if person else "",
            person_id=person.pk if person else None,
            detail={"filters": {name: str(value) for name, value in wanted.items()}},
        )
    return listing(events, query=query, noun=("entry", "entries"), filters=filters, sorts=TRAIL_SORTS,
                   downloadable=True), person


def trail_hides_police_work(user: User) -> bool:
    """Whether the trail leaves out its rows of police work for this reader: everyone outside the police.
    Intelligence recorded or read about a person, an operation or a disruption naming them, the police
    told of a submission, the panel's police-only minutes: each row's title says what the police hold
    or are doing (the same rows a subject access bundle withholds, ``assemble.POLICE_WORK_AUDIT``). The
    police's own readers of the trail see them."""
    return user.agency is None or user.agency.kind != AgencyKind.POLICE


TRAIL_COLUMNS: list[Column[AuditEvent]] = [
    Column("Number", lambda e: e.sequence),
    Column("When", lambda e: e.occurred_at),
    Column("Who", lambda e: e.actor_label),
    Column("Agency", lambda e: e.actor_agency),
    Column("What", lambda e: e.get_event_type_display()),
    Column("Record", lambda e: f"{e.target_kind} {e.target_id}".strip()),
    Column("Person", lambda e: person_reference(e.person_id) if e.person_id else ""),
    Column("Reason", lambda e: e.reason),
    Column("Address", lambda e: e.ip_address),
]


def person_for_audit(*, reference: str) -> Person | None:
    """Find a person by hub reference (P0000123) or number, for the data protection officer's pages."""
    number = typed_reference(reference)
    return Person.objects.filter(pk=number).first() if number is not None else None


def flagged_searches(*, user: User, limit: int = 50) -> QuerySet[AuditEvent]:
    """Runs of broad searches and refused searches, newest first, for the data protection officer
    to look into (who searched, when, with what)."""
    require(user, Capability.VIEW_AUDIT)
    return (
        AuditEvent.objects.filter(event_type__in=[AuditEventType.SEARCHES_FLAGGED, AuditEventType.SEARCH_REFUSED])
        .select_related("actor")
        .order_by("-sequence")[:limit]
    )


# --- sealed records: who is hidden from whom -----------------------------------------------------


def persons_hidden_by_seals(user: User) -> set[int]:
    """Every id of every sealed person, except those this user is named on or has live break-glass
    access to. Registered with the access policy (``workflows.apps``), which every read passes. The
    data protection officer's own work (subject access, sealing, review) is never hidden from them."""
    if has(user, Capability.RECORDS_MANAGEMENT) or has(user, Capability.SUBJECT_ACCESS):
        return set()
    seals = SealedRecord.objects.filter(active=True)
    if not seals.exists():
        return set()
    now = timezone.now()
    allowed = seals.filter(
        Q(named_users=user) | Q(break_glass__user=user, break_glass__expires_at__gt=now)
    ).values_list("person__root_id", flat=True)
    return _ids_of(set(seals.values_list("person__root_id", flat=True)) - set(allowed))


def sealed_person_ids() -> set[int]:
    """Every id of every person under an active seal, whoever reads: for a text many will read (a
    concern raised from an alert), which must name none of them."""
    return _ids_of(set(SealedRecord.objects.filter(active=True).values_list("person__root_id", flat=True)))


def _ids_of(roots: set[int]) -> set[int]:
    """Every id a person has had (every record merged into them) for these root ids."""
    if not roots:
        return set()
    return set(Person.objects.filter(root_id__in=roots).values_list("pk", flat=True))


def seal_for_person(person: Person | int) -> SealedRecord | None:
    return (
        SealedRecord.objects.filter(identity.same_person("person", person), active=True)
        .select_related("person").prefetch_related("named_users")
        .first()
    )


def sealed_records(*, user: User) -> list[SealedRecord]:
    require(user, Capability.RECORDS_MANAGEMENT)
    return list(
        SealedRecord.objects.filter(active=True)
        .select_related("person", "sealed_by")
        .prefetch_related("named_users")
        .annotate(uses=Count("break_glass"))
        .order_by("review_due_on", "pk")
    )


def seal_for_user_or_404(user: User, seal_id: int) -> SealedRecord:
    return one_or_404(
        SealedRecord.objects.filter(pk=seal_id).select_related("person", "sealed_by"),
        user=user,
        allowed=has(user, Capability.RECORDS_MANAGEMENT),
        event_type=AuditEventType.PERSON_VIEWED,
        target_kind="sealed_record",
        person_of=lambda seal: seal.person_id,
        reason=lambda _seal: "reviewing a sealed record",
    )


def break_glass_uses(*, user: User, unreviewed_only: bool = False) -> list[BreakGlassAccess]:
    require(user, Capability.RECORDS_MANAGEMENT)
    uses = BreakGlassAccess.objects.select_related("seal__person", "user__agency", "reviewed_by")
    if unreviewed_only:
        uses = uses.filter(reviewed_at__isnull=True)
    return list(uses.order_by("-at", "-pk"))


# --- subject access requests ----------------------------------------------------------------------


def sar_list(*, user: User) -> list[SubjectAccessRequest]:
    require(user, Capability.SUBJECT_ACCESS)
    return list(
        SubjectAccessRequest.objects.select_related("person").order_by("-received_on", "-pk")
    )


def sars_listing(*, user: User, query: Mapping[str, Any]) -> Listing[SubjectAccessRequest]:
    """Subject access requests, newest first (or by when due), by status and how soon they are due."""
    require(user, Capability.SUBJECT_ACCESS)
    filters = SarFilters(query or None)
    wanted = filters.values()
    requests = SubjectAccessRequest.objects.select_related("person").order_by("-received_on", "-pk")
    if wanted.get("status"):
        requests = requests.filter(status__in=wanted["status"])
    rows: QuerySet[SubjectAccessRequest] | list[SubjectAccessRequest] = requests
    if wanted.get("due"):
        # When a request is due depends on its verification and any extension (``due_on``), worked
        # out per request: there are tens of them a year, not thousands.
        today = timezone.localdate()
        last = today if wanted["due"] == "overdue" else today + dt.timedelta(days=7)
        first = None if wanted["due"] == "overdue" else today
        rows = [r for r in requests.exclude(status__in=[SarStatus.SENT, SarStatus.WITHDRAWN])
                if (r.due_on < last if first is None else first <= r.due_on <= last)]
    elif (query or {}).get("sort") == "due":
        rows = list(requests)  # sorted by ``due_on``, worked out per request, in memory
    return listing(rows, query=query, noun=("request", "requests"), filters=filters,
                   sorts=[Sort("received", ("received_on",)), Sort("due", ("due_on",))])


def sar_for_user_or_404(user: User, sar_id: int) -> SubjectAccessRequest:
    return one_or_404(
        SubjectAccessRequest.objects.filter(pk=sar_id).select_related("person", "logged_by", "verified_by"),
        user=user,
        allowed=has(user, Capability.SUBJECT_ACCESS),
        event_type=AuditEventType.SAR_VIEWED,
        target_kind="subject_access_request",
        person_of=lambda sar: sar.person_id,
        reason=lambda sar: f"handling subject access request {sar.reference}",
    )


@dataclass
class SarReview:
    """The officer's review: every proposal with its passage in context, the items withheld whole (the
    officer is told they exist and why), and how much the bundle holds."""

    redactions: list[SarRedaction]
    withheld: list[SarItem]
    items: int
    undecided: int
    bundle: SarBundle | None

    @property
    def withheld_reasons(self) -> list[tuple[str, int]]:
        """Each reason items are withheld whole, with how many, in the order first met."""
        return list(Counter(item.withheld_reason for item in self.withheld).items())


def sar_review(*, sar: SubjectAccessRequest) -> SarReview:
    redactions = list(
        SarRedaction.objects.filter(item__request=sar).select_related("item", "decided_by").order_by(
            "item__position", "field", "start"
        )
    )
    bundle = SarBundle.objects.filter(request=sar).defer("pdf", "data").first()
    return SarReview(
        redactions=redactions,
        withheld=list(sar.items.exclude(withheld_reason="").order_by("position")),
        items=sar.items.count(),
        undecided=sum(1 for r in redactions if r.status == RedactionStatus.PROPOSED),
        bundle=bundle,
    )


def sar_redaction_or_404(*, user: User, sar: SubjectAccessRequest, redaction_id: int) -> SarRedaction:
    require(user, Capability.SUBJECT_ACCESS)
    row = SarRedaction.objects.filter(pk=redaction_id, item__request=sar).select_related("item__request").first()
    if row is None:
        raise Http404
    return row


def sar_bundle_download(*, user: User, sar: SubjectAccessRequest, copy: str) -> tuple[bytes, str, str]:
    """The bundle's PDF or JSON copy, its download audited."""
    require(user, Capability.SUBJECT_ACCESS)
    bundle = SarBundle.objects.filter(request=sar).first()
    if bundle is None or copy not in ("pdf", "json"):
        raise Http404
    with transaction.atomic():
        audit_record(event_type=AuditEventType.SAR_BUNDLE_DOWNLOADED, actor=user, target_kind="subject_access_request",
                     target_id=sar.pk, person_id=sar.person_id, detail={"copy": copy})
    if copy == "pdf":
        return bytes(bundle.pdf), "application/pdf", f"{sar.reference}.pdf"
    return bytes(bundle.data), "application/json", f"{sar.reference}.json"


def disclosures(*, user: User, limit: int = 200) -> list[Disclosure]:
    require(user, Capability.SUBJECT_ACCESS)
    return list(Disclosure.objects.select_related("person", "recorded_by", "request")[:limit])


def shared_elsewhere(*, user: User) -> list[sources.Shared]:
    """Sharing other rooms recorded (police intelligence shared with another agency), for the same page."""
    require(user, Capability.SUBJECT_ACCESS)
    return sources.shared_elsewhere()


@dataclass(frozen=True)
class DisclosureLine:
    """One line of the overview's latest disclosures: a disclosure recorded here, or a sharing another
    room recorded (police intelligence shared with another agency), as *Disclosures* lists them."""

    on: dt.date
    to: str
    what: str
    lawful_basis: str


def latest_disclosures(*, user: User, limit: int = 20) -> list[DisclosureLine]:
    """What *Disclosures* lists (``disclosures`` and ``shared_elsewhere``, under the same access rule),
    newest first: the overview and the list agree."""
    lines = [DisclosureLine(d.disclosed_on, d.recipient, d.what, d.get_lawful_basis_display())
             for d in disclosures(user=user, limit=limit)]
    lines += [DisclosureLine(timezone.localtime(s.at).date(), s.to, s.what, s.lawful_basis)
              for s in shared_elsewhere(user=user)[:limit]]
    return sorted(lines, key=lambda line: line.on, reverse=True)[:limit]


# --- the overview -----------------------------------------------------------------------------------


@dataclass
class Overview:
    requests: list[SubjectAccessRequest]  # open ones, the nearest deadline first
    today: dt.date
    disclosures: list[DisclosureLine]
    holds: list[LegalHold]
    seals: list[SealedRecord]
    break_glass: list[BreakGlassAccess]  # not yet reviewed
    disposals: list[Disposal]


def overview(*, user: User) -> Overview:
    require(user, Capability.SUBJECT_ACCESS)
    require(user, Capability.RECORDS_MANAGEMENT)
    with transaction.atomic():
        audit_record(event_type=AuditEventType.DPO_OVERVIEW_VIEWED, actor=user, target_kind="overview")
    open_requests = [
        sar for sar in SubjectAccessRequest.objects.select_related("person").order_by("received_on", "pk")
        if sar.is_open
    ]
    open_requests.sort(key=lambda sar: sar.due_on)
    return Overview(
        requests=open_requests,
        today=timezone.localdate(),
        disclosures=latest_disclosures(user=user, limit=20),
        holds=list(LegalHold.objects.filter(released_at__isnull=True).select_related("person", "placed_by")),
        seals=sealed_records(user=user),
        break_glass=break_glass_uses(user=user, unreviewed_only=True),
        disposals=list(Disposal.objects.select_related("confirmed_by").order_by("-confirmed_at")[:20]),
    )


