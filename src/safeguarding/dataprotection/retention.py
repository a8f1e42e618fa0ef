"""Retention: how long each kind of record is kept, legal holds that stop disposal, and the disposal
review that lists what is due, asks a person to confirm, and records what was disposed of (the audit
trail keeps its rows: nothing here touches it).

Records about child sexual abuse and exploitation are kept until the person's 75th birthday (the
Independent Inquiry into Child Sexual Abuse, recommendation on retention; DOMAIN.md). A partial date
of birth counts as its latest possible day, and where agencies' records disagree the latest date any
of them gives counts, so nothing is ever disposed of early; nor while a survivor is still supported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone

from safeguarding.accounts.access import Capability, require
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core import normalise, once
from safeguarding.core.calendar import keep_latest, local_date
from safeguarding.core.errors import ServiceError
from safeguarding.dataprotection.models import Disposal, LegalHold, RecordKind, RetentionRule
from safeguarding.dataprotection.sources import last_records_elsewhere
from safeguarding.people import identity
from safeguarding.people.models import Event, Person, PersonRole, Relationship, SourceRecord
from safeguarding.support.selectors import people_with_support_records, supported_now
from safeguarding.support.services import support_records_dispose

DEFAULT_RULES = {
    RecordKind.CHILD_EXPLOITATION: (75, None, "Records about child sexual abuse and exploitation: kept to the 75th "
                                              "birthday (IICSA final report, 2022)."),
    RecordKind.SURVIVOR_SUPPORT: (75, None, "Support for survivors of child sexual abuse: kept to the 75th birthday, "
                                            "as the records of the abuse are."),
    RecordKind.ADULT: (None, 6, "Adults named in agencies' records: six years after the last record."),
}

# Which kinds the hub can dispose of today, and how: a person id in, {what: how many} out.
Disposer = Callable[[Person], dict[str, int]]
DISPOSERS: dict[str, Disposer] = {RecordKind.SURVIVOR_SUPPORT: support_records_dispose}


def rules() -> dict[str, RetentionRule]:
    """The rules in force, the defaults installed the first time they are read."""
    held = {r.kind: r for r in RetentionRule.objects.all()}
    missing = [k for k in DEFAULT_RULES if k not in held]
    if missing:
        with transaction.atomic():
            for kind in missing:
                birthday, years, basis = DEFAULT_RULES[kind]
                held[kind], _ = RetentionRule.objects.get_or_create(
                    kind=kind, defaults={"until_birthday": birthday, "years_after_last": years, "basis": basis,
                                         "changed_at": timezone.now()})
    return held


def retain_until(rule: RetentionRule, *, date_of_birth: str, last_record: dt.date | None) -> dt.date | None:
    """The last day the records must be kept, or None when it cannot be worked out (no date of birth):
    such records are never offered for disposal."""
    if rule.until_birthday is not None:
        dob = normalise.partial_date(date_of_birth)
        return normalise.nth_birthday(dob, rule.until_birthday, latest=True) if dob else None
    if rule.years_after_last is not None and last_record is not None:
        return normalise.add_years(last_record, rule.years_after_last)
    return None


def retain_person_until(rule: RetentionRule, person: Person) -> dt.date | None:
    """``retain_until`` for a person by their date of birth: the latest any of their records allows.
    Agencies disagree (one writes 1950, another 1955); the person's displayed date is the most common
    one, and dating the rule from it could dispose of records years early."""
    births = {person.date_of_birth, *SourceRecord.objects.filter(identity.same_person("person", person))
              .exclude(date_of_birth="").values_list("date_of_birth", flat=True)} - {""}
    found = [until for dob in births if (until := retain_until(rule, date_of_birth=dob, last_record=None))]
    return max(found) if found else None


def under_hold(person: Person | int) -> bool:
    return LegalHold.objects.filter(identity.same_person("person", person), released_at__isnull=True).exists()


def legal_hold_place(*, acting_user: User, person: Person, reason: str, form_token: str | None = None) -> LegalHold:
    """Keep a person's records from disposal for an investigation or claim. ``form_token``: the form's
    (``core.once``), so the page sent twice places one hold, not two of which releasing one leaves the
    other."""
    require(acting_user, Capability.RECORDS_MANAGEMENT)
    if not reason.strip():
        raise ServiceError("Say which investigation or claim the hold is for", field="reason")
    with transaction.atomic():
        once.spend(form_token, made="The legal hold was already placed")
        # Locked as a disposal locks it: a disposal under way finishes first, or sees this hold.
        hold = LegalHold.objects.create(person=identity.current_locked(person), reason=reason.strip(),
                                        placed_by=acting_user, placed_at=timezone.now())
        audit_record(event_type=AuditEventType.LEGAL_HOLD_PLACED, actor=acting_user, target_kind="legal_hold",
                     target_id=hold.pk, person_id=hold.person_id, reason=hold.reason)
    return hold


def legal_hold_release(*, acting_user: User, hold_id: int, reason: str) -> LegalHold:
    require(acting_user, Capability.RECORDS_MANAGEMENT)
    if not reason.strip():
        raise ServiceError("Say why the hold is released (the investigation or claim has ended)")
    with transaction.atomic():
        hold = LegalHold.objects.select_for_update().filter(pk=hold_id, released_at__isnull=True).first()
        if hold is None:
            raise ServiceError("That hold has already been released")
        hold.released_by, hold.released_at, hold.release_reason = acting_user, timezone.now(), reason.strip()
        hold.save(update_fields=["released_by", "released_at", "release_reason"])
        audit_record(event_type=AuditEventType.LEGAL_HOLD_RELEASED, actor=acting_user, target_kind="legal_hold",
                     target_id=hold.pk, person_id=hold.person_id, reason=hold.release_reason)
    return hold


@dataclass
class Due:
    person: Person
    kind: str
    retain_until: dt.date
    held: bool
    disposable: bool  # the hub can dispose of this kind today
    supported: bool = False  # survivor support still open: kept while it is

    @property
    def kind_label(self) -> str:
        return RecordKind(self.kind).label


@dataclass
class DisposalReview:
    due: list[Due]
    rules: list[RetentionRule]
    holds: list[LegalHold]
    today: dt.date


def _due(kind: str, rule: RetentionRule, persons: list[Person], today: dt.date) -> list[Due]:
    found = []
    for person in persons:
        until = retain_person_until(rule, person)
        if until is not None and today >= until:
            found.append(Due(person, kind, until, under_hold(person), kind in DISPOSERS,
                             kind == RecordKind.SURVIVOR_SUPPORT and supported_now(person)))
    return found


def adults_last_records() -> dict[int, dt.datetime]:
    """Each adult's last record in the agencies' records (the latest event, its end, a record's own
    update, a relationship's dates), by the person they are now. Left out: anyone an agency records as
    a child (their records are about a child: kept to the 75th birthday), and anyone with no dated
    record (the period cannot be counted, so nothing is offered)."""
    adult = Q(person__root__role=PersonRole.ADULT)
    latest: dict[int, dt.datetime] = {}
    records = (SourceRecord.objects.filter(adult).values("person__root_id")
               .annotate(updated=Max("updated_at"), as_child=Count("pk", filter=Q(role=PersonRole.CHILD))))
    was_child = set()
    for row in records.iterator(chunk_size=20_000):
        if row["as_child"]:
            was_child.add(row["person__root_id"])
        keep_latest(latest, row["person__root_id"], row["updated"])
    events = (Event.objects.filter(source_record__person__root__role=PersonRole.ADULT)
              .values("source_record__person__root_id").annotate(a=Max("occurred_at"), b=Max("ended_at")))
    for row in events.iterator(chunk_size=20_000):
        keep_latest(latest, row["source_record__person__root_id"], row["a"], row["b"])
    for side in ("from_record", "to_record"):
        rows = (Relationship.objects.filter(**{f"{side}__person__root__role": PersonRole.ADULT})
                .values(f"{side}__person__root_id").annotate(a=Max("start_date"), b=Max("end_date")))
        for row in rows.iterator(chunk_size=20_000):
            keep_latest(latest, row[f"{side}__person__root_id"], row["a"], row["b"])
    return {person: moment for person, moment in latest.items() if person not in was_child}


def _adults_due(rule: RetentionRule, today: dt.date) -> list[Due]:
    """Adults whose last record anywhere in the hub is more than the rule's years ago: the agencies'
    records, then what the rooms above hold (an intelligence link, a notice served on them, an
    outcome), which only keeps them longer. A survivor being supported is the support rule's."""
    if rule.years_after_last is None:
        return []
    years = rule.years_after_last
    candidates = {person: moment for person, moment in adults_last_records().items()
                  if normalise.add_years(local_date(moment), years) <= today}
    for person, moment in last_records_elsewhere(list(candidates)).items():
        if person in candidates and moment > candidates[person]:
            candidates[person] = moment
    supported = {p.root_id for p in people_with_support_records()}
    held = set(LegalHold.objects.filter(released_at__isnull=True).values_list("person__root_id", flat=True))
    people = Person.objects.in_bulk([p for p in candidates if p not in supported])
    found = []
    for pk, adult in sorted(people.items()):
        until = normalise.add_years(local_date(candidates[pk]), years)
        if today >= until:
            found.append(Due(adult, RecordKind.ADULT, until, pk in held, RecordKind.ADULT in DISPOSERS))
    return found


def disposal_review(*, user: User, today: dt.date | None = None) -> DisposalReview:
    """What is due for disposal today, kind by kind; what is under a legal hold is listed but blocked."""
    require(user, Capability.RECORDS_MANAGEMENT)
    today = today or timezone.localdate()
    in_force = rules()
    # Anyone born in the year 75 years ago or earlier may be past a 75th birthday: the rule decides.
    oldest = f"{today.year - 74:04d}"
    children = list(Person.objects.filter(root_id=F("pk"), role=PersonRole.CHILD, date_of_birth__lt=oldest)
                    .exclude(date_of_birth=""))
    due = _due(RecordKind.CHILD_EXPLOITATION, in_force[RecordKind.CHILD_EXPLOITATION], children, today)
    supported = [p for p in people_with_support_records() if p.date_of_birth and p.date_of_birth < oldest]
    due += _due(RecordKind.SURVIVOR_SUPPORT, in_force[RecordKind.SURVIVOR_SUPPORT], supported, today)
    due += _adults_due(in_force[RecordKind.ADULT], today)
    holds = list(LegalHold.objects.filter(released_at__isnull=True).select_related("person").order_by("placed_at"))
    return DisposalReview(due=due, rules=list(in_force.values()), holds=holds, today=today)


def disposal_confirm(
    *, acting_user: User, person_id: int, kind: str, note: str, today: dt.date | None = None
) -> Disposal:
    """A person confirms the disposal of one kind of record about one person, once it is due and no
    hold stops it. What was disposed of is recorded; the audit trail's rows stay."""
    require(acting_user, Capability.RECORDS_MANAGEMENT)
    if kind not in DISPOSERS:
        raise ServiceError("The hub cannot dispose of this kind of record yet")
    if not note.strip():
        raise ServiceError("Confirm what you checked before disposing of the records")
    today = today or timezone.localdate()
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise ServiceError("No such person")
    person = identity.current(person)
    until = retain_person_until(rules()[kind], person)
    if until is None or today < until:
        raise ServiceError("These records are not yet due for disposal")
    with transaction.atomic():
        # The person locked before the checks, as placing a hold and opening a support plan lock them:
        # one placed or opened meanwhile is seen here, or waits for the disposal and is then told of it.
        person = identity.current_locked(person)
        if under_hold(person):
            raise ServiceError("A legal hold stops the disposal of this person's records")
        if kind == RecordKind.SURVIVOR_SUPPORT and supported_now(person):
            raise ServiceError("This person is still being supported: their records are kept while their "
                               "support plan is open")
        what = DISPOSERS[kind](person)
        disposal = Disposal.objects.create(person_id_disposed=person.pk, kind=kind, retain_until=until, what=what,
                                           confirmed_by=acting_user, confirmed_at=timezone.now(), note=note.strip())
        audit_record(event_type=AuditEventType.DISPOSAL_CONFIRMED, actor=acting_user, target_kind="disposal",
                     target_id=disposal.pk, person_id=person.pk, reason=note.strip(),
                     detail={"kind": kind, "what": what, "retain_until": until})
    return disposal

