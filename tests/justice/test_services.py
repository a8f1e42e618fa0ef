"""Investigations and operations, disruption and its outcomes, arrests to sentences, and the counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.core.errors import ServiceError
from safeguarding.justice import selectors, services
from safeguarding.people.models import PersonRole
from tests.factories import PersonFactory, merge

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 1)


@pytest.fixture
def officer(make_user):  # type: ignore[no-untyped-def]
    return make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)


def _adult():  # type: ignore[no-untyped-def]
    return PersonFactory(role=PersonRole.ADULT, date_of_birth="1975-05-05", given_name="Xavier")


def test_a_notice_judges_its_child_and_adult_on_the_day_it_was_served(officer) -> None:  # type: ignore[no-untyped-def]
    """As the network chart it is recorded from: by the date of birth on the day. He was sent by the police at
    17 ("child") and was 18 when the notice was served; she was sent as an adult and was 15."""
    grown = PersonFactory(role=PersonRole.CHILD, date_of_birth="2007-01-01", given_name="Kyle")
    girl = PersonFactory(role=PersonRole.ADULT, date_of_birth="2010-02-02", given_name="Bella")
    with pytest.raises(ServiceError, match="against is recorded as a child"):
        services.disruption_record(acting_user=officer, kind="cawn", adult=grown, child=girl,
                                   served_on=dt.date(2024, 12, 31), detail="Served at home")
    notice = services.disruption_record(acting_user=officer, kind="cawn", adult=grown, child=girl, served_on=TODAY,
                                        detail="Served at home")
    assert (notice.adult_id, notice.child_id) == (grown.pk, girl.pk)


def test_a_child_victim_may_be_an_adult_now_and_a_child_at_risk_is_a_child_today(officer) -> None:  # type: ignore[no-untyped-def]
    """A non-recent investigation's survivors were abused as children and are adults now: they are its child
    victims. A child at risk is a child today, judged by the date of birth before the records' role."""
    operation = services.operation_open(acting_user=officer, name="Operation Stovewood", kind="investigation",
                                        summary="Non-recent group-based CSE, 1997-2013", opened_on=dt.date(2014, 12, 1))
    survivor = PersonFactory(role=PersonRole.ADULT, date_of_birth="1986-04-04", given_name="Jessica")
    held_as_adult = PersonFactory(role=PersonRole.ADULT, date_of_birth="2011-09-09", given_name="Tyler")
    grown = PersonFactory(role=PersonRole.CHILD, date_of_birth="2001-01-01", given_name="Ryan")
    services.operation_add_subject(acting_user=officer, operation=operation, person=survivor, role="child_victim")
    services.operation_add_subject(acting_user=officer, operation=operation, person=held_as_adult, role="child_at_risk")
    with pytest.raises(ServiceError, match="adult today"):
        services.operation_add_subject(acting_user=officer, operation=operation, person=grown, role="child_at_risk")
    child = PersonFactory()
    services.operation_add_subject(acting_user=officer, operation=operation, person=child, role="child_victim")
    page = selectors.operation_page(user=officer, operation=operation)
    assert {s.person_id for s in page.subjects if s.pk in page.victims_adult_now} == {survivor.pk}


def test_a_child_abduction_warning_notice_names_the_child_and_records_its_breaches(officer) -> None:  # type: ignore[no-untyped-def]
    adult, child = _adult(), PersonFactory()
    with pytest.raises(ServiceError, match="names the child"):
        services.disruption_record(acting_user=officer, kind="cawn", adult=adult, child=None, served_on=TODAY,
                                   detail="Served at home")
    with pytest.raises(ServiceError, match=r"recorded as (a child|an adult)"):
        services.disruption_record(acting_user=officer, kind="cawn", adult=child, child=adult, served_on=TODAY,
                                   detail="Served at home")
    notice = services.disruption_record(acting_user=officer, kind="cawn", adult=adult, child=child, served_on=TODAY,
                                        expires_on=TODAY + dt.timedelta(days=730), detail="Served at home by PC 123")
    services.disruption_outcome_record(acting_user=officer, disruption=notice, kind="breach",
                                       on=TODAY + dt.timedelta(days=20), detail="Seen with the child in his car")
    with pytest.raises(ServiceError, match="referral to licensing"):
        services.disruption_outcome_record(acting_user=officer, disruption=notice, kind="revocation",
                                           on=TODAY + dt.timedelta(days=30))
    assert [o.kind for o in notice.outcomes.all()] == ["breach"]


def test_a_licensing_referral_ends_in_a_revocation(officer) -> None:  # type: ignore[no-untyped-def]
    referral = services.disruption_record(acting_user=officer, kind="licensing_referral", adult=_adult(), child=None,
                                          served_on=TODAY, detail="Referred to taxi licensing")
    services.disruption_outcome_record(acting_user=officer, disruption=referral, kind="suspension", on=TODAY)
    services.disruption_outcome_record(acting_user=officer, disruption=referral, kind="revocation",
                                       on=TODAY + dt.timedelta(days=14))
    figures = selectors.outcome_figures(user=officer)
    assert figures.disruptions_by_kind["Referral to licensing"] == 1
    assert figures.disruption_outcomes["Licence revoked"] == 1 and figures.disruption_outcomes["Licence suspended"] == 1


def test_a_referral_to_licensing_reaches_the_licensing_team_at_once_naming_no_one(officer, make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.notifications.models import Notification, NotificationKind

    licensing_officer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.LICENSING)
    council = make_user(role=Role.AGENCY_MANAGER, agency_kind=AgencyKind.COUNCIL)
    adult = _adult()
    notice = services.disruption_record(acting_user=officer, kind="cawn", adult=adult, child=PersonFactory(),
                                        served_on=TODAY, detail="Served at home")
    assert not Notification.objects.exists()  # only a referral to licensing is theirs
    referral = services.disruption_record(acting_user=officer, kind="licensing_referral", adult=adult, child=None,
                                          served_on=TODAY, detail="Xavier drives taxi plate 1234 for Star Cars")
    [told] = Notification.objects.filter(kind=NotificationKind.LICENSING_REFERRAL)
    assert told.recipient == licensing_officer and referral.reference in told.subject and notice.pk != referral.pk
    assert officer.display_name in told.body and "Xavier" not in told.body and "Star Cars" not in told.body
    # With a safeguarding manager there, the manager hears rather than everyone.
    manager = make_user(role=Role.AGENCY_MANAGER, agency_kind=AgencyKind.LICENSING)
    services.disruption_record(acting_user=officer, kind="licensing_referral", adult=adult, child=None,
                               served_on=TODAY, detail="Second referral")
    assert [n.recipient for n in Notification.objects.filter(kind=NotificationKind.LICENSING_REFERRAL)
            .order_by("pk")] == [licensing_officer, manager]
    assert not Notification.objects.filter(recipient=council).exists()


def test_outcomes_count_per_operation_and_per_month(officer) -> None:  # type: ignore[no-untyped-def]
    operation = services.operation_open(acting_user=officer, name="Operation Stovewood", kind="operation",
                                        summary="Group-based CSE", opened_on=dt.date(2025, 1, 10))
    other = services.operation_open(acting_user=officer, name="Operation Linden", kind="investigation",
                                    summary="County lines", opened_on=dt.date(2025, 2, 1))
    adults = [_adult() for _ in range(3)]
    child = PersonFactory()
    for adult in adults:
        services.operation_add_subject(acting_user=officer, operation=operation, person=adult, role="suspect")
    services.operation_add_subject(acting_user=officer, operation=operation, person=child, role="child_victim")
    with pytest.raises(ServiceError, match="adult today"):
        services.operation_add_subject(acting_user=officer, operation=operation, person=adults[0], role="child_at_risk")
    for adult in adults:
        services.justice_outcome_record(acting_user=officer, person=adult, kind="arrest", on=dt.date(2025, 3, 3),
                                        offence="Rape of a child under 13", operation=operation)
    services.justice_outcome_record(acting_user=officer, person=adults[0], kind="charge", on=dt.date(2025, 4, 1),
                                    offence="Rape of a child under 13", operation=operation)
    with pytest.raises(ServiceError, match="sentence"):
        services.justice_outcome_record(acting_user=officer, person=adults[0], kind="sentence", on=dt.date(2025, 5, 1),
                                        offence="Rape", operation=operation)
    services.justice_outcome_record(acting_user=officer, person=_adult(), kind="arrest", on=dt.date(2025, 4, 2),
                                    offence="Supplying class A", operation=other)
    listed = {o.name: (o.subjects_count, o.arrests, o.charges, o.convictions) for o in selectors.operations_list(user=officer)}
    assert listed == {"Operation Stovewood": (4, 3, 1, 0), "Operation Linden": (0, 1, 0, 0)}
    figures = selectors.outcome_figures(user=officer)
    assert figures.by_kind == {"Arrest": 4, "Charge": 1, "Conviction": 0, "Sentence": 0}
    assert [(month.month, counts["Arrest"], counts["Charge"]) for month, counts in figures.by_month] == [
        (3, 3, 0), (4, 1, 1)]


def test_a_persons_disruption_and_outcomes_follow_them_through_a_merge(officer) -> None:  # type: ignore[no-untyped-def]
    adult, older = _adult(), _adult()
    services.disruption_record(acting_user=officer, kind="shpo", adult=adult, child=None, served_on=TODAY,
                               detail="Order made at Crown Court")
    services.justice_outcome_record(acting_user=officer, person=adult, kind="conviction", on=TODAY, offence="x")
    merge(adult, into=older)
    disruptions, outcomes = selectors.for_person(user=officer, person=older)
    assert len(disruptions) == 1 and len(outcomes) == 1


def test_only_those_who_record_disruption_may(make_user) -> None:  # type: ignore[no-untyped-def]
    support = make_user(role=Role.SUPPORT_WORKER, agency_kind=AgencyKind.VOLUNTARY)
    with pytest.raises(ServiceError):
        services.operation_open(acting_user=support, name="x", kind="operation", summary="y", opened_on=TODAY)
    assert list(selectors.operations_list(user=support)) == []
    with pytest.raises(ServiceError, match="today or in the past"):
        services.operation_open(acting_user=make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL),
                                name="x", kind="operation", summary="y",
                                opened_on=timezone.localdate() + dt.timedelta(days=2))
