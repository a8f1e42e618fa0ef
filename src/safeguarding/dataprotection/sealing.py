"""Sealing a person's record, breaking the glass, and the reviews of both."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.access import Capability, has, roles_with
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.errors import ServiceError
from safeguarding.dataprotection.models import (
    BREAK_GLASS_HOURS,
    SEAL_REVIEW_DAYS,
    BreakGlassAccess,
    SealedRecord,
    SealReview,
)
from safeguarding.dataprotection.selectors import seal_for_person
from safeguarding.dataprotection.sources import open_work_of
from safeguarding.notifications.models import NotificationKind
from safeguarding.notifications.services import Withheld, names_of, notify
from safeguarding.people import identity
from safeguarding.people.models import Person


def _require(user: User) -> None:
    if not has(user, Capability.RECORDS_MANAGEMENT):
        raise ServiceError("Only the data protection officer seals records")


def _able_to_open(named: list[User]) -> None:
    """A seal names the people who may open the record: someone who cannot open people's records at all
    is refused by name, not silently left off."""
    unable = sorted(u.username for u in named if not has(u, Capability.VIEW_PERSON))
    if unable:
        raise ServiceError(f"These people cannot open people's records: {', '.join(unable)}", field="named")


def named_seen(seal: SealedRecord) -> str:
    """Who the seal names, as its page shows them to the officer (usernames, sorted): the page's forms
    carry it back, so a change made meanwhile by another officer is not undone or decided past unseen."""
    return ", ".join(sorted(seal.named_users.values_list("username", flat=True)))


def _named_meanwhile(locked: SealedRecord, seen: str | None, *, doing: str) -> None:
    """Refuse a decision made on a page that showed other people named than the seal names now."""
    now_named = named_seen(locked)
    if seen is None or seen == now_named:
        return
    last = (AuditEvent.objects.filter(event_type=AuditEventType.SEAL_NAMES_CHANGED, target_kind="sealed_record",
                                      target_id=str(locked.pk)).order_by("-sequence").first())
    who = last.actor_label if last is not None and last.actor_label else "Another officer"
    raise ServiceError(f"{who} changed who the seal names while you were {doing}: it now names {now_named}. "
                       "Read who is named, then decide again", field="named" if doing == "editing" else None)


def record_seal(*, acting_user: User, person: Person, reason: str, named_users: Iterable[User]) -> SealedRecord:
    """Restrict a person's record to the named users (a survivor now on the staff, a witness, a
    high-profile case). Everyone else is answered *not found* unless they break the glass."""
    _require(acting_user)
    named = list({u.pk: u for u in named_users}.values())
    if not reason.strip():
        raise ServiceError("Give the reason for sealing the record", field="reason")
    _able_to_open(named)
    if not named:
        raise ServiceError("Name at least one person who works with the record", field="named")
    now = timezone.now()
    try:
        with transaction.atomic():
            seal = SealedRecord.objects.create(
                person=identity.current(person), reason=reason.strip(), sealed_by=acting_user, sealed_at=now,
                review_due_on=timezone.localdate(now) + dt.timedelta(days=SEAL_REVIEW_DAYS),
            )
            seal.named_users.set(named)
            audit_record(event_type=AuditEventType.RECORD_SEALED, actor=acting_user, target_kind="sealed_record",
                         target_id=seal.pk, person_id=seal.person_id, reason=reason.strip(),
                         detail={"named": sorted(u.username for u in named)})
    except IntegrityError as exc:
        raise ServiceError("This record is already sealed") from exc
    return seal


def seal_name(*, acting_user: User, seal: SealedRecord, named_users: Iterable[User], reason: str,
              named_before: str | None = None) -> SealedRecord:
    """Change who the seal names, as the people working with the record change (a new social worker, a
    coordinator taking over a plan). Everyone named must be able to open people's records; at least one
    must be named; the reason and who was added and removed go to the audit trail. ``named_before``: who
    the page showed named (``named_seen``); if another officer changed it meanwhile, this change would
    undo theirs unseen (name again someone they removed) and is refused."""
    _require(acting_user)
    wanted = list({u.pk: u for u in named_users}.values())
    if not reason.strip():
        raise ServiceError("Say why the people named are changing", field="reason")
    _able_to_open(wanted)
    if not wanted:
        raise ServiceError("Name at least one person who works with the record", field="named")
    with transaction.atomic():
        locked = SealedRecord.objects.select_for_update().get(pk=seal.pk)
        if not locked.active:
            raise ServiceError("This record is no longer sealed")
        _named_meanwhile(locked, named_before, doing="editing")
        named_now = list(locked.named_users.all())
        before = {u.pk: u.username for u in named_now}
        after = {u.pk: u.username for u in wanted}
        if before.keys() == after.keys():
            raise ServiceError("The seal already names exactly these people", field="named")
        leaving = [u for u in named_now if u.pk not in after]
        held = open_work_of(locked.person, leaving)
        if held:
            # Their work would lead them to a page that answers not found, and its reminders reach no one.
            who = "; ".join(f"{before[pk]} holds {', '.join(work)}" for pk, work in sorted(held.items()))
            raise ServiceError(f"Give their work to someone the seal names first: {who}", field="named")
        locked.named_users.set(wanted)
        audit_record(event_type=AuditEventType.SEAL_NAMES_CHANGED, actor=acting_user, target_kind="sealed_record",
                     target_id=locked.pk, person_id=locked.person_id, reason=reason.strip(),
                     detail={"added": sorted(after[k] for k in after.keys() - before.keys()),
                             "removed": sorted(before[k] for k in before.keys() - after.keys())})
    return locked


def seal_review(*, acting_user: User, seal: SealedRecord, keep_sealed: bool, note: str, based_on: int,
                named_before: str | None = None) -> SealReview:
    """The 90-day review: keep it sealed (the next review in 90 days) or unseal it. ``based_on`` is the
    number of reviews the officer saw when deciding: if another officer reviewed the seal meanwhile (kept it
    sealed, or lifted it), this decision was made without theirs and is refused, saying what they did.
    So is one made on a page that showed other people named than the seal names now (``named_before``):
    whether a seal still serves depends on who works with the record."""
    _require(acting_user)
    if not note.strip():
        raise ServiceError("Say what the review found", field="note")
    now = timezone.now()
    with transaction.atomic():
        locked = SealedRecord.objects.select_for_update().get(pk=seal.pk)
        if not locked.active:
            by = locked.unsealed_by.username if locked.unsealed_by else "someone"
            at = timezone.localtime(locked.unsealed_at) if locked.unsealed_at else None
            when = f"{at.day} {at:%B %Y at %H:%M}" if at else ""
            raise ServiceError(f"This record is no longer sealed: {by} unsealed it{f' on {when}' if when else ''}")
        reviews = locked.reviews.order_by("reviewed_at", "pk")
        if reviews.count() != based_on:
            latest = reviews.select_related("reviewed_by").last()
            if latest is not None:
                due = locked.review_due_on
                what = (f"kept it sealed, the next review due {due.day} {due:%B %Y}" if latest.keep_sealed
                        else "unsealed it")
                raise ServiceError(
                    f"{latest.reviewed_by.username} reviewed this seal while you were deciding and {what}: "
                    "read their review, then record yours again if it still stands")
            raise ServiceError("The seal's reviews have changed since you opened it: read them, then decide again")
        _named_meanwhile(locked, named_before, doing="deciding")
        review = SealReview.objects.create(seal=locked, reviewed_by=acting_user, reviewed_at=now,
                                           keep_sealed=keep_sealed, note=note.strip())
        if keep_sealed:
            locked.review_due_on = timezone.localdate(now) + dt.timedelta(days=SEAL_REVIEW_DAYS)
            locked.save(update_fields=["review_due_on"])
        else:
            locked.active = False
            locked.unsealed_by, locked.unsealed_at, locked.unseal_reason = acting_user, now, note.strip()
            locked.save(update_fields=["active", "unsealed_by", "unsealed_at", "unseal_reason"])
        audit_record(event_type=AuditEventType.SEAL_REVIEWED if keep_sealed else AuditEventType.RECORD_UNSEALED,
                     actor=acting_user, target_kind="sealed_record", target_id=locked.pk, person_id=locked.person_id,
                     reason=note.strip())
    return review


def break_glass(*, acting_user: User, person_id: int, reason: str) -> BreakGlassAccess | None:
    """Emergency access to a sealed record, with a reason: open for ``BREAK_GLASS_HOURS``, audited, and
    shown to the data protection officer until reviewed. Asked of a record that is not sealed from the
    user (or does not exist), it grants nothing and answers exactly as it would otherwise, so the page
    never tells anyone whether a record is sealed; the trail records the request as what it was
    (``BREAK_GLASS_NOTHING_OPENED``), with nothing to review."""
    if not has(acting_user, Capability.VIEW_PERSON):
        raise ServiceError("You cannot open people's records")
    if len(reason.strip()) < 10:
        raise ServiceError("Say why you need to open this record now", field="reason")
    now = timezone.now()
    with transaction.atomic():
        seal = seal_for_person(person_id) if Person.objects.filter(pk=person_id).exists() else None
        use = None
        if seal is not None and not seal.named_users.filter(pk=acting_user.pk).exists():
            use = BreakGlassAccess.objects.create(
                seal=seal, user=acting_user, reason=reason.strip(), at=now,
                expires_at=now + dt.timedelta(hours=BREAK_GLASS_HOURS),
            )
        # The trail tells the data protection officer what happened: a record sealed from the user
        # opened (and its use awaits review), or nothing opened (no seal, or one that names the user):
        # never a break of a seal that was not there.
        audit_record(event_type=AuditEventType.BREAK_GLASS if use is not None else AuditEventType.BREAK_GLASS_NOTHING_OPENED,
                     actor=acting_user, target_kind="person", target_id=person_id,
                     person_id=person_id if Person.objects.filter(pk=person_id).exists() else None,
                     reason=reason.strip(), detail={"granted": use is not None})
    return use


def break_glass_review(*, acting_user: User, use: BreakGlassAccess, justified: bool, note: str) -> BreakGlassAccess:
    _require(acting_user)
    if not justified and not note.strip():
        raise ServiceError("Say what was wrong and what happens next", field="note")
    with transaction.atomic():
        # Locked and read again: two officers reviewing at once are taken one after the other, and the
        # second is refused rather than overwriting the first's finding.
        locked = BreakGlassAccess.objects.select_for_update().get(pk=use.pk)
        if locked.reviewed_at is not None:
            finding = "justified" if locked.justified else "not justified"
            by = locked.reviewed_by.username if locked.reviewed_by else "someone"
            raise ServiceError(f"{by} has already reviewed this use and found it {finding}: their review stands")
        locked.reviewed_by, locked.reviewed_at, locked.justified, locked.review_note = (
            acting_user, timezone.now(), justified, note.strip())
        locked.save(update_fields=["reviewed_by", "reviewed_at", "justified", "review_note"])
        audit_record(event_type=AuditEventType.BREAK_GLASS_REVIEWED, actor=acting_user, target_kind="break_glass",
                     target_id=locked.pk, person_id=use.seal.person_id, reason=note.strip(),
                     detail={"justified": justified})
    use.reviewed_by, use.reviewed_at, use.justified, use.review_note = (
        locked.reviewed_by, locked.reviewed_at, locked.justified, locked.review_note)
    return use


def tell_the_seals_keeper(notice: Withheld) -> None:
    """A seal kept a notice from everyone who had to hear it (``notifications.notify``): the data
    protection officer, who keeps the seals, is told instead, by the seal's reference (the one the
    sealed records list shows) and a link to the seal, so that it names whoever must act."""
    seal = seal_for_person(notice.about)
    if seal is None:
        return
    keepers = User.objects.filter(role__in=roles_with(Capability.RECORDS_MANAGEMENT), is_active=True)
    reference = seal.person.reference
    nameable = sorted(u.username for u in notice.withheld if has(u, Capability.VIEW_PERSON))
    shown = ", ".join(sorted(u.username for u in notice.withheld)[:10])
    more = len(notice.withheld) - 10
    what = (f"Of them, these may be named on the seal: {', '.join(nameable[:10])}. Name whoever must act, or see "
            "that someone the seal names acts." if nameable else
            "None of them can be named on a seal (their roles do not open people's records): see that someone "
            "the seal names acts.")
    notify(
        recipients=keepers, kind=NotificationKind.SEAL_WITHHELD,
        subject=f"A notice about sealed record {reference} reached no one who had to hear it",
        body=(f"The seal on {reference} kept this notice from everyone who had to hear it, as it names none of "
              f"them ({shown}{f' and {more} more' if more > 0 else ''}):\n\n"
              f"{NotificationKind(notice.kind).label}: {notice.subject}\n\n{what}"),
        link=reverse("dataprotection:seal", args=[seal.pk]),
        keep_out=names_of(seal.person),
    )
