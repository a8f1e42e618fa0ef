"""Keeping a survivor's support plan: opening it (for a child, or an adult the hub has never held),
recording services, referrals, contacts, goals and the survivor's own words, moving it on at 18 (and a
care leaver's 25) instead of closing it, and the survivor's wish not to be contacted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from safeguarding.accounts.access import Capability, has
from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core import normalise
from safeguarding.core.errors import ServiceError
from safeguarding.people import identity
from safeguarding.people.models import Person, PersonRole, SourceSystem
from safeguarding.support.models import (
    ContactKind,
    ContactWish,
    GoalProgress,
    GoalStatus,
    LivedExperience,
    PlanStatus,
    ProviderReferral,
    ReferralOutcome,
    ServiceFeedback,
    ServiceKind,
    ServiceStatus,
    SharingWish,
    SupportContact,
    SupportGoal,
    SupportPlan,
    SupportService,
    SurvivorWords,
    Theme,
    Transition,
    VoiceKind,
)
from safeguarding.support.selectors import contact_allowed, stage_for_age, transition_next

# Contacts the worker starts; a survivor who asked not to be contacted can still come to the project
# or message their worker, and that is recorded.
WORKER_STARTED = {ContactKind.VISIT, ContactKind.PHONE}


def _require_worker(user: User) -> None:
    if not has(user, Capability.KEEP_SUPPORT_PLANS):
        raise ServiceError("You cannot keep survivor support plans")
    if user.agency is None:
        raise ServiceError("Your account is not linked to an agency, so you cannot keep support plans")


def _require_keeper(user: User, plan: SupportPlan) -> None:
    """Only the holding agency's support workers write to a plan, and only while it is open."""
    _require_worker(user)
    if plan.agency_id != user.agency_id:
        raise ServiceError("Only the support workers of the agency holding this plan can change it")
    if plan.status != PlanStatus.OPEN:
        raise ServiceError("This support plan is closed")


def _not_future(day: dt.date, what: str, field: str) -> None:
    if day > timezone.localdate():
        raise ServiceError(f"The date {what} must be today or in the past", field=field)


def _text(value: str, message: str, field: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise ServiceError(message, field=field)
    return cleaned


def _audit(user: User, plan: SupportPlan, what: str, target_id: object, **detail: Any) -> None:
    audit_record(
        event_type=AuditEventType.SUPPORT_PLAN_RECORDED,
        actor=user,
        target_kind=f"support_{what}",
        target_id=target_id,
        person_id=plan.person_id,
        detail={"plan": plan.pk, **detail},
    )


# --- opening a plan ------------------------------------------------------------------------------


def _hub_source_system(user: User) -> SourceSystem:
    """The hub 'system' of the user's agency, which records typed into the hub's pages belong to (the
    same one the front door uses, so the single view names the agency that recorded the person)."""
    assert user.agency is not None
    system, _ = SourceSystem.objects.get_or_create(
        code=f"hub-{user.agency.code}",
        defaults={"name": f"Recorded in the hub by {user.agency.name}", "agency": user.agency, "is_hub": True},
    )
    return system


def adult_survivor_record(
    *,
    acting_user: User,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
    sex: str = "",
    address: str = "",
    postcode: str = "",
) -> Person:
    """Record an adult survivor of abuse suffered as a child whom the hub has never held (no agency's
    record of them as a child reached it), through the identity room, so that a plan can be opened."""
    _require_worker(acting_user)
    if not (given_name.strip() or family_name.strip()):
        raise ServiceError("Enter the survivor's name", field="given_name")
    today = timezone.localdate()
    if date_of_birth > today:
        raise ServiceError("The date of birth must be in the past", field="date_of_birth")
    if normalise.age_on(normalise.PartialDate(date_of_birth.year, date_of_birth.month, date_of_birth.day), today) < 18:
        raise ServiceError(
            "This is for adults: find a child in the hub, or record them when raising a concern", field="date_of_birth"
        )
    clean_postcode = normalise.postcode(postcode) or ""
    if postcode.strip() and not clean_postcode:
        raise ServiceError("Enter a real postcode, like S65 1AB, or leave it blank", field="postcode")
    with transaction.atomic():
        system = _hub_source_system(acting_user)
        person, record = identity.person_create_with_record(
            record={
                "source_system": system,
                "given_name": given_name.strip(),
                "family_name": family_name.strip(),
                "date_of_birth": date_of_birth.isoformat(),
                "sex": sex,
                "address": address.strip(),
                "postcode": clean_postcode,
                "role": PersonRole.ADULT,
                "updated_at": timezone.now(),
            },
            record_id=lambda person_id: f"HUB-{person_id}",
        )
        audit_record(
            event_type=AuditEventType.SUPPORT_PERSON_RECORDED,
            actor=acting_user,
            target_kind="source_record",
            target_id=f"{system.code}:{record.record_id}",
            person_id=person.pk,
        )
    return person


def support_plan_open(
    *, acting_user: User, person: Person, care_leaver: bool = False, abused_as_child: bool = False
) -> SupportPlan:
    """Open a support plan held by the worker's agency, led by the worker. Its stage follows the
    survivor's age today: a child's plan, a care leaver's (18 to 25), or an adult's."""
    _require_worker(acting_user)
    assert acting_user.agency is not None
    person = identity.current(person)
    now = timezone.now()
    stage = stage_for_age(person, care_leaver=care_leaver, on=timezone.localdate(now))
    try:
        with transaction.atomic():
            # Locked as a disposal of support records locks them: one under way finishes first.
            person = identity.current_locked(person)
            plan = SupportPlan.objects.create(
                person=person,
                agency=acting_user.agency,
                lead_worker=acting_user,
                opened_by=acting_user,
                opened_at=now,
                stage=stage,
                care_leaver=care_leaver,
                abused_as_child=abused_as_child,
            )
            audit_record(
                event_type=AuditEventType.SUPPORT_PLAN_OPENED,
                actor=acting_user,
                target_kind="support_plan",
                target_id=plan.pk,
                person_id=person.pk,
                detail={"stage": stage, "care_leaver": care_leaver, "abused_as_child": abused_as_child},
            )
    except IntegrityError as exc:
        raise ServiceError(f"{acting_user.agency} already holds an open support plan for this person") from exc
    return plan


def adult_survivor_plan_open(
    *,
    acting_user: User,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
    sex: str = "",
    address: str = "",
    postcode: str = "",
    care_leaver: bool = False,
) -> SupportPlan:
    """Record an adult survivor new to the hub and open their plan, together: if the plan cannot be
    opened, the person is not recorded either."""
    with transaction.atomic():
        person = adult_survivor_record(
            acting_user=acting_user, given_name=given_name, family_name=family_name, date_of_birth=date_of_birth,
            sex=sex, address=address, postcode=postcode,
        )
        return support_plan_open(acting_user=acting_user, person=person, care_leaver=care_leaver, abused_as_child=True)


def support_plan_transition(*, acting_user: User, plan: SupportPlan, note: str) -> Transition:
    """Move the plan on at its next threshold instead of closing it: at 18 a child's plan becomes an
    adult's (a care leaver's, until 25, if they left care); at 25 a care leaver's becomes an adult's.
    Refused before the birthday, and for a plan already at the adult stage."""
    _require_keeper(acting_user, plan)
    cleaned = _text(note, "Say what changes for the survivor, and who supports them now", "note")
    with transaction.atomic():
        locked = SupportPlan.objects.select_for_update().select_related("person").get(pk=plan.pk)
        upcoming = transition_next(locked, on=timezone.localdate())
        if upcoming is None:
            raise ServiceError("This plan is already an adult's plan: there is no further transition")
        if not upcoming.reached:
            when = f"{upcoming.due_on:%-d %B %Y}" if upcoming.due_on else "a known birthday"
            raise ServiceError(f"The transition is not due until {when}", field="note")
        transition = Transition.objects.create(
            plan=locked,
            from_stage=locked.stage,
            to_stage=upcoming.to_stage,
            recorded_by=acting_user,
            recorded_at=timezone.now(),
            note=cleaned,
        )
        locked.stage = upcoming.to_stage
        locked.save(update_fields=["stage"])
        audit_record(
            event_type=AuditEventType.SUPPORT_PLAN_TRANSITIONED,
            actor=acting_user,
            target_kind="support_plan",
            target_id=locked.pk,
            person_id=locked.person_id,
            detail={"from": transition.from_stage, "to": transition.to_stage},
        )
    plan.stage = upcoming.to_stage
    return transition


def support_plan_close(*, acting_user: User, plan: SupportPlan, reason: str) -> SupportPlan:
    """Close a plan because the survivor no longer wants or needs support (never because of age: a
    plan moves on at 18 and 25, see ``support_plan_transition``)."""
    _require_keeper(acting_user, plan)
    cleaned = _text(reason, "Give the reason for closing the plan", "reason")
    with transaction.atomic():
        updated = SupportPlan.objects.filter(pk=plan.pk, status=PlanStatus.OPEN).update(
            status=PlanStatus.CLOSED, closed_by=acting_user, closed_at=timezone.now(), closed_reason=cleaned
        )
        if not updated:
            raise ServiceError("This support plan is closed")
        audit_record(
            event_type=AuditEventType.SUPPORT_PLAN_CLOSED,
            actor=acting_user,
            target_kind="support_plan",
            target_id=plan.pk,
            person_id=plan.person_id,
            reason=cleaned,
        )
    plan.refresh_from_db()
    return plan


# --- what the plan holds -------------------------------------------------------------------------


def _choice(value: str, choices: type[models.TextChoices], message: str, field: str) -> str:
    if value not in choices.values:
        raise ServiceError(message, field=field)
    return value


def support_service_record(
    *, acting_user: User, plan: SupportPlan, kind: str, status: str, offered_on: dt.date, provider: str = "",
    note: str = "",
) -> SupportService:
    _require_keeper(acting_user, plan)
    _choice(kind, ServiceKind, "Choose the service", "kind")
    _choice(status, ServiceStatus, "Say whether the service was taken up", "status")
    _not_future(offered_on, "it was offered", "offered_on")
    with transaction.atomic():
        service = SupportService.objects.create(
            plan=plan, kind=kind, status=status, offered_on=offered_on, provider=provider.strip(), note=note.strip(),
            recorded_by=acting_user, recorded_at=timezone.now(),
        )
        _audit(acting_user, plan, "service", service.pk, kind=kind, status=status)
    return service


def provider_referral_record(
    *, acting_user: User, plan: SupportPlan, kind: str, provider: str, referred_on: dt.date, note: str = ""
) -> ProviderReferral:
    _require_keeper(acting_user, plan)
    _choice(kind, ServiceKind, "Choose the kind of support", "kind")
    name = _text(provider, "Enter the provider the survivor was referred to", "provider")
    _not_future(referred_on, "of the referral", "referred_on")
    with transaction.atomic():
        referral = ProviderReferral.objects.create(
            plan=plan, kind=kind, provider=name, referred_on=referred_on, note=note.strip(),
            recorded_by=acting_user, recorded_at=timezone.now(),
        )
        _audit(acting_user, plan, "referral", referral.pk, kind=kind)
    return referral


def provider_referral_outcome(
    *, acting_user: User, referral: ProviderReferral, outcome: str, outcome_on: dt.date, note: str = ""
) -> ProviderReferral:
    _require_keeper(acting_user, referral.plan)
    _choice(outcome, ReferralOutcome, "Choose what came of the referral", "outcome")
    if outcome == ReferralOutcome.AWAITING:
        raise ServiceError("Choose what came of the referral", field="outcome")
    _not_future(outcome_on, "of the outcome", "outcome_on")
    if outcome_on < referral.referred_on:
        raise ServiceError("The outcome cannot come before the referral", field="outcome_on")
    with transaction.atomic():
        # Read afresh and locked: the page's copy may predate another worker's outcome, whose note a
        # save of the copy would drop.
        referral = ProviderReferral.objects.select_for_update().select_related("plan").get(pk=referral.pk)
        referral.outcome = outcome
        referral.outcome_on = outcome_on
        if note.strip():
            referral.note = f"{referral.note}\n{note.strip()}".strip()
        referral.save(update_fields=["outcome", "outcome_on", "note"])
        _audit(acting_user, referral.plan, "referral", referral.pk, outcome=outcome)
    return referral


def support_contact_record(
    *, acting_user: User, plan: SupportPlan, kind: str, happened_on: dt.date, note: str = ""
) -> SupportContact:
    """A contact or visit. A survivor who asked not to be contacted is not visited or called: only
    contact they started is recorded."""
    _require_keeper(acting_user, plan)
    _choice(kind, ContactKind, "Choose the kind of contact", "kind")
    _not_future(happened_on, "of the contact", "happened_on")
    if kind in WORKER_STARTED and not contact_allowed(plan.person):
        raise ServiceError(
            "The survivor has asked not to be contacted: record only contact they started", field="kind"
        )
    with transaction.atomic():
        contact = SupportContact.objects.create(
            plan=plan, kind=kind, happened_on=happened_on, note=note.strip(), recorded_by=acting_user,
            recorded_at=timezone.now(),
        )
        _audit(acting_user, plan, "contact", contact.pk, kind=kind)
    return contact


def support_goal_set(*, acting_user: User, plan: SupportPlan, description: str, set_on: dt.date) -> SupportGoal:
    _require_keeper(acting_user, plan)
    text = _text(description, "Describe the goal, in the survivor's words where you can", "description")
    _not_future(set_on, "the goal was set", "set_on")
    with transaction.atomic():
        goal = SupportGoal.objects.create(
            plan=plan, description=text, set_on=set_on, recorded_by=acting_user, recorded_at=timezone.now()
        )
        _audit(acting_user, plan, "goal", goal.pk)
    return goal


def goal_progress_record(
    *, acting_user: User, goal: SupportGoal, status: str, note: str, recorded_on: dt.date
) -> GoalProgress:
    _require_keeper(acting_user, goal.plan)
    _choice(status, GoalStatus, "Say how the goal is going", "status")
    text = _text(note, "Say how the goal is going", "note")
    _not_future(recorded_on, "of the progress", "recorded_on")
    with transaction.atomic():
        progress = GoalProgress.objects.create(
            goal=goal, recorded_on=recorded_on, status=status, note=text, recorded_by=acting_user,
            recorded_at=timezone.now(),
        )
        goal.status = status
        goal.save(update_fields=["status"])
        _audit(acting_user, goal.plan, "goal_progress", progress.pk, goal=goal.pk, status=status)
    return progress


def survivor_words_record(
    *, acting_user: User, plan: SupportPlan, kind: str, words: str, said_on: dt.date
) -> SurvivorWords:
    """The survivor's words exactly as they said them: kept as typed (only surrounding blank space is
    trimmed), never edited afterwards."""
    _require_keeper(acting_user, plan)
    _choice(kind, VoiceKind, "Choose what the words are about", "kind")
    text = words.strip()
    if not text:
        raise ServiceError("Write down what they said, in their words", field="words")
    _not_future(said_on, "they said it", "said_on")
    with transaction.atomic():
        entry = SurvivorWords.objects.create(
            plan=plan, kind=kind, words=text, said_on=said_on, recorded_by=acting_user, recorded_at=timezone.now()
        )
        _audit(acting_user, plan, "words", entry.pk, kind=kind)
    return entry


def sharing_wish_record(
    *, acting_user: User, plan: SupportPlan, what: str, with_whom: str, share: bool, recorded_on: dt.date
) -> SharingWish:
    _require_keeper(acting_user, plan)
    what_text = _text(what, "Say what the survivor wants shared, or not shared", "what")
    whom = _text(with_whom, "Say with whom", "with_whom")
    _not_future(recorded_on, "they said so", "recorded_on")
    with transaction.atomic():
        wish = SharingWish.objects.create(
            plan=plan, what=what_text, with_whom=whom, share=share, recorded_on=recorded_on,
            recorded_by=acting_user, recorded_at=timezone.now(),
        )
        _audit(acting_user, plan, "sharing_wish", wish.pk, share=share)
    return wish


def feedback_record(
    *, acting_user: User, plan: SupportPlan, rating: int, words: str, given_on: dt.date
) -> ServiceFeedback:
    _require_keeper(acting_user, plan)
    if rating not in range(1, 6):
        raise ServiceError("Choose a rating from 1 to 5", field="rating")
    _not_future(given_on, "of the feedback", "given_on")
    with transaction.atomic():
        feedback = ServiceFeedback.objects.create(
            plan=plan, rating=rating, words=words.strip(), given_on=given_on, recorded_by=acting_user,
            recorded_at=timezone.now(),
        )
        _audit(acting_user, plan, "feedback", feedback.pk, rating=rating)
    return feedback


def _names_of(person: Person) -> set[str]:
    """Every name agencies hold for the person (given, family, aliases), lower case, for the check
    that a lived-experience summary is anonymous."""
    names = {person.given_name, person.family_name}
    for record in person.source_records.all().values("given_name", "family_name", "other_names"):
        names |= {record["given_name"], record["family_name"], *record["other_names"].split(";")}
    return {n.strip().lower() for n in names if n and len(n.strip()) > 1}


def lived_experience_record(
    *, acting_user: User, plan: SupportPlan, summary: str, themes: Iterable[str], consent_given: bool,
    written_on: dt.date,
) -> LivedExperience:
    """An anonymised summary the partnership reads in aggregate: only with the survivor's consent, and
    refused if it names them."""
    _require_keeper(acting_user, plan)
    if not consent_given:
        raise ServiceError("Record a summary only when the survivor agrees to it being shared", field="consent_given")
    text = _text(summary, "Write the summary", "summary")
    chosen = list(dict.fromkeys(themes))
    if any(code not in Theme.values for code in chosen):
        raise ServiceError("Choose themes from the list", field="themes")
    words = {w.strip(".,;:!?'\"()").lower() for w in text.split()}
    if words & _names_of(identity.current(plan.person)):
        raise ServiceError("The summary names the survivor: write it so that no one can tell who it is", field="summary")
    _not_future(written_on, "it was written", "written_on")
    with transaction.atomic():
        entry = LivedExperience.objects.create(
            plan=plan, summary=text, themes=chosen, consent_given=True, written_on=written_on,
            recorded_by=acting_user, recorded_at=timezone.now(),
        )
        _audit(acting_user, plan, "lived_experience", entry.pk, themes=chosen)
    return entry


def lived_experience_withdraw(*, acting_user: User, entry: LivedExperience, their_words: str = "") -> LivedExperience:
    """The survivor no longer agrees to the summary being shared: the partnership's reading leaves it out
    from now on. It stays on their plan, marked withdrawn, as part of their record. Recorded by a support
    worker of the agency holding the plan, open or closed: consent may be withdrawn at any time."""
    _require_worker(acting_user)
    if entry.plan.agency_id != acting_user.agency_id:
        raise ServiceError("Only the support workers of the agency holding this plan can change it")
    with transaction.atomic():
        locked = LivedExperience.objects.select_for_update().get(pk=entry.pk)
        if not locked.consent_given:
            raise ServiceError("Consent to share this summary has already been withdrawn")
        locked.consent_given = False
        locked.withdrawn_at, locked.withdrawn_by, locked.withdrawal_words = timezone.now(), acting_user, their_words.strip()
        locked.save(update_fields=["consent_given", "withdrawn_at", "withdrawn_by", "withdrawal_words"])
        _audit(acting_user, entry.plan, "lived_experience_withdrawn", locked.pk)
    return locked


def contact_wish_record(*, acting_user: User, person: Person, no_contact: bool, their_words: str = "") -> ContactWish:
    """The survivor's wish about being contacted (no letters, no e-mails, no calls), honoured by
    everything that contacts people (``support.selectors.contact_allowed``). A new row each time: the
    history of what they asked is kept."""
    _require_worker(acting_user)
    with transaction.atomic():
        wish = ContactWish.objects.create(
            person=identity.current(person), no_contact=no_contact, their_words=their_words.strip(),
            recorded_by=acting_user, recorded_at=timezone.now(),
        )
        audit_record(
            event_type=AuditEventType.CONTACT_WISH_RECORDED,
            actor=acting_user,
            target_kind="contact_wish",
            target_id=wish.pk,
            person_id=wish.person_id,
            detail={"no_contact": no_contact},
        )
    return wish



def support_records_dispose(person: Person) -> dict[str, int]:
    """Dispose of every support record about the person (under any id they have had), for a disposal
    the data protection officer has confirmed (``dataprotection.retention``), inside its transaction.
    Answers what was disposed of, by kind."""
    plans = SupportPlan.objects.filter(identity.same_person("person", person))
    counts: dict[str, int] = {}
    for label, model, field in (
        ("goal progress", GoalProgress, "goal__plan__in"),
        ("goals", SupportGoal, "plan__in"),
        ("transitions", Transition, "plan__in"),
        ("services", SupportService, "plan__in"),
        ("referrals", ProviderReferral, "plan__in"),
        ("contacts", SupportContact, "plan__in"),
        ("words", SurvivorWords, "plan__in"),
        ("sharing wishes", SharingWish, "plan__in"),
        ("feedback", ServiceFeedback, "plan__in"),
        ("lived-experience summaries", LivedExperience, "plan__in"),
    ):
        deleted, _ = model.objects.filter(**{field: plans}).delete()
        counts[label] = deleted
    counts["support plans"], _ = plans.delete()
    counts["contact wishes"], _ = ContactWish.objects.filter(identity.same_person("person", person)).delete()
    return {k: v for k, v in counts.items() if v}
