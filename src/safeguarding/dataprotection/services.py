"""The data protection officer's work: subject access requests from logging to the bundle sent,
the redaction review in between, and every disclosure outside the hub with its lawful basis."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter

from django.db import transaction
from django.utils import timezone

from safeguarding.accounts.access import Capability, has
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.errors import ServiceError
from safeguarding.dataprotection import assemble, redaction
from safeguarding.dataprotection.bundle import Bundle, BundleItem, BundleSection, to_pdf, when_text
from safeguarding.dataprotection.models import (
    Disclosure,
    LawfulBasis,
    RedactionStatus,
    SarBundle,
    SarItem,
    SarRedaction,
    SarStatus,
    SubjectAccessRequest,
)
from safeguarding.dataprotection.sources import SECTIONS, Category
from safeguarding.people import identity
from safeguarding.people.models import Person


def _require(user: User) -> None:
    if not has(user, Capability.SUBJECT_ACCESS):
        raise ServiceError("Only the data protection officer handles subject access requests")


def _locked(sar: SubjectAccessRequest) -> SubjectAccessRequest:
    return SubjectAccessRequest.objects.select_for_update().get(pk=sar.pk)


def _audit(user: User, sar: SubjectAccessRequest, event: AuditEventType, reason: str = "", **detail: object) -> None:
    audit_record(event_type=event, actor=user, target_kind="subject_access_request", target_id=sar.pk,
                 person_id=sar.person_id, reason=reason, detail=dict(detail))


def sar_log(
    *, acting_user: User, person: Person, requester_name: str, requester_relationship: str, received_on: dt.date
) -> SubjectAccessRequest:
    """Log a request the day it is received (the statutory month runs from receipt)."""
    _require(acting_user)
    if not requester_name.strip():
        raise ServiceError("Enter who made the request", field="requester_name")
    if not requester_relationship.strip():
        raise ServiceError("Say who they are to the person the records are about", field="requester_relationship")
    if received_on > timezone.localdate():
        raise ServiceError("The date received must be today or in the past", field="received_on")
    with transaction.atomic():
        sar = SubjectAccessRequest.objects.create(
            person=identity.current(person), requester_name=requester_name.strip(),
            requester_relationship=requester_relationship.strip(), received_on=received_on,
            logged_by=acting_user, logged_at=timezone.now(),
        )
        _audit(acting_user, sar, AuditEventType.SAR_LOGGED, received_on=received_on)
    return sar


def sar_verify_identity(
    *, acting_user: User, sar: SubjectAccessRequest, verified_on: dt.date, evidence: str
) -> SubjectAccessRequest:
    _require(acting_user)
    if not evidence.strip():
        raise ServiceError("Say how their identity was verified", field="evidence")
    if verified_on > timezone.localdate() or verified_on < sar.received_on:
        raise ServiceError("The date must be between the day the request came and today", field="verified_on")
    with transaction.atomic():
        locked = _locked(sar)
        if locked.status != SarStatus.RECEIVED:
            raise ServiceError("Identity has already been verified for this request")
        locked.identity_verified_on = verified_on
        locked.identity_evidence = evidence.strip()
        locked.verified_by = acting_user
        locked.status = SarStatus.VERIFIED
        locked.save(update_fields=["identity_verified_on", "identity_evidence", "verified_by", "status"])
        _audit(acting_user, locked, AuditEventType.SAR_IDENTITY_VERIFIED, evidence.strip())
    return locked


def sar_extend(*, acting_user: User, sar: SubjectAccessRequest, reason: str, today: dt.date | None = None) -> SubjectAccessRequest:
    """Extend by two further months for a complex request: once, with the reason, and only within the
    first month (the requester must be told within it)."""
    _require(acting_user)
    if not reason.strip():
        raise ServiceError("Give the reason the request is complex enough to extend", field="reason")
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _locked(sar)
        if locked.extended:
            raise ServiceError("This request has already been extended")
        if not locked.is_open:
            raise ServiceError("This request is closed")
        if today > locked.first_month_ends_on:
            raise ServiceError(
                f"A request can be extended only within its first month, which ended on "
                f"{locked.first_month_ends_on:%-d %B %Y}", field="reason")
        locked.extended = True
        locked.extension_reason = reason.strip()
        locked.save(update_fields=["extended", "extension_reason"])
        _audit(acting_user, locked, AuditEventType.SAR_EXTENDED, reason.strip(), due_on=locked.due_on)
    return locked


def sar_assemble(*, acting_user: User, sar: SubjectAccessRequest) -> SubjectAccessRequest:
    """Gather everything the hub holds about the person and propose redactions of third parties.
    Assembling again (before a bundle is produced) starts the review afresh from what is held now."""
    _require(acting_user)
    with transaction.atomic():
        locked = _locked(sar)
        if locked.status not in (SarStatus.VERIFIED, SarStatus.IN_REVIEW):
            raise ServiceError("Verify the requester's identity first" if locked.status == SarStatus.RECEIVED
                               else "The bundle has been produced: this request can no longer be assembled")
        items, lexicon = assemble.gather(user=acting_user, person=locked.person)
        spans = redaction.propose(items, lexicon)
        locked.items.all().delete()
        rows = SarItem.objects.bulk_create([
            SarItem(request=locked, position=i, section=it.section, kind=it.kind, source=it.source[:300],
                    title=it.title[:300], occurred_at=it.occurred_at,
                    fields=[] if it.withheld_reason else [list(f) for f in it.fields],
                    own_words=it.own_words, withheld_reason=it.withheld_reason)
            for i, it in enumerate(items)
        ])
        if any(row.pk is None for row in rows):  # SQLite before 3.35 returns no ids
            rows = list(locked.items.order_by("position"))
        SarRedaction.objects.bulk_create([
            SarRedaction(item=rows[s.item], field=s.field, start=s.start, end=s.end, text=s.text,
                         category=s.category, reason=s.reason)
            for s in spans
        ])
        locked.status = SarStatus.IN_REVIEW
        locked.assembled_at = timezone.now()
        locked.save(update_fields=["status", "assembled_at"])
        _audit(acting_user, locked, AuditEventType.SAR_ASSEMBLED, items=len(items), proposed=len(spans),
               withheld=sum(1 for it in items if it.withheld_reason))
    return locked


def sar_redaction_decide(*, acting_user: User, redaction_row: SarRedaction, accept: bool, note: str = "") -> SarRedaction:
    """Accept a proposed redaction (the span is withheld) or lift it (disclosed), saying why."""
    _require(acting_user)
    if not accept and not note.strip():
        raise ServiceError("Say why it is reasonable to disclose it", field="note")
    with transaction.atomic():
        sar = _locked(redaction_row.item.request)
        if sar.status != SarStatus.IN_REVIEW:
            raise ServiceError("The bundle has been produced: redactions can no longer change")
        redaction_row.status = RedactionStatus.ACCEPTED if accept else RedactionStatus.LIFTED
        redaction_row.decided_by = acting_user
        redaction_row.decided_at = timezone.now()
        redaction_row.decision_note = note.strip()
        redaction_row.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        _audit(acting_user, sar, AuditEventType.SAR_REDACTION_DECIDED, note.strip(), redaction=redaction_row.pk,
               decision=redaction_row.status, category=redaction_row.category)
    return redaction_row


def sar_redactions_accept_all(*, acting_user: User, sar: SubjectAccessRequest) -> int:
    """Accept every proposal still undecided (each is listed with its reason on the review page), in
    one transaction with one audit row naming every redaction accepted."""
    _require(acting_user)
    with transaction.atomic():
        locked = _locked(sar)
        if locked.status != SarStatus.IN_REVIEW:
            raise ServiceError("The bundle has been produced: redactions can no longer change")
        proposed = SarRedaction.objects.filter(item__request=locked, status=RedactionStatus.PROPOSED)
        ids = list(proposed.values_list("pk", flat=True))
        SarRedaction.objects.filter(pk__in=ids).update(
            status=RedactionStatus.ACCEPTED, decided_by=acting_user, decided_at=timezone.now(), decision_note=""
        )
        _audit(acting_user, locked, AuditEventType.SAR_REDACTION_DECIDED, "accepted every proposal still undecided",
               redactions=ids, decision=RedactionStatus.ACCEPTED)
    return len(ids)


def _document(sar: SubjectAccessRequest) -> tuple[Bundle, int, int, int]:
    """The bundle as it will be read: accepted redactions applied, withheld items left out."""
    items = list(sar.items.order_by("position").prefetch_related("redactions"))
    sections = {name: BundleSection(name) for name in SECTIONS}
    disclosed = withheld = applied = 0
    for item in items:
        if item.withheld_reason:
            withheld += 1
            continue
        spans: dict[int, list[tuple[int, int, str]]] = {}
        for r in item.redactions.all():
            if r.status == RedactionStatus.ACCEPTED:
                spans.setdefault(r.field, []).append((r.start, r.end, r.category))
                applied += 1
        fields = [(label, redaction.apply(value, spans.get(f, []))) for f, (label, value) in enumerate(item.fields)]
        sections.setdefault(item.section, BundleSection(item.section)).items.append(
            BundleItem(title=item.title, when=when_text(item.occurred_at), source=item.source, fields=fields)
        )
        disclosed += 1
    person = sar.person
    notes = [
        "This is everything the Safeguarding Hub holds about you: what each agency's records say, what was "
        "recorded in the hub, and who has looked at or changed your record.",
        "Where information is about someone else, it is marked [redacted: ...], saying whose it was. Your own "
        "words and your own history are never redacted.",
    ]
    document = Bundle(reference=sar.reference, subject=person.full_name or person.reference,
                      date_of_birth=person.date_of_birth, produced_on=timezone.localdate(), notes=notes,
                      sections=[s for s in sections.values() if s.items or s.title in SECTIONS])
    return document, disclosed, withheld, applied


def sar_bundle_produce(*, acting_user: User, sar: SubjectAccessRequest) -> SarBundle:
    """Produce the PDF (with its contents page) and the JSON copy, once every proposal is decided."""
    _require(acting_user)
    with transaction.atomic():
        locked = _locked(sar)
        if locked.status != SarStatus.IN_REVIEW:
            raise ServiceError("Assemble the request and review its redactions first")
        undecided = SarRedaction.objects.filter(item__request=locked, status=RedactionStatus.PROPOSED).count()
        if undecided:
            raise ServiceError(f"Accept or lift every proposed redaction first ({undecided} still to decide)")
        document, disclosed, withheld, applied = _document(locked)
        pdf, pages = to_pdf(document)
        data = document.to_json()
        bundle = SarBundle.objects.create(
            request=locked, produced_by=acting_user, produced_at=timezone.now(), pdf=pdf, data=data,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(), data_sha256=hashlib.sha256(data).hexdigest(), pages=pages,
            items_disclosed=disclosed, items_withheld=withheld, redactions_applied=applied,
        )
        locked.status = SarStatus.READY
        locked.save(update_fields=["status"])
        _audit(acting_user, locked, AuditEventType.SAR_BUNDLE_PRODUCED, pages=pages, disclosed=disclosed,
               withheld=withheld, redactions=applied, pdf_sha256=bundle.pdf_sha256)
    return bundle


def sar_send(*, acting_user: User, sar: SubjectAccessRequest, sent_on: dt.date, recipient: str) -> Disclosure:
    """Record the bundle as sent: a disclosure under the right of access, with what was withheld and why."""
    _require(acting_user)
    if not recipient.strip():
        raise ServiceError("Say to whom it was sent", field="recipient")
    if sent_on > timezone.localdate():
        raise ServiceError("The date sent must be today or in the past", field="sent_on")
    with transaction.atomic():
        locked = _locked(sar)
        if locked.status != SarStatus.READY:
            raise ServiceError("Produce the bundle first")
        bundle = locked.bundle
        withheld_counts = Counter(
            SarRedaction.objects.filter(item__request=locked, status=RedactionStatus.ACCEPTED).values_list(
                "category", flat=True)
        )
        withheld = [{"what": f"{n} passage(s) about {Category.LABELS[c]}", "reason": Category.REASONS[c]}
                    for c, n in sorted(withheld_counts.items())]
        for reason, n in Counter(locked.items.exclude(withheld_reason="").values_list("withheld_reason", flat=True)).items():
            withheld.append({"what": f"{n} item(s) withheld whole", "reason": reason})
        disclosure = Disclosure.objects.create(
            person=locked.person, recipient=recipient.strip(), lawful_basis=LawfulBasis.RIGHT_OF_ACCESS,
            purpose=f"Answering subject access request {locked.reference}",
            what=f"Subject access bundle {locked.reference}: {bundle.items_disclosed} items, {bundle.pages} pages "
                 f"(PDF SHA-256 {bundle.pdf_sha256[:16]}…) and its machine-readable copy",
            disclosed_on=sent_on, recorded_by=acting_user, recorded_at=timezone.now(), request=locked,
            withheld=withheld,
        )
        locked.status = SarStatus.SENT
        locked.closed_at = timezone.now()
        locked.closed_note = f"Sent to {recipient.strip()} on {sent_on:%-d %B %Y}"
        locked.save(update_fields=["status", "closed_at", "closed_note"])
        _audit(acting_user, locked, AuditEventType.SAR_CLOSED, locked.closed_note, disclosure=disclosure.pk)
        audit_record(event_type=AuditEventType.DISCLOSURE_RECORDED, actor=acting_user, target_kind="disclosure",
                     target_id=disclosure.pk, person_id=locked.person_id, reason=disclosure.lawful_basis)
    return disclosure


def sar_withdraw(*, acting_user: User, sar: SubjectAccessRequest, note: str) -> SubjectAccessRequest:
    _require(acting_user)
    if not note.strip():
        raise ServiceError("Say why the request is closing without a bundle", field="note")
    with transaction.atomic():
        locked = _locked(sar)
        if not locked.is_open:
            raise ServiceError("This request is closed")
        locked.status = SarStatus.WITHDRAWN
        locked.closed_at = timezone.now()
        locked.closed_note = note.strip()
        locked.save(update_fields=["status", "closed_at", "closed_note"])
        _audit(acting_user, locked, AuditEventType.SAR_CLOSED, note.strip())
    return locked


def disclosure_record(
    *, acting_user: User, person: Person | None, recipient: str, what: str, lawful_basis: str, disclosed_on: dt.date,
    purpose: str, shared_by: str = "",
) -> Disclosure:
    """Any disclosure outside the hub (a sharing with another area, a court order, an export): what,
    to whom, why, by whom (the practitioner who shared it, where not the officer recording it), and
    the lawful basis."""
    _require(acting_user)
    if not purpose.strip():
        raise ServiceError("Say why it was shared", field="purpose")
    if lawful_basis not in LawfulBasis.values:
        raise ServiceError("Choose the lawful basis", field="lawful_basis")
    if not recipient.strip():
        raise ServiceError("Say to whom it was disclosed", field="recipient")
    if not what.strip():
        raise ServiceError("Say what was disclosed", field="what")
    if disclosed_on > timezone.localdate():
        raise ServiceError("The date must be today or in the past", field="disclosed_on")
    with transaction.atomic():
        disclosure = Disclosure.objects.create(
            person=identity.current(person) if person else None, recipient=recipient.strip(), what=what.strip(),
            purpose=purpose.strip(), shared_by=shared_by.strip(),
            lawful_basis=lawful_basis, disclosed_on=disclosed_on, recorded_by=acting_user, recorded_at=timezone.now(),
        )
        audit_record(event_type=AuditEventType.DISCLOSURE_RECORDED, actor=acting_user, target_kind="disclosure",
                     target_id=disclosure.pk, person_id=disclosure.person_id, reason=purpose.strip(),
                     detail={"lawful_basis": lawful_basis, "recipient": disclosure.recipient,
                             "shared_by": disclosure.shared_by})
    return disclosure
