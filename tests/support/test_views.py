"""The support pages as a user meets them: opening a plan from a person's record, adding to it, the
single view's flag, and who may not see a plan."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.core.errors import ServiceError
from safeguarding.support import services
from safeguarding.support.models import SupportPlan
from tests.factories import PersonFactory, UserFactory, sign_in

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    sign_in(client, user)
    return client


def _date(prefix: str, day) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {f"{prefix}_0": str(day.day), f"{prefix}_1": str(day.month), f"{prefix}_2": str(day.year)}


def test_a_worker_opens_a_plan_from_the_single_view_and_records_their_words(worker) -> None:  # type: ignore[no-untyped-def]
    child = PersonFactory(given_name="Chloe", family_name="Barker")
    client = _client(worker)
    single = client.get(reverse("people:detail", args=[child.pk])).content.decode()
    assert reverse("support:open", args=[child.pk]) in single
    response = client.post(reverse("support:open", args=[child.pk]), {})
    plan = SupportPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("support:detail", args=[plan.pk])
    today = timezone.localdate()
    empty = client.post(reverse("support:add", args=[plan.pk, "words"]), {"kind": "feelings"})
    assert "Write down what they said, in their words" in empty.content.decode()
    client.post(
        reverse("support:add", args=[plan.pk, "words"]),
        {"kind": "feelings", "words": "I felt like nobody believed me.", **_date("said_on", today)},
    )
    page = client.get(reverse("support:detail", args=[plan.pk])).content.decode()
    assert "I felt like nobody believed me." in page and "Chloe Barker" in page


def test_another_agencys_worker_and_other_roles_find_no_plan(worker, agencies) -> None:  # type: ignore[no-untyped-def]
    plan = services.support_plan_open(acting_user=worker, person=PersonFactory())
    for user in (
        UserFactory(role=Role.SUPPORT_WORKER, agency=agencies[AgencyKind.HEALTH]),
        UserFactory(role=Role.LEAD_PRACTITIONER, agency=worker.agency),
        UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL]),
    ):
        assert _client(user).get(reverse("support:detail", args=[plan.pk])).status_code == 404
    missing = _client(worker).get(reverse("support:detail", args=[plan.pk + 100]))
    assert missing.status_code == 404


def test_the_single_view_shows_who_holds_a_plan_and_the_no_contact_flag(worker, agencies) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory()
    plan = services.support_plan_open(acting_user=worker, person=person)
    services.survivor_words_record(
        acting_user=worker, plan=plan, kind="wishes", words="private-words-of-the-survivor", said_on=timezone.localdate()
    )
    services.contact_wish_record(acting_user=worker, person=person, no_contact=True)
    triage = UserFactory(role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.COUNCIL])
    page = _client(triage).get(reverse("people:detail", args=[person.pk])).content.decode()
    assert "No contact: they have asked not to be contacted" in page
    assert worker.agency.name in page
    assert "private-words-of-the-survivor" not in page and reverse("support:detail", args=[plan.pk]) not in page


def test_lived_experience_is_read_without_who_it_came_from(worker, agencies) -> None:  # type: ignore[no-untyped-def]
    person = PersonFactory(given_name="Kayleigh", family_name="Dunmore")
    plan = services.support_plan_open(acting_user=worker, person=person)
    services.lived_experience_record(
        acting_user=worker, plan=plan, summary="A youth worker believed me.", themes=["trusted_adult"],
        consent_given=True, written_on=timezone.localdate(),
    )
    scrutineer = UserFactory(role=Role.PARTNERSHIP_MANAGER, agency=agencies[AgencyKind.COUNCIL])
    page = _client(scrutineer).get(reverse("support:lived-experience")).content.decode()
    assert "A youth worker believed me." in page and "A trusted adult made the difference" in page
    assert "Dunmore" not in page and plan.reference not in page
    referrer = UserFactory(role=Role.REFERRER, agency=agencies[AgencyKind.EDUCATION])
    assert _client(referrer).get(reverse("support:lived-experience")).status_code == 403


def test_a_survivor_withdraws_consent_and_the_partnership_stops_reading_their_summary(  # type: ignore[no-untyped-def]
    worker, agencies
) -> None:
    """Consent may be withdrawn at any time, after the plan has closed too: the summary leaves the
    partnership's reading at once and stays on the plan, marked withdrawn. Only the holding agency's
    support workers may record it."""
    plan = services.support_plan_open(acting_user=worker, person=PersonFactory())
    entry = services.lived_experience_record(
        acting_user=worker, plan=plan, summary="A youth worker believed me.", themes=["trusted_adult"],
        consent_given=True, written_on=timezone.localdate(),
    )
    services.support_plan_close(acting_user=worker, plan=plan, reason="Support ended well")
    scrutineer = UserFactory(role=Role.PARTNERSHIP_MANAGER, agency=agencies[AgencyKind.COUNCIL])
    reading = reverse("support:lived-experience")
    assert "A youth worker believed me." in _client(scrutineer).get(reading).content.decode()
    withdraw = reverse("support:lived-experience-withdraw", args=[plan.pk, entry.pk])
    other = UserFactory(role=Role.SUPPORT_WORKER, agency=agencies[AgencyKind.HEALTH])
    assert _client(other).post(withdraw, {"their_words": ""}).status_code == 404

    client = _client(worker)
    assert client.post(withdraw, {"their_words": "I don't want it used now"}).status_code == 302

    assert "A youth worker believed me." not in _client(scrutineer).get(reading).content.decode()
    page = client.get(reverse("support:detail", args=[plan.pk])).content.decode()
    assert "A youth worker believed me." in page and "Consent withdrawn" in page
    assert "I don&#x27;t want it used now" in page
    assert client.get(withdraw).status_code == 404  # withdrawn once
    with pytest.raises(ServiceError, match="Only the support workers of the agency holding this plan"):
        services.lived_experience_withdraw(acting_user=other, entry=entry)


def test_progress_on_a_goal_and_what_came_of_a_referral_are_recorded_on_their_pages(worker, agencies) -> None:  # type: ignore[no-untyped-def]
    """Each is found through its plan: another agency's support worker is answered not found."""
    plan = services.support_plan_open(acting_user=worker, person=PersonFactory())
    today = timezone.localdate()
    goal = services.support_goal_set(acting_user=worker, plan=plan, description="Back at college", set_on=today)
    referral = services.provider_referral_record(acting_user=worker, plan=plan, kind="counselling",
                                                 provider="Harbour Counselling", referred_on=today)
    day = {"_0": str(today.day), "_1": str(today.month), "_2": str(today.year)}
    client = _client(worker)
    other = _client(UserFactory(role=Role.SUPPORT_WORKER, agency=agencies[AgencyKind.HEALTH]))
    progress = reverse("support:goal-progress", args=[plan.pk, goal.pk])
    outcome = reverse("support:referral-outcome", args=[plan.pk, referral.pk])

    assert "Record progress on a goal" in client.get(progress).content.decode()
    assert "What came of the referral to Harbour Counselling" in client.get(outcome).content.decode()
    assert other.get(progress).status_code == 404 and other.get(outcome).status_code == 404
    assert client.post(progress, {"status": "working", "note": "Enrolled",
                                  **{f"recorded_on{k}": v for k, v in day.items()}}).status_code == 302
    assert client.post(outcome, {"outcome": "accepted", **{f"outcome_on{k}": v for k, v in day.items()}}).status_code == 302

    goal.refresh_from_db()
    referral.refresh_from_db()
    assert goal.progress.get().note == "Enrolled" and referral.outcome == "accepted"
    assert client.get(reverse("support:goal-progress", args=[plan.pk, 999999])).status_code == 404
