"""The single view tells the story at a glance (issue 16): the summary at the top, the last two years
by agency, the chronology filtered and paged, an adult's page of its own shape, and words a reader
uses. Each is built per viewer: tested for who may not see a thing as carefully as for who may."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.contexts.services import links_build
from safeguarding.panel.models import PanelReferral
from safeguarding.people.models import EventType, Handling, Person, PersonRole, Relationship, RelationshipType
from safeguarding.workflows.selectors import child_view
from tests.factories import AlertFactory, EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory, sign_in

pytestmark = pytest.mark.django_db


def _page(user: User, person: Person, query: str = "") -> str:
    client = Client()
    sign_in(client, user)
    response = client.get(reverse("people:detail", args=[person.pk]) + query)
    assert response.status_code == 200
    return response.content.decode()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def systems(agencies):  # type: ignore[no-untyped-def]
    return {
        "police": SourceSystemFactory(code="police-niche", agency=agencies[AgencyKind.POLICE]),
        "school": SourceSystemFactory(code="school-sims", agency=agencies[AgencyKind.EDUCATION]),
    }


@pytest.fixture
def child(systems):  # type: ignore[no-untyped-def]
    person = PersonFactory(given_name="Chloe", family_name="Barker", date_of_birth="2012-07-11", sex="F")
    SourceRecordFactory(source_system=systems["police"], record_id="NICHE-1", person=person)
    SourceRecordFactory(source_system=systems["school"], record_id="SIMS-1", person=person)
    return person


def _record(person: Person, system: str) -> object:
    return person.source_records.get(source_system__code=system)


# --- 1. the summary at the top --------------------------------------------------------------------


def test_the_summary_shows_alerts_referral_plan_and_agencies_to_those_allowed(make_user, child) -> None:  # type: ignore[no-untyped-def]
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    AlertFactory(person=child)
    AlertFactory(person=child, status="dismissed")
    referral = PanelReferral.objects.create(child=child, referred_by=triage, referred_at=timezone.now(), reason="Risk")
    page = _page(triage, child)
    glance = _text(page[page.index('id="at-a-glance"'):page.index("</section>", page.index('id="at-a-glance"'))])
    assert "Risk of exploitation Not screened" in glance
    assert "1 open alert" in glance and 'href="#early-warning-alerts"' in page
    assert referral.reference in glance and "waiting for the panel" in glance
    assert reverse("panel:detail", args=[referral.pk]) in page
    assert "Plan No plan" in glance and "Allocated worker Not allocated" in glance
    assert "Police agency" in glance and "Education (schools) agency" in glance

    # A survivor support worker sees the single view but not the panel's referrals, nor the networks.
    support = make_user(role=Role.SUPPORT_WORKER, agency_kind=AgencyKind.COUNCIL)
    page = _page(support, child)
    assert 'id="glance-referral"' not in page and referral.reference not in page
    assert 'id="glance-places"' not in page and 'id="glance-vehicles"' not in page


def test_places_vehicles_and_key_adults_come_from_links_the_viewer_may_see(make_user, agencies, child, systems) -> None:  # type: ignore[no-untyped-def]
    school = _record(child, "school-sims")
    police = _record(child, "police-niche")
    EventFactory(source_record=school, event_type=EventType.SEEN_IN_VEHICLE, vehicle_registration="YA19ABC")
    EventFactory(source_record=school, event_type=EventType.MISSING_EPISODE, location_name="Kebab Palace",
                 location_postcode="S60 1AB")
    # Police intelligence with handling code C names a second car: police-only.
    EventFactory(source_record=police, event_type=EventType.INTELLIGENCE, handling=Handling.CONDITIONS,
                 vehicle_registration="XX11XXX", detail="Seen getting into a grey car")
    adult = PersonFactory(given_name="Dean", family_name="Marsh", role=PersonRole.ADULT, date_of_birth="1990-01-01")
    adult_record = SourceRecordFactory(source_system=systems["school"], person=adult, record_id="SIMS-A")
    Relationship.objects.create(source_system=systems["school"], from_record=adult_record, to_record=school,
                                relationship=RelationshipType.ASSOCIATE)
    links_build(raise_alerts=False)

    council = _page(make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL), child)
    assert "YA19 ABC" in council or "YA19ABC" in council
    assert "Kebab Palace" in _text(council)
    assert "XX11" not in council and "grey car" not in council
    assert "Dean Marsh" in council[council.index('id="glance-adults"'):]
    police_page = _page(make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE), child)
    assert "XX11" in police_page[police_page.index('id="glance-vehicles"'):police_page.index('id="glance-vehicles"') + 800]
    # Without the networks, no vehicles or places at all; the agencies' relationships still name the adult.
    support = _page(make_user(role=Role.SUPPORT_WORKER, agency_kind=AgencyKind.COUNCIL), child)
    assert 'id="glance-vehicles"' not in support and "Kebab Palace" not in support.split('id="chronology"')[0]
    assert "Dean Marsh" in support[support.index('id="glance-adults"'):]


# --- 2. the last two years by agency --------------------------------------------------------------


def test_the_visual_timeline_counts_only_what_the_viewer_may_see(make_user, child) -> None:  # type: ignore[no-untyped-def]
    police, school = _record(child, "police-niche"), _record(child, "school-sims")
    now = timezone.now()
    EventFactory(source_record=school, event_type=EventType.ABSENT_FROM_SCHOOL, occurred_at=now - dt.timedelta(days=40))
    EventFactory(source_record=school, event_type=EventType.ABSENT_FROM_SCHOOL, occurred_at=now - dt.timedelta(days=41))
    EventFactory(source_record=police, event_type=EventType.INTELLIGENCE, handling=Handling.CONDITIONS,
                 occurred_at=now - dt.timedelta(days=100))
    EventFactory(source_record=school, occurred_at=now - dt.timedelta(days=800))  # more than two years ago

    council = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    rows = {row.agency: row.total for row in child_view(user=council, person=child).activity.rows}
    assert rows == {"Education (schools) agency": 2}  # no mark and no count for the restricted police event
    page = _page(council, child)
    chart = page[page.index('id="activity"'):page.index('id="chronology"')]
    assert 'role="img"' in chart and "<title" in chart and "<desc" in chart
    assert "Police agency" not in chart
    assert "Education (schools) agency: 2" in chart  # the description, and a row in the table beside it

    police_user = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE)
    rows = {row.agency: row.total for row in child_view(user=police_user, person=child).activity.rows}
    assert rows == {"Education (schools) agency": 2, "Police agency": 1}
    chart = _page(police_user, child)
    assert "Police agency: 1 in" in chart


# --- 3. the chronology, filtered and paged ----------------------------------------------------------


@pytest.fixture
def busy_child(child):  # type: ignore[no-untyped-def]
    police, school = _record(child, "police-niche"), _record(child, "school-sims")
    now = timezone.now()
    for i in range(70):
        EventFactory(source_record=school, event_type=EventType.ABSENT_FROM_SCHOOL, occurred_at=now - dt.timedelta(days=i + 1))
    for i in range(30):
        EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE, occurred_at=now - dt.timedelta(days=i + 1, hours=3))
    EventFactory(source_record=police, event_type=EventType.INTELLIGENCE, handling=Handling.CONDITIONS,
                 occurred_at=now - dt.timedelta(days=2), detail="Restricted police detail")
    return child


def test_the_chronology_is_paged_with_the_true_count(make_user, busy_child) -> None:  # type: ignore[no-untyped-def]
    council = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    page = _text(_page(council, busy_child))
    assert "100 entries" in page and "Page 1 of 2" in page
    second = _page(council, busy_child, "?page=2")
    assert _text(second).count("by Education (schools) agency") + _text(second).count("by Police agency") == 50
    assert "Restricted police detail" not in second and "Restricted police detail" not in _page(council, busy_child)
    police_user = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE)
    assert "101 entries" in _text(_page(police_user, busy_child))


def test_the_chronology_filters_by_agency_kind_and_period_on_the_server(make_user, agencies, busy_child) -> None:  # type: ignore[no-untyped-def]
    council = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    police_code = agencies[AgencyKind.POLICE].code
    page = _text(_page(council, busy_child, f"?agency={police_code}"))
    assert "30 entries match the filters" in page and "by Education (schools) agency" not in page
    page = _text(_page(council, busy_child, "?kind=absent_from_school"))
    assert "70 entries match the filters" in page and "Page 1 of 2" in page
    # The restricted kind is no choice for a viewer who may not see it, and asking for it finds nothing.
    html = _page(council, busy_child)
    assert 'value="intelligence"' not in html
    assert "100 entries" in _text(_page(council, busy_child, "?kind=intelligence"))  # not a choice: not applied
    start = timezone.localdate() - dt.timedelta(days=10)
    end = timezone.localdate() - dt.timedelta(days=6)
    query = f"?from_0={start.day}&from_1={start.month}&from_2={start.year}&to_0={end.day}&to_1={end.month}&to_2={end.year}"
    listing = child_view(user=council, person=busy_child, query=_query(query)).chronology
    assert all(start <= timezone.localtime(e.when).date() <= end for e in listing.items)
    assert listing.total == len(listing.items) and 5 <= listing.total <= 10
    # A date that is not a date is reported, never guessed.
    page = _text(_page(council, busy_child, "?from_0=31&from_1=2&from_2=2025"))
    assert "Enter a real date" in page and "100 entries" in page


def _query(text: str):  # type: ignore[no-untyped-def]
    from django.http import QueryDict

    return QueryDict(text.lstrip("?"))


def test_the_chronology_of_two_thousand_events_is_read_in_a_fixed_number_of_queries(  # type: ignore[no-untyped-def]
    make_user, child, django_assert_max_num_queries
) -> None:
    from safeguarding.people.models import Event

    school = _record(child, "school-sims")
    now = timezone.now()
    Event.objects.bulk_create([
        Event(source_system=school.source_system, source_record=school, event_id=f"B{i}",
              event_type=EventType.ABSENT_FROM_SCHOOL, occurred_at=now - dt.timedelta(hours=i * 7))
        for i in range(2000)
    ])
    council = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    client = Client()
    sign_in(client, council)
    with django_assert_max_num_queries(45):
        response = client.get(reverse("people:detail", args=[child.pk]) + "?page=3")
    page = _text(response.content.decode())
    assert "2,000 entries" in page and "Page 3 of 40" in page


# --- 4. an adult's page --------------------------------------------------------------------------


def test_an_adults_page_lists_the_children_linked_to_them_and_no_screening(make_user, child, systems) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.dataprotection.sealing import record_seal

    adult = PersonFactory(given_name="Dean", family_name="Marsh", role=PersonRole.ADULT, date_of_birth="1990-01-01")
    adult_record = SourceRecordFactory(source_system=systems["police"], person=adult, record_id="NICHE-A")
    Relationship.objects.create(source_system=systems["police"], from_record=adult_record,
                                to_record=_record(child, "police-niche"), relationship=RelationshipType.ASSOCIATE)
    witness = PersonFactory(given_name="Bella", family_name="Witness")
    witness_record = SourceRecordFactory(source_system=systems["police"], person=witness, record_id="NICHE-W")
    Relationship.objects.create(source_system=systems["police"], from_record=adult_record, to_record=witness_record,
                                relationship=RelationshipType.ASSOCIATE)
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    named = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE)
    with transaction.atomic():
        record_seal(acting_user=dpo, person=witness, reason="A witness", named_users=[named])

    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    page = _page(triage, adult)
    children = page[page.index('id="linked-children"'):page.index("</section>", page.index('id="linked-children"'))]
    assert reverse("people:detail", args=[child.pk]) in children and "Chloe Barker" in children
    assert "11 July 2012" in children
    assert "Bella" not in page and "A restricted record" in children
    assert reverse("people:detail", args=[witness.pk]) not in page
    # The page's audit names the child it showed beside the adult, and not the sealed witness.
    from safeguarding.audit.models import AuditEvent, AuditEventType

    shown = AuditEvent.objects.get(event_type=AuditEventType.PERSONS_LISTED, actor=triage)
    assert shown.detail["persons"] == [child.root_id]
    assert "Raise a concern about this child" not in page
    assert "Risk of exploitation" not in page and 'id="glance-referral"' not in page
    assert "Allocate the child" not in page and "Record a return home interview" not in page
    # Someone the seal names sees the witness by name, with a link.
    assert reverse("people:detail", args=[witness.pk]) in _page(named, adult)
    # A child's page has no such table.
    assert 'id="linked-children"' not in _page(triage, child)


def test_a_police_suspects_link_to_a_sealed_child_is_not_hinted_at_outside_the_police(make_user, systems) -> None:  # type: ignore[no-untyped-def]
    """A police record naming the adult as a sealed child's suspected perpetrator is police-only: its
    "A restricted record" row would tell others the police suspect him of something."""
    from safeguarding.dataprotection.sealing import record_seal

    adult = PersonFactory(given_name="Dean", family_name="Marsh", role=PersonRole.ADULT, date_of_birth="1990-01-01")
    adult_record = SourceRecordFactory(source_system=systems["police"], person=adult, record_id="NICHE-A")
    victim = PersonFactory(given_name="Bella", family_name="Witness")
    Relationship.objects.create(
        source_system=systems["police"], from_record=adult_record, relationship=RelationshipType.SUSPECTED_PERPETRATOR,
        to_record=SourceRecordFactory(source_system=systems["police"], person=victim, record_id="NICHE-V"))
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    with transaction.atomic():
        record_seal(acting_user=dpo, person=victim, reason="A witness",
                    named_users=[make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE)])

    council = _page(make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL), adult)
    police = _page(make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE), adult)

    assert "A restricted record" not in council and "No child is linked to Dean Marsh in anything you can see" in council
    assert "A restricted record" in police and "Bella" not in police


# --- 5. words ------------------------------------------------------------------------------------


def test_dates_of_birth_and_sex_are_in_words(make_user, child) -> None:  # type: ignore[no-untyped-def]
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    page = _text(_page(triage, child))
    assert "Date of birth 11 July 2012" in page and "Sex Female" in page
    assert "2012-07-11" not in page
    client = Client()
    sign_in(client, triage)
    results = _text(client.get(reverse("people:search"), {"family_name": "Barker"}).content.decode())
    assert "11 July 2012" in results and "Female" in results


def test_the_summary_shows_the_risk_level_in_force_and_since_when(make_user, child) -> None:  # type: ignore[no-untyped-def]
    from tests.screening.conftest import screen

    screen(make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL), child, "high")
    page = _page(make_user(role=Role.SUPPORT_WORKER, agency_kind=AgencyKind.COUNCIL), child)
    level = _text(page[page.index('id="glance-level"'):page.index("</dd>", page.index('id="glance-level"'))])
    assert f"High risk since {timezone.localdate().day} " in level


_WHOM = "not shared with your agency. If you need it, contact the police safeguarding team."


def test_the_single_view_says_the_same_to_everyone_outside_the_police_whatever_the_police_hold(  # type: ignore[no-untyped-def]
    make_user, child, systems
) -> None:
    """Before, "The police hold intelligence about this person" appeared only when they did: on an adult's
    page, a tip-off. Now every person's page says the same sentence to every reader outside the police
    (as the networks do); the police read none."""
    suspect = PersonFactory(given_name="Tariq", family_name="Noon", role=PersonRole.ADULT, date_of_birth="1979-02-02")
    suspect_record = SourceRecordFactory(source_system=systems["police"], person=suspect, record_id="NICHE-S")
    Relationship.objects.create(source_system=systems["police"], from_record=suspect_record,
                                to_record=_record(child, "police-niche"),
                                relationship=RelationshipType.SUSPECTED_PERPETRATOR)
    other = PersonFactory(given_name="Uma", family_name="Vale", role=PersonRole.ADULT, date_of_birth="1979-02-02")
    SourceRecordFactory(source_system=systems["school"], person=other, record_id="SIMS-U")
    council = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    police = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE)
    sentences = set()
    for person in (suspect, other):  # the police hold a suspect row about one, nothing about the other
        page = _page(council, person)
        assert page.count(_WHOM) == 1
        start = page.rindex('<div class="govuk-inset-text"', 0, page.index(_WHOM))
        sentences.add(page[page.index(">", start):page.index("</div>", start)])
        assert _WHOM not in _page(police, person)
    assert len(sentences) == 1


def test_a_suspected_perpetrator_named_by_the_police_is_shown_only_to_police_casework_staff(  # type: ignore[no-untyped-def]
    make_user, child, systems
) -> None:
    suspect = PersonFactory(given_name="Tariq", family_name="Noon", role=PersonRole.ADULT, date_of_birth="1979-02-02")
    suspect_record = SourceRecordFactory(source_system=systems["police"], person=suspect, record_id="NICHE-S")
    Relationship.objects.create(source_system=systems["police"], from_record=suspect_record,
                                to_record=_record(child, "police-niche"),
                                relationship=RelationshipType.SUSPECTED_PERPETRATOR)
    council = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    page = _page(council, child)
    assert "Tariq" not in page and "suspected perpetrator" not in page
    assert "The police may hold intelligence about this person that is not shared with your agency" in page
    # Nor does the suspect's own page name the child to others.
    assert "Chloe" not in _page(council, suspect)
    police = _page(make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE), child)
    assert "Tariq Noon" in police[police.index('id="glance-adults"'):] and "suspected perpetrator" in police


@pytest.mark.parametrize(("role", "agency_kind", "sees"), [
    (Role.TRIAGE_WORKER, AgencyKind.COUNCIL, False),
    (Role.SUPPORT_WORKER, AgencyKind.VOLUNTARY, False),
    (Role.LEAD_PRACTITIONER, AgencyKind.HEALTH, False),
    (Role.TRIAGE_WORKER, AgencyKind.POLICE, True),
])
def test_a_police_event_of_any_type_marked_c_stays_with_the_police(make_user, child, role, agency_kind, sees) -> None:  # type: ignore[no-untyped-def]
    # Handling code C is the police's word that the record goes no further without conditions, whatever
    # kind of event it is: a sighting with an adult marked C is as restricted as intelligence.
    police, school = _record(child, "police-niche"), _record(child, "school-sims")
    EventFactory(source_record=police, event_type=EventType.FOUND_WITH_ADULT, handling=Handling.CONDITIONS,
                 detail="Found at a flat on Mill Lane with Darren, 34")
    EventFactory(source_record=police, event_type=EventType.MISSING_EPISODE, handling=Handling.SHAREABLE,
                 detail="Missing overnight")
    EventFactory(source_record=school, event_type=EventType.ABSENT_FROM_SCHOOL, detail="Absent all day")
    page = _text(_page(make_user(role=role, agency_kind=agency_kind), child))
    assert "Missing overnight" in page and "Absent all day" in page
    assert ("Mill Lane" in page) is sees
