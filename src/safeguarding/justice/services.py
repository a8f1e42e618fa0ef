"""Writes of the justice room: investigations and operations with their adults and children,
disruption and its outcomes, arrests, charges, convictions and sentences. Every write is audited in
its transaction."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from safeguarding.accounts.access import Capability, has, roles_with
from safeguarding.accounts.models import Agency, AgencyKind, User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core import once
from safeguarding.core.errors import ServiceError
from safeguarding.justice.models import (
    Disruption,
    DisruptionKind,
    DisruptionOutcome,
    DisruptionOutcomeKind,
    JusticeOutcome,
    Operation,
    OperationKind,
    OperationSubject,
    OutcomeKind,
    SubjectRole,
)
from safeguarding.notifications.models import NotificationKind
from safeguarding.notifications.services import notify
from safeguarding.people.models import Person, PersonRole

_LICENSING_OUTCOMES = {DisruptionOutcomeKind.NO_ACTION, DisruptionOutcomeKind.WARNING,
                       DisruptionOutcomeKind.SUSPENSION, DisruptionOutcomeKind.REVOCATION}


def _allowed(user: User) -> None:
    if not has(user, Capability.RECORD_DISRUPTION) or user.agency is None:
        raise ServiceError("You cannot record investigations, disruption or outcomes")


def _not_future(day: dt.date, what: str) -> None:
    if day > timezone.localdate():
        raise ServiceError(f"The date {what} must be today or in the past")


def operation_open(*, acting_user: User, name: str, kind: str, summary: str, opened_on: dt.date) -> Operation:
    _allowed(acting_user)
    if not name.strip() or not summary.strip():
        raise ServiceError("Enter the name and a summary of the investigation or operation")
    if kind not in OperationKind.values:
        raise ServiceError("Choose investigation or operation")
    _not_future(opened_on, "it was opened")
    assert acting_user.agency is not None
    with transaction.atomic():
        operation = Operation.objects.create(name=name.strip(), kind=kind, summary=summary.strip(),
                                             agency=acting_user.agency, opened_by=acting_user, opened_on=opened_on)
        audit_record(event_type=AuditEventType.OPERATION_OPENED, actor=acting_user, target_kind="operation",
                     target_id=operation.pk, detail={"name": operation.name, "kind": kind})
    return operation


def operation_add_subject(*, acting_user: User, operation: Operation, person: Person, role: str) -> OperationSubject:
    _allowed(acting_user)
    if role not in SubjectRole.values:
        raise ServiceError("Choose the person's part in it")
    # A child at risk is a child today. A child victim was a child when abused, which may be years ago (a
    # non-recent investigation's survivors are adults now): the operation's page says so beside them.
    if role == SubjectRole.CHILD_AT_RISK and person.child_or_adult() == PersonRole.ADULT:
        raise ServiceError("That person is an adult today: choose child victim (abused as a child), suspect or "
                           "witness")
    with transaction.atomic():
        subject, created = OperationSubject.objects.get_or_create(
            operation=operation, person=person, role=role,
            defaults={"added_by": acting_user, "added_at": timezone.now()},
        )
        if not created:
            raise ServiceError("That person is already in it in that part")
        audit_record(event_type=AuditEventType.OPERATION_SUBJECT_ADDED, actor=acting_user, target_kind="operation",
                     target_id=operation.pk, person_id=person.pk, detail={"role": role})
    return subject


def disruption_record(
    *,
    acting_user: User,
    kind: str,
    adult: Person,
    child: Person | None,
    served_on: dt.date,
    detail: str,
    expires_on: dt.date | None = None,
    operation: Operation | None = None,
    form_token: str | None = None,
) -> Disruption:
    """A child abduction warning notice (always about a named child), a sexual risk or harm
    prevention order, a referral to licensing, or another disruption. ``form_token``: the form's
    (``core.once``): sent twice, one disruption counted and licensing told once."""
    _allowed(acting_user)
    if kind not in DisruptionKind.values:
        raise ServiceError("Choose the kind of disruption")
    if kind == DisruptionKind.CAWN and child is None:
        raise ServiceError("A child abduction warning notice names the child it protects", field="child_ref")
    # Child or adult on the day it was served, as the network chart it is recorded from shows them.
    if child is not None and child.child_or_adult(served_on) == PersonRole.ADULT:
        raise ServiceError("The person named as the child is recorded as an adult", field="child_ref")
    if adult.child_or_adult(served_on) == PersonRole.CHILD:
        raise ServiceError("The person the disruption is against is recorded as a child", field="adult_ref")
    if not detail.strip():
        raise ServiceError("Say what was served or sought, and by whom", field="detail")
    _not_future(served_on, "it was served")
    if expires_on is not None and expires_on <= served_on:
        raise ServiceError("It must expire after it was served", field="expires_on")
    assert acting_user.agency is not None
    with transaction.atomic():
        once.spend(form_token, made="The disruption was already recorded")
        disruption = Disruption.objects.create(
            kind=kind, adult=adult, child=child, operation=operation, served_on=served_on, expires_on=expires_on,
            detail=detail.strip(), agency=acting_user.agency, recorded_by=acting_user, recorded_at=timezone.now(),
        )
        audit_record(event_type=AuditEventType.DISRUPTION_RECORDED, actor=acting_user, target_kind="disruption",
                     target_id=disruption.pk, person_id=child.pk if child else adult.pk,
                     detail={"kind": kind, "adult": adult.pk, "child": child.pk if child else None,
                             "operation": operation.pk if operation else None})
        if kind == DisruptionKind.LICENSING_REFERRAL:
            _tell_licensing(disruption, acting_user)
    return disruption


def _tell_licensing(disruption: Disruption, by: User) -> None:
    """A referral to licensing reaches the licensing team the moment it is made (DOMAIN.md: warnings
    never reached the licensing team that licensed the taxi drivers involved): the safeguarding
    managers of each licensing agency, or, where it has none, everyone there. The e-mail names no
    one; the officer who made it holds what can be shared, and the sharing is theirs to record."""
    agencies = Agency.objects.filter(kind=AgencyKind.LICENSING, is_active=True)
    people = list(User.objects.filter(agency__in=agencies, is_active=True))
    managing = set(roles_with(Capability.MANAGE_AGENCY_WORK))
    managers = [u for u in people if u.role in managing]
    by_agency = {u.agency_id for u in managers}
    recipients = managers + [u for u in people if u.agency_id not in by_agency]
    agency = by.agency.name if by.agency else "A partner agency"
    notify(
        recipients=recipients,
        kind=NotificationKind.LICENSING_REFERRAL,
        subject=f"Referral to licensing {disruption.reference} from {agency}",
        body=f"{agency} has referred a licence holder to licensing ({disruption.reference}, "
             f"{disruption.served_on:%-d %B %Y}) because of a concern about the exploitation of children. "
             f"{by.display_name} ({agency}) holds the details: contact them for what can be shared, and tell them "
             "the licensing decision, so that it is recorded with the referral.",
    )


def disruption_outcome_record(
    *, acting_user: User, disruption: Disruption, kind: str, on: dt.date, detail: str = "", form_token: str | None = None
) -> DisruptionOutcome:
    """A breach of a notice or order, or a licensing decision (suspension, revocation...). ``form_token``:
    the form's (``core.once``): sent twice, one outcome."""
    _allowed(acting_user)
    if kind not in DisruptionOutcomeKind.values:
        raise ServiceError("Choose the outcome")
    if kind in _LICENSING_OUTCOMES - {DisruptionOutcomeKind.NO_ACTION} and disruption.kind != DisruptionKind.LICENSING_REFERRAL:
        raise ServiceError("Suspension, revocation and warnings are outcomes of a referral to licensing")
    if on < disruption.served_on:
        raise ServiceError("The outcome cannot be before the disruption was served")
    _not_future(on, "of the outcome")
    with transaction.atomic():
        once.spend(form_token, made="The outcome was already recorded")
        outcome = DisruptionOutcome.objects.create(disruption=disruption, kind=kind, on=on, detail=detail.strip(),
                                                   recorded_by=acting_user, recorded_at=timezone.now())
        audit_record(event_type=AuditEventType.DISRUPTION_OUTCOME_RECORDED, actor=acting_user,
                     target_kind="disruption", target_id=disruption.pk, person_id=disruption.adult_id,
                     detail={"outcome": kind})
    return outcome


def justice_outcome_record(
    *, acting_user: User, person: Person, kind: str, on: dt.date, offence: str, detail: str = "",
    operation: Operation | None = None, form_token: str | None = None,
) -> JusticeOutcome:
    """An arrest, charge, conviction or sentence. A sentence needs what it was. ``form_token``: the form's
    (``core.once``): sent twice, one arrest (or conviction) counted."""
    _allowed(acting_user)
    if kind not in OutcomeKind.values:
        raise ServiceError("Choose arrest, charge, conviction or sentence")
    if not offence.strip():
        raise ServiceError("Enter the offence", field="offence")
    if kind == OutcomeKind.SENTENCE and not detail.strip():
        raise ServiceError("Say what the sentence was", field="detail")
    _not_future(on, "of the outcome")
    with transaction.atomic():
        once.spend(form_token, made="The outcome was already recorded")
        outcome = JusticeOutcome.objects.create(person=person, operation=operation, kind=kind, on=on,
                                                offence=offence.strip(), detail=detail.strip(),
                                                recorded_by=acting_user, recorded_at=timezone.now())
        audit_record(event_type=AuditEventType.JUSTICE_OUTCOME_RECORDED, actor=acting_user, target_kind="outcome",
                     target_id=outcome.pk, person_id=person.pk,
                     detail={"kind": kind, "operation": operation.pk if operation else None})
    return outcome
