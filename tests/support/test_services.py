"""Support plans that carry on past 18: opening one, the transitions at 18 and a care leaver's 25 (with
dates either side of the birthday), an adult the hub never held as a child, what a plan holds, and a
survivor's wish not to be contacted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.errors import ServiceError
from safeguarding.people.models import PersonRole, SourceRecord
from safeguarding.support import services
from safeguarding.support.models import ContactKind, GoalStatus, PlanStage, ServiceKind, ServiceStatus, Theme
from safeguarding.support.selectors import contact_allowed
from tests.factories import PersonFactory, UserFactory, merge
from tests.support.conftest import born_years_ago

pytestmark = pytest.mark.django_db


def test_a_childs_plan_moves_on_at_18_and_keeps_everything(worker) -> None:  # type: ignore[no-untyped-def]
    child = PersonFactory(date_of_birth=born_years_ago(18, days_later=1))  # 18 tomorrow
    plan = services.support_plan_open(acting_user=worker, person=child)
    assert plan.stage == PlanStage.CHILD
    words = services.survivor_words_record(
        acting_user=worker, plan=plan, kind="wishes", words="I want to stay with Jo after I'm 18.",
        said_on=timezone.localdate(),
    )
    with pytest.raises(ServiceError, match="not due until"):
        services.support_plan_transition(acting_user=worker, plan=plan, note="Moving to adult support")

    child.date_of_birth = born_years_ago(18)  # 18 today
    child.save(update_fields=["date_of_birth"])
    plan.refresh_from_db()
    transition = services.support_plan_transition(acting_user=worker, plan=plan, note="Jo carries on as her worker")
    plan.refresh_from_db()
    assert (transition.from_stage, transition.to_stage) == (PlanStage.CHILD, PlanStage.ADULT)
    assert plan.stage == PlanStage.ADULT and plan.is_open
    assert plan.words.get() == words
    assert AuditEvent.objects.filter(event_type=AuditEventType.SUPPORT_PLAN_TRANSITIONED, person_id=child.pk).exists()
    with pytest.raises(ServiceError, match="already an adult's plan"):
        services.support_plan_transition(acting_user=worker, plan=plan, note="again")


def test_a_care_leaver_is_supported_to_25_then_as_an_adult(worker) -> None:  # type: ignore[no-untyped-def]
    young = PersonFactory(date_of_birth=born_years_ago(25, days_later=1))  # 24, 25 tomorrow
    plan = services.support_plan_open(acting_user=worker, person=young, care_leaver=True)
    assert plan.stage == PlanStage.CARE_LEAVER
    with pytest.raises(ServiceError, match="not due until"):
        services.support_plan_transition(acting_user=worker, plan=plan, note="25")
    child = PersonFactory(date_of_birth=born_years_ago(18))
    child_plan = services.support_plan_open(acting_user=worker, person=child, care_leaver=True)
    assert child_plan.stage == PlanStage.CARE_LEAVER  # 18 today and left care


def test_a_child_in_care_moves_to_a_care_leavers_plan_at_18(worker) -> None:  # type: ignore[no-untyped-def]
    child = PersonFactory(date_of_birth=born_years_ago(17))
    plan = services.support_plan_open(acting_user=worker, person=child, care_leaver=True)
    child.date_of_birth = born_years_ago(18)
    child.save(update_fields=["date_of_birth"])
    plan.refresh_from_db()
    services.support_plan_transition(acting_user=worker, plan=plan, note="Leaving care: personal adviser named")
    plan.refresh_from_db()
    assert plan.stage == PlanStage.CARE_LEAVER


def test_an_adult_abused_as_a_child_is_supported_without_any_child_record(worker) -> None:  # type: ignore[no-untyped-def]
    person = services.adult_survivor_record(
        acting_user=worker, given_name="Leanne", family_name="Marsh", date_of_birth=dt.date(1991, 6, 2),
        postcode="s65 2ab",
    )
    record = SourceRecord.objects.get(person=person)
    assert record.source_system.is_hub and record.source_system.agency == worker.agency
    assert person.role == PersonRole.ADULT and person.root_id == person.pk and record.postcode == "S65 2AB"
    plan = services.support_plan_open(acting_user=worker, person=person, abused_as_child=True)
    assert plan.stage == PlanStage.ADULT and plan.abused_as_child
    with pytest.raises(ServiceError, match="This is for adults"):
        services.adult_survivor_record(
            acting_user=worker, given_name="Kid", family_name="Young", date_of_birth=timezone.localdate()
        )


def test_only_the_holding_agencys_support_workers_keep_a_plan(worker, agencies) -> None:  # type: ignore[no-untyped-def]
    plan = services.support_plan_open(acting_user=worker, person=PersonFactory())
    nhs_worker = UserFactory(role=Role.SUPPORT_WORKER, agency=agencies[AgencyKind.HEALTH])
    with pytest.raises(ServiceError, match="agency holding this plan"):
        services.support_goal_set(acting_user=nhs_worker, plan=plan, description="x", set_on=timezone.localdate())
    practitioner = UserFactory(role=Role.LEAD_PRACTITIONER, agency=worker.agency)
    with pytest.raises(ServiceError, match="cannot keep survivor support plans"):
        services.support_plan_open(acting_user=practitioner, person=PersonFactory())
    with pytest.raises(ServiceError, match="already holds an open support plan"):
        services.support_plan_open(acting_user=worker, person=plan.person)
    # Another agency may support the same survivor at the same time.
    assert services.support_plan_open(acting_user=nhs_worker, person=plan.person).agency == nhs_worker.agency


def test_two_workers_outcomes_of_one_referral_keep_both_notes(worker) -> None:  # type: ignore[no-untyped-def]
    """Two workers record what came of a referral from pages opened before either: the second's save
    keeps the first's note (before, it was built from the page's copy and dropped it)."""
    today = timezone.localdate()
    plan = services.support_plan_open(acting_user=worker, person=PersonFactory())
    referral = services.provider_referral_record(
        acting_user=worker, plan=plan, kind=ServiceKind.COUNSELLING, provider="Eastwood Counselling",
        referred_on=today - dt.timedelta(days=10), note="Referred after the review",
    )
    first_page, second_page = (type(referral).objects.get(pk=referral.pk) for _ in range(2))
    services.provider_referral_outcome(acting_user=worker, referral=first_page, outcome="accepted",
                                       outcome_on=today - dt.timedelta(days=2), note="Assessment booked for Monday")
    services.provider_referral_outcome(acting_user=worker, referral=second_page, outcome="completed",
                                       outcome_on=today, note="Finished her six sessions")
    referral.refresh_from_db()
    assert referral.note.splitlines() == ["Referred after the review", "Assessment booked for Monday",
                                          "Finished her six sessions"]
    assert referral.outcome == "completed"


def test_services_referrals_goals_and_feedback_are_kept(worker) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    plan = services.support_plan_open(acting_user=worker, person=PersonFactory())
    services.support_service_record(
        acting_user=worker, plan=plan, kind=ServiceKind.ISVA, status=ServiceStatus.TAKEN_UP, offered_on=today
    )
    referral = services.provider_referral_record(
        acting_user=worker, plan=plan, kind=ServiceKind.COUNSELLING, provider="Eastwood Counselling",
        referred_on=today - dt.timedelta(days=10),
    )
    with pytest.raises(ServiceError, match="cannot come before"):
        services.provider_referral_outcome(
            acting_user=worker, referral=referral, outcome="accepted", outcome_on=today - dt.timedelta(days=11)
        )
    services.provider_referral_outcome(acting_user=worker, referral=referral, outcome="accepted", outcome_on=today)
    goal = services.support_goal_set(acting_user=worker, plan=plan, description="Back to college", set_on=today)
    services.goal_progress_record(
        acting_user=worker, goal=goal, status=GoalStatus.ACHIEVED, note="Enrolled", recorded_on=today
    )
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACHIEVED
    with pytest.raises(ServiceError, match="1 to 5"):
        services.feedback_record(acting_user=worker, plan=plan, rating=6, words="", given_on=today)
    with pytest.raises(ServiceError, match="today or in the past"):
        services.survivor_words_record(
            acting_user=worker, plan=plan, kind="feelings", words="x", said_on=today + dt.timedelta(days=1)
        )
    assert plan.services.count() == 1 and plan.referrals.get().outcome == "accepted"


def test_a_survivors_words_are_kept_as_they_said_them(worker) -> None:  # type: ignore[no-untyped-def]
    plan = services.support_plan_open(acting_user=worker, person=PersonFactory())
    said = "nobody listened  when I said it was him.\nNOT my fault"
    entry = services.survivor_words_record(
        acting_user=worker, plan=plan, kind="feelings", words=f"  {said}\n", said_on=timezone.localdate()
    )
    entry.refresh_from_db()
    assert entry.words == said


def test_no_contact_is_honoured_and_follows_the_person_through_a_merge(worker) -> None:  # type: ignore[no-untyped-def]
    survivor = PersonFactory()
    older = PersonFactory()
    plan = services.support_plan_open(acting_user=worker, person=survivor)
    assert contact_allowed(survivor)
    services.contact_wish_record(acting_user=worker, person=survivor, no_contact=True, their_words="Don't write to me")
    assert not contact_allowed(survivor)
    with pytest.raises(ServiceError, match="asked not to be contacted"):
        services.support_contact_record(
            acting_user=worker, plan=plan, kind=ContactKind.PHONE, happened_on=timezone.localdate()
        )
    services.support_contact_record(
        acting_user=worker, plan=plan, kind=ContactKind.MEETING, happened_on=timezone.localdate(), note="Dropped in"
    )
    merge(survivor, into=older)
    assert not contact_allowed(older) and not contact_allowed(older.pk)
    services.contact_wish_record(acting_user=worker, person=older, no_contact=False)
    assert contact_allowed(survivor)


def test_a_lived_experience_summary_needs_consent_and_must_not_name_them(worker) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(given_name="Kayleigh", family_name="Dunmore")
    plan = services.support_plan_open(acting_user=worker, person=person)
    today = timezone.localdate()
    with pytest.raises(ServiceError, match="agrees"):
        services.lived_experience_record(
            acting_user=worker, plan=plan, summary="x", themes=[], consent_given=False, written_on=today
        )
    with pytest.raises(ServiceError, match="names the survivor"):
        services.lived_experience_record(
            acting_user=worker, plan=plan, summary="Kayleigh was not believed.", themes=[Theme.NOT_BELIEVED],
            consent_given=True, written_on=today,
        )
    entry = services.lived_experience_record(
        acting_user=worker, plan=plan, summary="I was not believed until a youth worker listened.",
        themes=[Theme.NOT_BELIEVED, Theme.TRUSTED_ADULT], consent_given=True, written_on=today,
    )
    assert entry.themes == ["not_believed", "trusted_adult"]


def test_closing_needs_a_reason_and_stops_changes(worker) -> None:  # type: ignore[no-untyped-def]
    plan = services.support_plan_open(acting_user=worker, person=PersonFactory())
    with pytest.raises(ServiceError, match="reason"):
        services.support_plan_close(acting_user=worker, plan=plan, reason=" ")
    services.support_plan_close(acting_user=worker, plan=plan, reason="Does not want support now; door left open")
    with pytest.raises(ServiceError, match="closed"):
        services.support_goal_set(acting_user=worker, plan=plan, description="x", set_on=timezone.localdate())
