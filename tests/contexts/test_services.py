"""Building links from the agencies' records, new-link alerts, information from practitioners,
graded intelligence and disclosures, and work on contexts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db.models import Q
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.contexts import services
from safeguarding.contexts.models import Entity, EntityKind, Link, LinkNature
from safeguarding.core.errors import ServiceError
from safeguarding.earlywarning.models import Alert
from safeguarding.people.models import Event, EventType, Person, PersonRole, SourceRecord
from tests.contexts.conftest import RESTRICTED_REG, Partnership, World
from tests.factories import AlertFactory, RuleFactory, SourceRecordFactory, merge, sign_in

pytestmark = pytest.mark.django_db


def _new_link_alerts(code: str) -> list[Alert]:
    return list(Alert.objects.filter(rule__code=code).order_by("pk"))


def test_a_second_child_seen_in_a_vehicle_raises_an_alert_with_both_records_as_evidence(world: World) -> None:
    result = services.links_build()
    vehicle = Entity.objects.get(kind=EntityKind.VEHICLE, key="YA19ABC")
    assert vehicle.label == "YA19 ABC"
    assert Link.objects.filter(entity=vehicle).count() == 2
    alerts = _new_link_alerts("new-link-shared-entity")
    on_b = [a for a in alerts if a.person_id == world.child_b.pk]
    assert len(on_b) == 1 and on_b[0] in result.alerts
    assert "YA19 ABC" in on_b[0].explanation and f"P{world.child_a.pk:07d}" in on_b[0].explanation
    assert on_b[0].evidence.count() == 2
    assert not [a for a in alerts if a.person_id == world.child_a.pk]  # the first child is not a *second* child
    assert AuditEvent.objects.filter(event_type=AuditEventType.LINKS_BUILT).count() == 1


def test_a_new_link_alert_says_its_rule_is_not_back_tested_not_that_it_flagged_no_one(world: World, make_user) -> None:  # type: ignore[no-untyped-def]
    """The audit as an analyst: the back-test replays the agencies' events, which raise no new-link alert,
    so it stored 0 flagged for these rules; the alert said "Of the children this rule flagged ... there
    were none" (itself one), the queue "not back-tested yet", and the rule's test "would flag 0"."""
    from django.test import Client
    from django.urls import reverse

    from safeguarding.earlywarning.models import RulePrecision
    from safeguarding.earlywarning.services import rule_precision_refresh

    services.links_build()
    [alert] = [a for a in _new_link_alerts("new-link-shared-entity") if a.person_id == world.child_b.pk]
    rule_precision_refresh()
    assert not RulePrecision.objects.filter(rule=alert.rule).exists()
    coordinator = sign_in(Client(), make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.POLICE))
    page = coordinator.get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()
    assert "Not back-tested: this rule is raised when links are built" in page and "there were none" not in page
    queue = coordinator.get(reverse("earlywarning:queue")).content.decode()
    assert "not back-tested: raised as links are built" in queue
    admin = sign_in(Client(), make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL))
    rule_page = admin.get(reverse("rules:edit", args=[alert.rule.code])).content.decode()
    assert 'value="test"' not in rule_page and "cannot rebuild the links" in rule_page


def test_two_children_found_at_the_same_home_after_going_missing_raise_no_alert(partnership: Partnership) -> None:
    """Missing episodes alone are not a sign of exploitation (DOMAIN.md): two children who run from
    the same children's home and are found there are not linked by it. A third child seen at that
    address with an adult is, to the first child found there."""
    p = partnership
    first, record_first = p.person(p.council, "CS-1", given="Amber")
    _second, record_second = p.person(p.council, "CS-2", given="Bella")
    home = {"location_name": "Oak Lodge children's home", "location_postcode": "S60 2BB"}
    p.event(record_first, EventType.MISSING_EPISODE, days=30, **home)
    p.event(record_second, EventType.MISSING_EPISODE, days=10, **home)
    services.links_build()
    assert Link.objects.filter(nature=LinkNature.FOUND_AT).count() == 2
    assert _new_link_alerts("new-link-shared-entity") == []
    third, record_third = p.person(p.police, "NICHE-9", given="Cara")
    p.event(record_third, EventType.FOUND_WITH_ADULT, days=2, **home)
    services.links_build()
    alerts = _new_link_alerts("new-link-shared-entity")
    assert [a.person_id for a in alerts] == [third.pk] and f"P{first.pk:07d}" in alerts[0].explanation


def test_an_alert_from_police_intelligence_with_conditions_says_only_whom_to_ask(world: World, make_user) -> None:  # type: ignore[no-untyped-def]
    """Outside the police the alert says only whom to ask; the police's readers read what links the
    children; and the child's subject access bundle withholds the alert whole, as it withholds the
    intelligence: saying the police hold something would tell the child what they hold."""
    from safeguarding.earlywarning.selectors import alert_explanation
    from safeguarding.workflows.subject_access import alerts as alerts_for_bundle

    services.links_build()
    on_c = [a for a in _new_link_alerts("new-link-shared-entity") if a.person_id == world.child_c.pk]
    assert len(on_c) == 1
    assert RESTRICTED_REG not in on_c[0].explanation and "RS19XYZ" not in on_c[0].explanation
    assert "Ask the police intelligence unit" in on_c[0].explanation
    council = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    police = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE)
    assert alert_explanation(user=council, alert=on_c[0]) == on_c[0].explanation
    assert RESTRICTED_REG in alert_explanation(user=police, alert=on_c[0])
    # A police reader who may not see police-only links (no networks: an agency manager) reads the shared words.
    manager = make_user(role=Role.AGENCY_MANAGER, agency_kind=AgencyKind.POLICE)
    assert alert_explanation(user=manager, alert=on_c[0]) == on_c[0].explanation
    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    bundle = alerts_for_bundle(dpo, world.child_c).items
    assert [item.kind for item in bundle] == ["withheld_police"]
    assert all("Ask the police" not in value for item in bundle for _, value in item.fields)


def test_an_adult_linked_to_a_child_at_risk_now_with_another_child_raises_an_alert(world: World) -> None:
    AlertFactory(person=world.child_a)  # child A is at risk
    services.links_build()
    alerts = _new_link_alerts("new-link-adult")
    assert [a.person_id for a in alerts] == [world.child_b.pk]
    assert f"P{world.adult.pk:07d}" in alerts[0].explanation


@pytest.mark.parametrize(("born", "alerted"), [("2010-03-14", True), ("2010", True), ("2000-01-01", False), ("", False)])
def test_agencies_that_send_no_role_have_their_children_told_from_adults_by_date_of_birth(
    world: World, born: str, alerted: bool
) -> None:
    """The exchange format's role is optional: a child (or the adult beside them) an agency sends without
    one is a child on the day of the link when their date of birth says so, as the early-warning rules
    count them; without a date of birth either, neither is known and no alert says "child"."""
    everyone = [world.child_a, world.child_b, world.child_c, world.adult]
    Person.objects.filter(pk__in=[p.pk for p in everyone]).update(role="")
    SourceRecord.objects.filter(person__in=everyone).update(role="")
    Person.objects.filter(pk=world.child_b.pk).update(date_of_birth=born)
    AlertFactory(person=world.child_a)  # child A is at risk

    services.links_build()

    on_b = {a.rule.code for a in Alert.objects.filter(person=world.child_b)}
    assert on_b == ({"new-link-shared-entity", "new-link-adult"} if alerted else set())
    assert Person.objects.get(pk=world.adult.pk).child_or_adult() == PersonRole.ADULT


def test_a_child_sent_as_an_adult_after_their_birthday_was_a_child_when_linked(world: World) -> None:
    """The police extract is made after Bella's 18th birthday, so it says "adult"; she was 17 when she
    was seen in the car, and the alerts say so, as the early-warning rules count her."""
    today = timezone.localdate()
    born = (today - dt.timedelta(days=2)).replace(year=today.year - 18)
    Person.objects.filter(pk=world.child_b.pk).update(role=PersonRole.ADULT, date_of_birth=born.isoformat())
    AlertFactory(person=world.child_a)

    services.links_build()

    assert {a.rule.code for a in Alert.objects.filter(person=world.child_b)} == {"new-link-shared-entity",
                                                                                "new-link-adult"}


@pytest.mark.parametrize("why", ["interview not held", "rule switched off", "dismissed"])
def test_an_alert_that_says_nothing_about_the_child_does_not_make_them_at_risk(world: World, why: str) -> None:
    """A duty the agencies did not meet is not evidence about the child (DOMAIN.md); nor is an alert
    of a rule the partnership switched off, or one a practitioner dismissed."""
    if why == "interview not held":
        AlertFactory(person=world.child_a, rule=RuleFactory(kind="no_follow_up", params={}))
    elif why == "rule switched off":
        AlertFactory(person=world.child_a, rule=RuleFactory(enabled=False))
    else:
        AlertFactory(person=world.child_a, status="dismissed")
    services.links_build()
    assert _new_link_alerts("new-link-adult") == []


@pytest.mark.parametrize(("level", "alerted"), [("no_current_risk", False), ("medium", True)])
def test_a_child_screened_above_the_lowest_level_is_at_risk_without_an_alert(  # type: ignore[no-untyped-def]
    make_user, world: World, level: str, alerted: bool
) -> None:
    from tests.screening.conftest import screen

    screen(make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL), world.child_a, level)
    services.links_build()
    assert [a.person_id for a in _new_link_alerts("new-link-adult")] == ([world.child_b.pk] if alerted else [])


def test_no_adult_alert_when_the_first_child_is_not_at_risk(world: World) -> None:
    services.links_build()
    assert _new_link_alerts("new-link-adult") == []


def test_building_again_adds_nothing_and_the_next_extract_is_checked_alone(world: World, partnership: Partnership) -> None:
    services.links_build()
    links, alerts = Link.objects.count(), Alert.objects.count()
    again = services.links_build()
    assert again.links_added == 0 and Link.objects.count() == links and Alert.objects.count() == alerts
    third, record = partnership.person(partnership.police, "NICHE-D", given="Dana")
    partnership.event(record, vehicle_registration="YA19ABC", days=1)
    later = services.links_build()
    assert later.links_added == 1
    assert [a.person_id for a in later.alerts] == [third.pk]


def test_a_value_many_unrelated_people_share_is_a_placeholder_and_links_no_one(partnership: Partnership) -> None:
    p = partnership
    children = []
    for n in range(services.PLACEHOLDER_PEOPLE + 1):
        child, record = p.person(p.council, f"LCS-{n}")
        p.event(record, EventType.FOUND_WITH_ADULT, phone="01709 336000", days=n + 1)  # the council's switchboard
        children.append(child)
    result = services.links_build()
    switchboard = Entity.objects.get(kind=EntityKind.PHONE, key="+441709336000")
    assert switchboard.placeholder and result.placeholders == [f"Phone {switchboard.label}"]
    # The placeholder raised no alert, and links no one in any network.
    assert Alert.objects.count() == 0
    from safeguarding.contexts.exporters import network_rows

    assert network_rows(include_police_only=True) == []


def test_a_malformed_registration_is_set_aside_never_joined(partnership: Partnership) -> None:
    p = partnership
    for n in range(2):
        _, record = p.person(p.police, f"NICHE-U{n}")
        p.event(record, vehicle_registration="UNKNOWN")
    result = services.links_build()
    assert result.set_aside == {"vehicle": 2}
    assert not Entity.objects.filter(kind=EntityKind.VEHICLE).exists()
    assert Alert.objects.count() == 0


def test_links_follow_the_record_when_persons_merge(world: World, partnership: Partnership) -> None:
    services.links_build()
    school_b, _ = partnership.person(partnership.school, "SIMS-B")
    merge(world.child_b, into=school_b)
    from safeguarding.contexts.exporters import network_rows

    people = {key for _, kind, key in network_rows(include_police_only=False) if kind == "person"}
    assert f"P{school_b.pk:07d}" in people and f"P{world.child_b.pk:07d}" not in people


def test_a_licensing_officer_reports_a_driver_and_his_vehicle(make_user, partnership: Partnership) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import SourceSystemFactory

    officer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.LICENSING)
    licensing = SourceSystemFactory(code="licensing-register", agency=officer.agency)
    driver, _ = partnership.person(licensing, "LIC-10234", role=PersonRole.ADULT)
    submission = services.information_submit(
        acting_user=officer, person=driver, observed_on=timezone.localdate(), summary="Girls in the front seat late",
        reported=[services.Reported(kind=EntityKind.VEHICLE, value="ya19 abc", nature=LinkNature.VEHICLE_USED)],
    )
    link = Link.objects.get(submission=submission)
    assert (link.entity.key, link.person_id, link.agency_id, link.recorded_by_id) == (
        "YA19ABC", driver.pk, officer.agency_id, officer.pk)
    with pytest.raises(ServiceError, match="registration"):
        services.information_submit(
            acting_user=officer, person=driver, observed_on=timezone.localdate(), summary="again",
            reported=[services.Reported(kind=EntityKind.VEHICLE, value="UNKNOWN")],
        )


def test_graded_intelligence_keeps_its_source_apart_and_every_disclosure_is_recorded(make_user, world: World) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    with pytest.raises(ServiceError, match="conditions"):
        services.intelligence_record(
            acting_user=officer, observed_on=timezone.localdate(), source_evaluation="2", assessment="B",
            handling="C", handling_conditions="", sanitised_text="Girls taken to a hotel", source_description="CHIS 44",
            persons=[world.child_a],
        )
    report = services.intelligence_record(
        acting_user=officer, observed_on=timezone.localdate(), source_evaluation="2", assessment="B", handling="C",
        handling_conditions="Not to be shared with the suspect's employer", sanitised_text="Girls taken to a hotel",
        source_description="CHIS 44", persons=[world.child_a], adult=world.adult,
        reported=[services.Reported(kind=EntityKind.PLACE, value="Hotel, High Street", postcode="S60 1AA",
                                    nature=LinkNature.SEEN_AT)],
    )
    assert report.grading == "2BC" and report.source.source_description == "CHIS 44"
    assert set(Link.objects.filter(intelligence=report).values_list("restricted", flat=True)) == {True}
    council = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    with pytest.raises(ServiceError):
        services.intelligence_disclose(acting_user=council, report=report, to_agency=council.agency, to_person="x",
                                       purpose="y", lawful_basis="dpa_sch1_18")
    disclosure = services.intelligence_disclose(
        acting_user=officer, report=report, to_agency=council.agency, to_person="Jo Smith, MACE coordinator",
        purpose="Safety planning for the child", lawful_basis="dpa_sch1_18",
    )
    assert disclosure.text_shared == "Girls taken to a hotel" and "CHIS" not in disclosure.text_shared
    audit = AuditEvent.objects.get(event_type=AuditEventType.INTELLIGENCE_DISCLOSED)
    assert audit.detail["to_person"] == "Jo Smith, MACE coordinator" and audit.reason == "Safety planning for the child"


def test_intelligence_that_may_be_shared_still_names_its_suspect_to_the_police_only(make_user, world: World) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.contexts.selectors import direct_links_of

    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    services.intelligence_record(
        acting_user=officer, observed_on=timezone.localdate(), source_evaluation="2", assessment="B", handling="P",
        handling_conditions="", sanitised_text="A girl taken to a hotel", source_description="CHIS 45",
        persons=[world.child_a], adult=world.adult,
        reported=[services.Reported(kind=EntityKind.PLACE, value="Hotel, High Street", postcode="S60 1AA",
                                    nature=LinkNature.SEEN_AT)],
    )
    for role, kind, sees_suspect in ((Role.LEAD_PRACTITIONER, AgencyKind.VOLUNTARY, False),
                                     (Role.MACE_COORDINATOR, AgencyKind.COUNCIL, False),
                                     (Role.INTELLIGENCE_OFFICER, AgencyKind.POLICE, True)):
        links = direct_links_of(user=make_user(role=role, agency_kind=kind), person=world.child_a)
        assert "S60 1AA" in {e.key for e in links.entities}  # the shareable part is shared
        assert (world.adult.pk in {p.pk for p in links.people}) is sees_suspect, role


def test_contexts_due_for_the_panel_are_those_whose_review_falls_due(make_user, world: World) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.contexts.selectors import contexts_due_for_panel

    services.links_build()
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    hotel = Entity.objects.get(kind=EntityKind.PLACE, key="S60 1AA")
    car = Entity.objects.get(kind=EntityKind.VEHICLE, key="YA19ABC")
    soon = services.context_open(acting_user=coordinator, entity=hotel, assessment="Girls taken there", plan="Engage",
                                 review_due_on=timezone.localdate() + dt.timedelta(days=7))
    services.context_open(acting_user=coordinator, entity=car, assessment="Taxi", plan="Licensing review",
                          review_due_on=timezone.localdate() + dt.timedelta(days=60))
    assert contexts_due_for_panel(user=coordinator) == [soon]
    with pytest.raises(ServiceError, match="already open work"):
        services.context_open(acting_user=coordinator, entity=hotel, assessment="a", plan="b",
                              review_due_on=timezone.localdate() + dt.timedelta(days=7))
    services.context_review(acting_user=coordinator, case=soon, summary="Manager engaged",
                            next_review_on=timezone.localdate() + dt.timedelta(days=90))
    assert contexts_due_for_panel(user=coordinator) == []
    referrer = make_user(role=Role.REFERRER)
    assert contexts_due_for_panel(user=referrer, within_days=1000) == []


def test_later_new_links_add_to_a_childs_open_alert_instead_of_raising_another(world: World, partnership: Partnership) -> None:
    services.links_build()
    first = [a for a in _new_link_alerts("new-link-shared-entity") if a.person_id == world.child_b.pk]
    assert len(first) == 1
    # Bella is seen at the hotel Amber was taken to: a new link of the same pattern.
    partnership.event(world.record_b, EventType.FOUND_WITH_ADULT, location_name="Hotel, High Street",
                      location_postcode="S60 1AA", days=1)
    services.links_build()
    again = [a for a in _new_link_alerts("new-link-shared-entity") if a.person_id == world.child_b.pk]
    assert again == first
    again[0].refresh_from_db()
    # Bella's new sighting joins the evidence; Amber's at the hotel was already there (it was in the car).
    assert again[0].evidence.count() == again[0].evidence_count == 3


def test_the_new_link_rules_are_listed_with_the_others_and_the_scan_leaves_them_alone(make_user, world: World) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client
    from django.urls import reverse

    from safeguarding.earlywarning.scan import scan_run

    services.links_build()
    admin = Client()
    sign_in(admin, make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL))
    page = admin.get(reverse("rules:list")).content.decode()
    assert "A second child linked to the same vehicle, phone or place" in page
    assert admin.get(reverse("rules:new-kind", args=["new_link"])).status_code == 404
    before = Alert.objects.count()
    result = scan_run()
    assert not result.refused_rules and Alert.objects.count() - before == result.alerts_raised


def test_an_intelligence_officer_can_find_a_placeholder_to_be_real(make_user, partnership: Partnership) -> None:  # type: ignore[no-untyped-def]
    p = partnership
    for n in range(services.PLACEHOLDER_PEOPLE + 1):
        _, record = p.person(p.police, f"NICHE-T{n}")
        p.event(record, vehicle_registration="YT19 TAX", days=n + 1)
    services.links_build()
    taxi = Entity.objects.get(key="YT19TAX")
    assert taxi.placeholder
    council = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    with pytest.raises(ServiceError):
        services.placeholder_clear(acting_user=council, entity=taxi, reason="real")
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    services.placeholder_clear(acting_user=officer, entity=taxi, reason="A private hire car; these children were in it")
    _, record = p.person(p.police, "NICHE-T-LAST")
    p.event(record, vehicle_registration="YT19TAX", days=0)
    services.links_build()
    taxi.refresh_from_db()
    assert not taxi.placeholder  # never marked again
    from safeguarding.contexts.exporters import network_rows

    assert ("vehicle", "YT19TAX") in {(kind, key) for _, kind, key in network_rows(include_police_only=True)}


def test_a_submission_linking_a_second_child_to_a_vehicle_is_told_to_those_who_work_on_contexts(  # type: ignore[no-untyped-def]
    make_user, world: World, partnership: Partnership
) -> None:
    from safeguarding.notifications.models import Notification, NotificationKind

    services.links_build(raise_alerts=False)
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    practitioner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.VOLUNTARY)
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    youth_worker = make_user(role=Role.REFERRER, agency_kind=AgencyKind.VOLUNTARY)
    dana, _ = partnership.person(partnership.school, "SIMS-D", given="Dana")

    def submit(registration: str) -> dict[int, Notification]:
        before = set(Notification.objects.values_list("pk", flat=True))
        services.information_submit(
            acting_user=youth_worker, person=dana, observed_on=timezone.localdate(), summary="Picked up outside school",
            reported=[services.Reported(kind=EntityKind.VEHICLE, value=registration, nature=LinkNature.VEHICLE_USED)],
        )
        return {n.recipient_id: n for n in Notification.objects.exclude(pk__in=before)}

    told = submit("YA19 ABC")
    assert set(told) == {coordinator.pk, practitioner.pk, officer.pk}
    note = told[coordinator.pk]
    assert note.kind == NotificationKind.SECOND_CHILD_LINKED and "same vehicle" in note.subject
    assert dana.reference in note.body and world.child_a.reference in note.body and world.child_b.reference in note.body
    assert "Dana" not in note.body and "Amber" not in note.body and "YA19" not in note.subject + note.body
    entity = Entity.objects.get(key="YA19ABC")
    assert note.link.endswith(f"/networks/entities/{entity.public_id}/")
    assert submit("YA19 ABC") == {}  # Dana was linked to it already: nothing new
    # The other children in RS19 XYZ are known only from intelligence the police hold with conditions:
    # only the police hear that Dana is now linked to it too.
    told = submit("RS19 XYZ")
    assert set(told) == {officer.pk}
    assert world.child_a.reference in told[officer.pk].body and world.child_c.reference in told[officer.pk].body
    # Intelligence that may be shared, naming two children at a flat no one was linked to before: one
    # e-mail each, about the pair.
    before = set(Notification.objects.values_list("pk", flat=True))
    services.intelligence_record(
        acting_user=officer, observed_on=timezone.localdate(), source_evaluation="2", assessment="B", handling="P",
        handling_conditions="", sanitised_text="Two girls seen going into a flat", source_description="CHIS 46",
        persons=[dana, world.child_b],
        reported=[services.Reported(kind=EntityKind.PLACE, value="Flat 3, Mill Court", postcode="S60 2BB",
                                    nature=LinkNature.SEEN_AT)],
    )
    told = {n.recipient_id: n for n in Notification.objects.exclude(pk__in=before)}
    assert set(told) == {coordinator.pk, practitioner.pk, officer.pk}
    pair = ", ".join(sorted([dana.reference, world.child_b.reference]))
    assert f"links children ({pair}) to the same place" in told[coordinator.pk].body


def test_a_link_follows_its_events_new_marking_from_the_import_that_changes_it(  # type: ignore[no-untyped-def]
    make_user, partnership: Partnership, tmp_path: Path
) -> None:
    """links_build reads only new events: an event the police later mark C (or lift to P) must take its
    link with it, in the import's own transaction, before anyone builds links again."""
    from safeguarding.contexts.selectors import links_visible_to
    from safeguarding.exchange.importer import import_extract

    people = ("source_system,record_id,given_name,family_name,date_of_birth,role\n"
              "police-records,NICHE-1,Amber,Hill,2010-03-14,child\npolice-records,NICHE-2,Bella,Hill,2011-05-02,child\n")
    header = "source_system,event_id,record_id,event_type,occurred_at,vehicle_registration,handling\n"

    def extract(name: str, handling: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "people.csv").write_text(people)
        (folder / "events.csv").write_text(
            header + f"police-records,E1,NICHE-1,seen_in_vehicle,2026-01-10,KX21 ABC,{handling}\n"
            "police-records,E2,NICHE-2,seen_in_vehicle,2026-01-20,KX21 ABC,P\n")
        return folder

    council = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)

    def sightings_seen_by(user: User) -> set[str]:
        return set(Link.objects.filter(links_visible_to(user), entity__key="KX21ABC").values_list("event__event_id", flat=True))

    import_extract(extract("first", "P"))
    services.links_build()
    first = Event.objects.get(event_id="E1")
    assert sightings_seen_by(council) == sightings_seen_by(officer) == {"E1", "E2"}

    import_extract(extract("marked-c", "C"))  # the police now hold the first sighting under conditions

    assert Link.objects.get(event=first).restricted
    assert sightings_seen_by(council) == {"E2"} and sightings_seen_by(officer) == {"E1", "E2"}
    remarked = AuditEvent.objects.get(event_type=AuditEventType.LINKS_REMARKED)
    assert remarked.detail == {"events": 1, "links_made_police_only": 1, "links_shared_again": 0}

    import_extract(extract("lifted", "P"))  # and lift the condition again

    assert sightings_seen_by(council) == {"E1", "E2"}
    assert AuditEvent.objects.filter(event_type=AuditEventType.LINKS_REMARKED).count() == 2


# --- a police relationship re-sent as a suspected perpetrator ------------------------------------

_PEOPLE_CSV = ("source_system,record_id,given_name,family_name,date_of_birth,role\n"
               "police-records,NICHE-1,Amber,Hill,2010-03-14,child\n"
               "police-records,NICHE-2,Darren,Kemp,1985-06-01,adult\n")


def _police_extract(folder: Path, relationship: str) -> Path:
    folder.mkdir()
    (folder / "people.csv").write_text(_PEOPLE_CSV)
    (folder / "relationships.csv").write_text("source_system,record_id,other_record_id,relationship\n"
                                              f"police-records,NICHE-1,NICHE-2,{relationship}\n")
    return folder


@pytest.fixture(params=["suspected_perpetrator", "victim"])
def resent_as_suspect(request, partnership: Partnership, tmp_path: Path) -> tuple[Person, Person]:  # type: ignore[no-untyped-def]
    """The police first send Darren as Amber's associate (shared with the partnership, and built into the
    networks); their next extract sends the same two people with Darren as her suspected perpetrator, or
    with Amber as his victim: either names him as the one the police think offended against her. (Before,
    a police "victim" row, its link and the pair's earlier "associate" row stayed shared.)"""
    from safeguarding.exchange.importer import import_extract

    import_extract(_police_extract(tmp_path / "associate", "associate"))
    services.links_build()
    child, adult = (Person.objects.get(source_records__record_id=r) for r in ("NICHE-1", "NICHE-2"))
    assert Link.objects.get(nature=LinkNature.ASSOCIATE, person=child).restricted is False  # shared until now
    import_extract(_police_extract(tmp_path / "suspect", request.param))
    return child, adult


def test_an_unchanged_suspect_row_sent_again_hands_the_hook_no_pairs(partnership: Partnership, tmp_path: Path) -> None:
    """Before, every suspect or victim row in a police file went to the hook on every import, unchanged ones
    too, and the hook read the links by a column with no index: a scan of the links table per 2,000 pairs
    inside the import's transaction. Now only rows the import inserts or changes go to it."""
    from safeguarding.exchange import hooks
    from safeguarding.exchange.importer import import_extract

    heard: list[list[tuple[int, int]]] = []
    hooks.register_suspects_hook("test-probe", lambda pairs: heard.append(list(pairs)))
    try:
        import_extract(_police_extract(tmp_path / "associate", "associate"))
        services.links_build()
        import_extract(_police_extract(tmp_path / "suspect", "suspected_perpetrator"))
        import_extract(_police_extract(tmp_path / "again", "suspected_perpetrator"))
    finally:
        hooks._suspects_hooks.pop("test-probe")
    child, adult = (SourceRecordFactory._meta.model.objects.get(record_id=r).pk for r in ("NICHE-1", "NICHE-2"))
    assert heard == [[(child, adult)]]  # the suspect row once, when it came; nothing for the unchanged copy
    assert Link.objects.get(nature=LinkNature.ASSOCIATE).restricted is True


@pytest.mark.parametrize(("role", "agency_kind", "sees"), [
    (Role.TRIAGE_WORKER, AgencyKind.COUNCIL, False),
    (Role.MACE_COORDINATOR, AgencyKind.COUNCIL, False),
    (Role.LEAD_PRACTITIONER, AgencyKind.HEALTH, False),
    (Role.LEAD_PRACTITIONER, AgencyKind.EDUCATION, False),
    (Role.SUPPORT_WORKER, AgencyKind.VOLUNTARY, False),
    (Role.TRIAGE_WORKER, AgencyKind.POLICE, True),
    (Role.INTELLIGENCE_OFFICER, AgencyKind.POLICE, True),
])
def test_a_police_associate_re_sent_as_a_suspected_perpetrator_leaves_no_shared_link(  # type: ignore[no-untyped-def]
    make_user, resent_as_suspect: tuple[Person, Person], role: str, agency_kind: str, sees: bool
) -> None:
    """The police's earlier "associate" row about the same two people would go on telling everyone outside
    the police whom they now suspect: on the child's and the adult's pages, and in the networks' links,
    chart and CSV. It stays with the police, from the import that names the suspect on."""
    from django.test import Client
    from django.urls import reverse

    from safeguarding.accounts.access import Capability, has
    from safeguarding.contexts.selectors import links_visible_to

    child, adult = resent_as_suspect
    reader = make_user(role=role, agency_kind=agency_kind)
    client = Client()
    sign_in(client, reader)

    def page(name: str, person: Person, suffix: str = "") -> str:
        response = client.get(reverse(name, args=[person.pk]) + suffix)
        assert response.status_code == 200
        return response.content.decode()

    for _ in ("before links are built again", "after"):
        assert ("Darren" in page("people:detail", child)) is sees
        assert ("Amber" in page("people:detail", adult)) is sees
        assert Link.objects.filter(links_visible_to(reader), person=child, other_person=adult).exists() is sees
        if has(reader, Capability.VIEW_NETWORKS):
            assert (adult.reference in page("contexts:person", child)) is sees
            assert ("Darren" in page("contexts:person-csv", child)) is sees
            assert ("Darren" in page("contexts:person-json", child)) is sees
        services.links_build()
    if not sees:
        assert "The police may hold intelligence about this person that is not shared with your agency" in page(
            "people:detail", child)


def test_networks_csv_leaves_out_a_pair_the_police_now_hold_as_suspect_and_victim(  # type: ignore[no-untyped-def]
    resent_as_suspect: tuple[Person, Person], tmp_path: Path
) -> None:
    from safeguarding.contexts.exporters import export_networks

    child, adult = resent_as_suspect
    services.links_build()

    def members(include_police_only: bool) -> set[str]:
        out = tmp_path / f"networks-{include_police_only}.csv"
        export_networks(out, include_police_only=include_police_only)
        return {row.split(",")[2] for row in out.read_text().splitlines()[1:]}

    assert members(include_police_only=False) == set()  # the file that may leave the police
    assert members(include_police_only=True) == {child.reference, adult.reference}
    remarked = AuditEvent.objects.get(event_type=AuditEventType.LINKS_HELD_AS_SUSPECTS)
    assert remarked.detail == {"pairs": 1, "links_made_police_only": 1}


def test_another_agencys_record_of_the_same_pair_stays_shared(  # type: ignore[no-untyped-def]
    make_user, partnership: Partnership
) -> None:
    """The council's own record that Darren is Amber's associate is the council's to share: the police
    naming him a suspect in their records hides their rows, not the council's."""
    from safeguarding.contexts.selectors import links_visible_to
    from safeguarding.people.models import Relationship, RelationshipType

    p = partnership
    child, child_police = p.person(p.police, "NICHE-1", given="Amber")
    adult, adult_police = p.person(p.police, "NICHE-2", role=PersonRole.ADULT, given="Darren")
    child_council = SourceRecordFactory(source_system=p.council, record_id="CS-1", person=child)
    adult_council = SourceRecordFactory(source_system=p.council, record_id="CS-2", person=adult)
    Relationship.objects.create(source_system=p.council, from_record=child_council, to_record=adult_council,
                                relationship=RelationshipType.ASSOCIATE)
    Relationship.objects.create(source_system=p.police, from_record=child_police, to_record=adult_police,
                                relationship=RelationshipType.ASSOCIATE)
    services.links_build()
    Relationship.objects.create(source_system=p.police, from_record=adult_police, to_record=child_police,
                                relationship=RelationshipType.SUSPECTED_PERPETRATOR)  # the other way round
    services.links_build()

    council = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    seen_by = {who: set(Link.objects.filter(links_visible_to(who), Q(person=child) | Q(other_person=child)).values_list(
        "source_system__code", "nature")) for who in (council, officer)}
    assert seen_by[council] == {("council-social-care", LinkNature.ASSOCIATE)}
    assert seen_by[officer] == {("council-social-care", LinkNature.ASSOCIATE), ("police-records", LinkNature.ASSOCIATE),
                                ("police-records", LinkNature.SUSPECTED_PERPETRATOR)}


def test_places_labelled_from_police_only_records_before_are_put_right_by_the_migration(  # type: ignore[no-untyped-def]
    make_user, partnership: Partnership
) -> None:
    """Before, the first record naming a postcode labelled the place even when the police held it
    with conditions; migration 0003 relabels such places from shared records (a kind a person set
    is kept), and leaves alone a label a shared record gave."""
    from importlib import import_module

    from django.apps import apps

    from safeguarding.people.models import Handling

    p = partnership
    _amber, record_a = p.person(p.police, "NICHE-A", given="Amber")
    _bella, record_b = p.person(p.school, "SIMS-B", given="Bella")
    secret = "Op KESTREL stash flat above Ali kebab"
    for postcode, shared_name in (("S60 1AA", "Near the shops"), ("S60 2BB", ""), ("S60 3AB", "")):
        p.event(record_a, EventType.INTELLIGENCE, handling=Handling.CONDITIONS, location_name=secret,
                location_postcode=postcode, days=30)
        p.event(record_b, EventType.FOUND_WITH_ADULT, location_name=shared_name, location_postcode=postcode, days=5)
    p.event(record_b, EventType.FOUND_WITH_ADULT, location_name="Hotel, High Street", location_postcode="S60 4DD",
            days=5)
    p.event(record_a, EventType.INTELLIGENCE, handling=Handling.CONDITIONS, location_name=secret,
            location_postcode="S60 4DD", days=3)
    services.links_build()
    # As the hub labelled them before the rule.
    for postcode in ("S60 1AA", "S60 2BB", "S60 3AB"):
        Entity.objects.filter(key=postcode).update(label=f"{secret} ({postcode})", place_kind="takeaway")
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    services.place_kind_set(acting_user=coordinator, entity=Entity.objects.get(key="S60 3AB"), place_kind="park",
                            reason="I walk past it")

    import_module("safeguarding.contexts.migrations.0003_places_labelled_only_from_shared_records").relabel_places(
        apps, None)

    labels = dict(Entity.objects.filter(kind=EntityKind.PLACE).values_list("key", "label"))
    kinds = dict(Entity.objects.filter(kind=EntityKind.PLACE).values_list("key", "place_kind"))
    assert labels == {"S60 1AA": "Near the shops (S60 1AA)", "S60 2BB": "S60 2BB", "S60 3AB": "S60 3AB",
                      "S60 4DD": "Hotel, High Street (S60 4DD)"}
    assert kinds == {"S60 1AA": "shop", "S60 2BB": "", "S60 3AB": "park", "S60 4DD": "hotel"}


def test_a_place_named_by_an_event_the_police_mark_c_later_loses_that_name(  # type: ignore[no-untyped-def]
    partnership: Partnership, tmp_path: Path
) -> None:
    from safeguarding.exchange.importer import import_extract

    people = "source_system,record_id,given_name,family_name,date_of_birth,role\n" \
             "police-records,NICHE-1,Amber,Hill,2010-03-14,child\n"
    header = "source_system,event_id,record_id,event_type,occurred_at,location_name,location_postcode,handling\n"

    def extract(name: str, handling: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "people.csv").write_text(people)
        (folder / "events.csv").write_text(
            header + f"police-records,E1,NICHE-1,found_with_adult,2026-01-10,Flat over Ali kebab,S60 1AA,{handling}\n")
        return folder

    import_extract(extract("first", "P"))
    services.links_build()
    assert Entity.objects.get(key="S60 1AA").label == "Flat over Ali kebab (S60 1AA)"
    import_extract(extract("marked-c", "C"))
    place = Entity.objects.get(key="S60 1AA")
    assert (place.label, place.place_kind) == ("S60 1AA", "")
    remarked = AuditEvent.objects.get(event_type=AuditEventType.LINKS_REMARKED)
    assert remarked.detail["places_relabelled"] == 1



def test_the_police_intelligence_unit_hears_when_another_agency_submits_something_they_hold(  # type: ignore[no-untyped-def]
    make_user, world: World
) -> None:
    """So they can deconflict; the submitter is told nothing different from any other submission."""
    from safeguarding.notifications.models import Notification, NotificationKind

    services.links_build(raise_alerts=False)
    unit = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    police_coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.POLICE)
    council_officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.COUNCIL)
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)

    def submit(user: User, registration: str) -> list[Notification]:
        before = set(Notification.objects.values_list("pk", flat=True))
        services.information_submit(acting_user=user, person=world.child_b, observed_on=timezone.localdate(),
                                    summary="Picked up outside school",
                                    reported=[services.Reported(kind=EntityKind.VEHICLE, value=registration)])
        return list(Notification.objects.exclude(pk__in=before).filter(kind=NotificationKind.POLICE_HOLDING_TOUCHED))

    told = submit(worker, "RS19 XYZ")
    car = Entity.objects.get(key="RS19XYZ")
    assert [n.recipient_id for n in told] == [unit.pk]
    assert car.reference in told[0].body and world.child_b.reference in told[0].body
    assert "RS19" not in told[0].subject + told[0].body and "Bella" not in told[0].body
    assert told[0].link.endswith(f"/networks/entities/{car.public_id}/")
    audit = AuditEvent.objects.get(event_type=AuditEventType.POLICE_TOLD_OF_SUBMISSION)
    assert audit.detail == {"entities": [car.pk], "told": [unit.pk]} and audit.actor_id is None
    assert not Notification.objects.filter(recipient__in=[worker, police_coordinator, council_officer]).filter(
        kind=NotificationKind.POLICE_HOLDING_TOUCHED).exists()
    assert submit(worker, "YA19 ABC") == []  # the police hold nothing on it they keep back
    assert submit(police_coordinator, "RS19 XYZ") == []  # the police's own


def test_work_opened_before_on_an_entity_then_police_only_is_made_police_only_by_the_migration(  # type: ignore[no-untyped-def]
    make_user, world: World
) -> None:
    from importlib import import_module

    from django.apps import apps

    from safeguarding.contexts.models import ContextCase

    services.links_build(raise_alerts=False)
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    soon = timezone.localdate() + dt.timedelta(days=5)

    def open_on(key: str) -> ContextCase:
        entity = Entity.objects.get(key=key)
        return services.context_open(acting_user=officer, entity=entity, assessment="a", plan="p", review_due_on=soon)

    police_car, shared_car = open_on("RS19XYZ"), open_on("YA19ABC")
    place = Entity.objects.create(kind=EntityKind.PLACE, key="S60 9ZZ", label="S60 9ZZ")
    unlinked = services.context_open(acting_user=officer, entity=place, assessment="a", plan="p", review_due_on=soon)
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    services.information_submit(acting_user=worker, person=world.child_b, observed_on=timezone.localdate(),
                                summary="Seen", reported=[services.Reported(kind=EntityKind.VEHICLE, value="RS19XYZ")])
    ContextCase.objects.update(police_only=False)  # as every case was before the field

    import_module("safeguarding.contexts.migrations.0004_work_opened_on_a_police_only_entity_stays_police_only"
                  ).police_only_at_opening(apps, None)

    assert dict(ContextCase.objects.values_list("pk", "police_only")) == {
        police_car.pk: True, shared_car.pk: False, unlinked.pk: False}


def test_two_reports_recorded_at_once_never_take_the_same_reference(  # type: ignore[no-untyped-def]
    make_user, world: World, monkeypatch
) -> None:
    """Before, the reference was the count of reports plus one, read before writing: two officers
    recording at once got the same one, and the second an error. A reference taken meanwhile is
    now read again."""
    from safeguarding.contexts.models import IntelligenceReport

    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)

    def record() -> IntelligenceReport:
        return services.intelligence_record(
            acting_user=officer, observed_on=timezone.localdate(), source_evaluation="1", assessment="A",
            handling="P", handling_conditions="", sanitised_text="Text", source_description="CHIS",
            persons=[world.child_a])

    first = record()
    read = services._next_intelligence_reference
    stale = iter([first.reference])  # what an officer recording at the same moment read

    def racing(prefix: str) -> str:
        return next(stale, None) or read(prefix)

    monkeypatch.setattr(services, "_next_intelligence_reference", racing)
    second = record()
    assert second.reference != first.reference and second.reference.endswith("-P-00002")
    assert IntelligenceReport.objects.count() == 2


@pytest.mark.parametrize(("system", "police_only"), [("police", True), ("council", False)])
def test_a_police_record_naming_a_child_the_victim_of_an_adult_stays_with_the_police(  # type: ignore[no-untyped-def]
    make_user, partnership: Partnership, system: str, police_only: bool
) -> None:
    """Before, only a police "suspected perpetrator" row was police-only: a police row saying Amber is
    Darren's victim was on her single view, in the networks and their CSV for every agency, naming whom
    the police think offended. Now it is held as a suspect row is; another agency's own record is its
    own to share, as for suspects."""
    from safeguarding.contexts.exporters import network_rows
    from safeguarding.contexts.selectors import links_visible_to
    from safeguarding.people.models import Relationship, RelationshipType
    from safeguarding.people.selectors import police_only_among

    p = partnership
    source = p.police if system == "police" else p.council
    _, child_record = p.person(source, "R-1", given="Amber")
    adult, adult_record = p.person(source, "R-2", role=PersonRole.ADULT, given="Darren")
    victim = Relationship.objects.create(source_system=source, from_record=child_record, to_record=adult_record,
                                         relationship=RelationshipType.VICTIM)
    services.links_build()
    link = Link.objects.get(relationship=victim)
    assert link.restricted is police_only
    assert (victim.pk in police_only_among([victim])) is police_only  # the single view and subject access
    council = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE)
    assert Link.objects.filter(links_visible_to(council), pk=link.pk).exists() is not police_only
    assert Link.objects.filter(links_visible_to(officer), pk=link.pk).exists()
    shared = {row[2] for row in network_rows(include_police_only=False)}
    assert (adult.reference in shared) is not police_only
    assert adult.reference in {row[2] for row in network_rows(include_police_only=True)}
