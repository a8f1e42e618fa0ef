"""Raising concerns, recording a child new to the hub, and the front door's decisions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.access import Capability, has, roles_with
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core import normalise
from safeguarding.core.calendar import deadline_working_days, on_time
from safeguarding.core.errors import ServiceError
from safeguarding.frontdoor.models import (
    Concern,
    ConcernStatus,
    Consent,
    DecisionOutcome,
    Indicator,
    ParentsTold,
    TriageDecision,
)
from safeguarding.notifications.models import NotificationKind
from safeguarding.notifications.services import names_of, notify
from safeguarding.people import identity
from safeguarding.people.models import Person, PersonRole, SourceSystem

# Statutory: a decision on next steps within one working day of a contact or referral.
DECISION_WORKING_DAYS = 1
DESCRIPTION_MAX = 10_000
CHILD_UNDER_YEARS = 18  # a child recorded from the concern form is under 18 on the day


@dataclass(frozen=True)
class ConcernContext:
    """What the concern form asks besides what was seen: who else is involved (people, vehicles,
    places), whether the parents or carers were told and whether consent to share was given (and if
    not, why not), and how the front door can reach the person raising it."""

    people_involved: str = ""
    vehicles_involved: str = ""
    places_involved: str = ""
    parents_told: str = ""  # ParentsTold, or "" where the form did not ask (an alert turned into a concern)
    parents_not_told_reason: str = ""
    consent: str = ""  # Consent, likewise
    consent_reason: str = ""
    referrer_phone: str = ""
    referrer_email: str = ""
    referrer_role: str = ""

    def checked(self) -> ConcernContext:
        """The same, trimmed, or a ServiceError naming the first field that cannot be recorded."""
        values = {name: str(value).strip() for name, value in self.__dict__.items()}
        limits = {"people_involved": 2000, "vehicles_involved": 1000, "places_involved": 1000,
                  "parents_not_told_reason": 2000, "consent_reason": 2000, "referrer_role": 200}
        for name, limit in limits.items():
            if len(values[name]) > limit:
                raise ServiceError(f"Use {limit:,} characters or fewer", field=name)
        if values["parents_told"] not in ("", *ParentsTold.values):
            raise ServiceError("Select whether the parents or carers were told", field="parents_told")
        if values["parents_told"] == ParentsTold.NO and not values["parents_not_told_reason"]:
            raise ServiceError("Say why the parents or carers were not told", field="parents_not_told_reason")
        if values["consent"] not in ("", *Consent.values):
            raise ServiceError("Select whether consent was given", field="consent")
        if values["consent"] in (Consent.REFUSED, Consent.NOT_SOUGHT) and not values["consent_reason"]:
            raise ServiceError("Say why the concern is shared without consent", field="consent_reason")
        if values["referrer_phone"] and not normalise.phone(values["referrer_phone"]):
            raise ServiceError("Enter a phone number, like 01632 960 001 or 07700 900 982", field="referrer_phone")
        if values["referrer_email"] and "@" not in values["referrer_email"]:
            raise ServiceError("Enter an email address in the correct format, like name@example.com",
                               field="referrer_email")
        return ConcernContext(**values)


def _hub_source_system(user: User) -> SourceSystem:
    """Records typed into the hub belong to a hub 'system' of the user's agency, so the single
    view can say which agency recorded them."""
    if user.agency is None:
        raise ServiceError("Your account is not linked to an agency, so you cannot record people")
    system, _ = SourceSystem.objects.get_or_create(
        code=f"hub-{user.agency.code}",
        defaults={"name": f"Recorded in the hub by {user.agency.name}", "agency": user.agency, "is_hub": True},
    )
    return system


def person_record_new(
    *,
    acting_user: User,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date | None,
    sex: str = "",
    nhs_number: str = "",
    upn: str = "",
    address: str = "",
    postcode: str = "",
) -> Person:
    """Record a child the hub does not hold yet (from the concern form)."""
    if not has(acting_user, Capability.RAISE_CONCERN):
        raise ServiceError("You cannot record people in the hub")
    if not (given_name.strip() or family_name.strip()):
        raise ServiceError("Enter the child's name")
    nhs_digits = normalise.nhs_number_digits(nhs_number) or ""
    if nhs_number.strip() and not (nhs_digits and normalise.nhs_number_is_valid(nhs_digits)):
        raise ServiceError("Enter a real NHS number, like 943 476 5919, or leave it blank")
    clean_postcode = normalise.postcode(postcode) or ""
    if postcode.strip() and not clean_postcode:
        raise ServiceError("Enter a real postcode, like S65 1AB, or leave it blank")
    clean_upn = normalise.upn(upn) or ""
    if upn.strip() and not clean_upn:
        raise ServiceError("Enter a unique pupil number in the right format, like A123456789012, or leave it blank")
    if date_of_birth is not None:
        today = timezone.localdate()
        if date_of_birth > today:
            raise ServiceError("Date of birth must be in the past", field="date_of_birth")
        if normalise.add_years(date_of_birth, CHILD_UNDER_YEARS) <= today:
            raise ServiceError(
                "The child must be under 18: enter a date of birth less than 18 years ago, or leave it blank",
                field="date_of_birth",
            )
    dob = date_of_birth.isoformat() if date_of_birth else ""
    with transaction.atomic():
        system = _hub_source_system(acting_user)
        person, record = identity.person_create_with_record(
            record={
                "source_system": system,
                "given_name": given_name.strip(),
                "family_name": family_name.strip(),
                "date_of_birth": dob,
                "sex": sex,
                "nhs_number": nhs_digits,
                "nhs_number_valid": bool(nhs_digits),
                "upn": clean_upn,
                "address": address.strip(),
                "postcode": clean_postcode,
                "role": PersonRole.CHILD,
                "updated_at": timezone.now(),
            },
            record_id=lambda person_id: f"HUB-{person_id}",
        )
        audit_record(
            event_type=AuditEventType.PERSON_RECORDED,
            actor=acting_user,
            target_kind="source_record",
            target_id=f"{system.code}:{record.record_id}",
            person_id=person.pk,
        )
    return person


def concern_raise(
    *,
    raised_by: User,
    child: Person,
    seen_on: dt.date,
    description: str,
    location: str = "",
    indicators: list[str] | None = None,
    immediate_danger: bool = False,
    raised_after: int | None = None,
    context: ConcernContext | None = None,
) -> Concern:
    """``raised_after``: the id of the raiser's latest concern when their form was opened (its raise
    token says it); if they have raised one since, the form was already used and is refused.
    ``context``: who else is involved, parents told and consent, the referrer's contact details."""
    if not has(raised_by, Capability.RAISE_CONCERN):
        raise ServiceError("You cannot raise concerns")
    if raised_by.agency is None:
        raise ServiceError("Your account is not linked to an agency, so you cannot raise concerns")
    if not description.strip():
        raise ServiceError("Describe what you saw or were told", field="description")
    if len(description.strip()) > DESCRIPTION_MAX:
        raise ServiceError(f"What you saw or heard must be {DESCRIPTION_MAX:,} characters or fewer", field="description")
    if len(location.strip()) > 300:
        raise ServiceError("Where it happened must be 300 characters or fewer", field="location")
    now = timezone.now()
    if seen_on > timezone.localdate(now):
        raise ServiceError("The date must be today or in the past", field="seen_on")
    about = (context or ConcernContext()).checked()
    if any(code not in Indicator.values for code in indicators or []):
        raise ServiceError("Choose indicators from the list")
    chosen = list(dict.fromkeys(indicators or []))  # each once, though sent twice
    # Record linkage may since have found the child to be an older person: the concern is theirs.
    child = identity.current(child)
    with transaction.atomic():
        if raised_after is not None:
            User.objects.select_for_update().filter(pk=raised_by.pk).first()  # one submission at a time per user
            latest = Concern.objects.filter(raised_by=raised_by).order_by("-pk").values_list("pk", flat=True).first()
            if (latest or 0) != raised_after:
                raise ServiceError("This form has already been used to raise a concern. Find the child again")
        concern = Concern.objects.create(
            child=child,
            raised_by=raised_by,
            agency=raised_by.agency,
            raised_at=now,
            seen_on=seen_on,
            location=location.strip(),
            description=description.strip(),
            indicators=chosen,
            immediate_danger=immediate_danger,
            urgent=immediate_danger,
            status=ConcernStatus.AWAITING_DECISION,
            decision_due_at=deadline_working_days(now, DECISION_WORKING_DAYS),
            **about.__dict__,
        )
        audit_record(
            event_type=AuditEventType.CONCERN_RAISED,
            actor=raised_by,
            target_kind="concern",
            target_id=concern.pk,
            person_id=child.pk,
            detail={"urgent": concern.urgent, "indicators": chosen},
        )
        if concern.urgent:
            # The front door hears at once: the queue puts it first, but nobody may be looking at it.
            at = timezone.localtime(now)
            notify(
                recipients=front_door_team().exclude(pk=raised_by.pk),
                kind=NotificationKind.CONCERN_URGENT,
                subject=f"Urgent concern {concern.reference}: a child may be in immediate danger",
                # Not the raising agency: a sexual health clinic's name would say where the child was seen.
                body=f"Concern {concern.reference} was raised at {at:%H:%M} on {at:%-d %B %Y} by "
                     f"{raised_by.get_full_name() or raised_by.username}, who says the child may be in immediate "
                     "danger. Decide on it now.",
                link=reverse("frontdoor:detail", args=[concern.pk]),
                keep_out=names_of(child),
                about=child.pk,
            )
    return concern


def front_door_team() -> QuerySet[User]:
    """Everyone who decides concerns at the front door (active accounts): who hears of an urgent
    concern, and of a concern left undecided past its working day."""
    return User.objects.filter(role__in=roles_with(Capability.TRIAGE), is_active=True).order_by("pk")


def triage_decide(
    *,
    acting_user: User,
    concern: Concern,
    outcome: str,
    reason: str = "",
) -> TriageDecision:
    """Record the front door's decision on a concern. A concern is decided once; the decision
    and its time are kept for timeliness reporting. A decision to refer the child to the exploitation
    panel is made through ``workflows.services.triage_decide_and_refer``, which refers the child in
    the same transaction."""
    if not has(acting_user, Capability.TRIAGE):
        raise ServiceError("You cannot make front-door decisions")
    if outcome not in DecisionOutcome.values:
        raise ServiceError("Choose a decision")
    if outcome == DecisionOutcome.NO_FURTHER_ACTION and not reason.strip():
        raise ServiceError("Give the reason for no further action")
    with transaction.atomic():
        locked = Concern.objects.select_for_update().get(pk=concern.pk)
        if locked.status == ConcernStatus.DECIDED:
            raise ServiceError("A decision has already been recorded on this concern")
        now = timezone.now()
        decision = TriageDecision.objects.create(
            concern=locked,
            outcome=outcome,
            reason=reason.strip(),
            decided_by=acting_user,
            decided_at=now,
            within_timescale=on_time(now, locked.decision_due_at),
        )
        locked.status = ConcernStatus.DECIDED
        locked.save(update_fields=["status"])
        audit_record(
            event_type=AuditEventType.TRIAGE_DECISION_RECORDED,
            actor=acting_user,
            target_kind="concern",
            target_id=locked.pk,
            person_id=locked.child_id,
            reason=reason.strip(),
            detail={"outcome": outcome, "within_timescale": decision.within_timescale},
        )
        if locked.raised_by_id != acting_user.pk:
            # The referrer learns the concern was acted on, and what was decided (never the reason:
            # it may name the child; the concern's page has it for those who may see it).
            raised = timezone.localtime(locked.raised_at)
            notify(
                recipients=[locked.raised_by],
                kind=NotificationKind.CONCERN_DECIDED,
                subject=f"Your concern {locked.reference} has been decided",
                body=f"The front door has decided on concern {locked.reference}, which you raised on "
                     f"{raised:%-d %B %Y}: {decision.get_outcome_display()}.",
                link=reverse("frontdoor:detail", args=[locked.pk]),
                keep_out=names_of(locked.child),
                about=locked.child_id,
            )
    concern.status = ConcernStatus.DECIDED
    return decision
