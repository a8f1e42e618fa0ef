"""Texts the hub derives from events never carry police intelligence to a reader who may not see it.

A child is linked to another child at risk through an adult named only in police intelligence with
handling code C. The alert's explanation, the concern an alert becomes, and alerts.csv are checked for
every casework role of every agency: the intelligence, the adult it names and the other child it links
to reach police casework staff only. Expectations are written out here, not derived from the code."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.earlywarning.exporters import export_alerts
from safeguarding.earlywarning.models import Alert, AlertStatus, Rule
from safeguarding.earlywarning.scan import scan_run
from safeguarding.frontdoor.models import Concern
from safeguarding.people.models import EventType, Handling, PersonRole
from safeguarding.workflows.services import alert_to_concern
from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory, UserFactory, sign_in

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 6, 1, 12, 0))
CASEWORK = [Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.LEAD_PRACTITIONER, Role.INTELLIGENCE_OFFICER,
            Role.SUPPORT_WORKER]


def at(day: str) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"2026-{day}T12:00"))


@dataclass
class Linked:
    alert: Alert
    adult_reference: str  # the adult named only in restricted intelligence
    other_child_reference: str  # the child at risk the intelligence links to
    intel_moment: str  # when the intelligence was recorded, as the explanation would write it
    kind: str  # the restricted event's type, as the explanation would name it


def _amy_at_risk_seen_with_darren(police: Any, sightings: tuple[str, ...] = ("03-01",)) -> tuple[Any, Any]:
    """Darren, an adult, and Amy, at risk (three missing episodes), seen with him in ordinary police
    records (one sighting a day given): (Darren's record, Amy)."""
    adult = SourceRecordFactory(source_system=police, record_id="ADULT-1",
                                person=PersonFactory(given_name="Darren", role=PersonRole.ADULT,
                                                     date_of_birth="1980-01-01"))
    amy_person = PersonFactory(given_name="Amy", date_of_birth="2011-05-05")
    amy = SourceRecordFactory(source_system=police, record_id="AMY-1", person=amy_person)
    for day in ("02-01", "02-10", "02-20"):
        EventFactory(source_record=amy, event_type=EventType.MISSING_EPISODE, occurred_at=at(day))
    for day in sightings:
        EventFactory(source_record=amy, event_type=EventType.FOUND_WITH_ADULT, occurred_at=at(day),
                     other_record_ids="ADULT-1")
    return adult, amy_person


@pytest.fixture
def linked(agencies: dict[str, Any], request: pytest.FixtureRequest) -> Linked:
    kind = getattr(request, "param", EventType.INTELLIGENCE)  # the police's restricted record of Chloe
    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    council = SourceSystemFactory(code="council-care", agency=agencies[AgencyKind.COUNCIL])
    adult, amy_person = _amy_at_risk_seen_with_darren(police)
    # Chloe: her only link to the adult is police intelligence with handling code C.
    chloe_person = PersonFactory(given_name="Chloe", date_of_birth="2011-03-14")
    chloe = SourceRecordFactory(source_system=police, record_id="CHLOE-1", person=chloe_person)
    SourceRecordFactory(source_system=council, record_id="CSC-9", person=chloe_person)
    EventFactory(source_record=chloe, event_type=kind, handling=Handling.CONDITIONS,
                 occurred_at=at("03-15"), other_record_ids="ADULT-1", detail="source says Darren grooms Chloe")
    scan_run(as_of=NOW, rules=list(Rule.objects.filter(code__in=["repeat-missing", "linked-to-child-at-risk"])))
    alert = Alert.objects.get(rule__code="linked-to-child-at-risk", person=chloe_person)
    return Linked(alert=alert, adult_reference=adult.person.reference, other_child_reference=amy_person.reference,
                  intel_moment="15 March 2026, 12:00", kind=EventType(kind).label)  # as the explanation writes it


def _restricted_facts(linked: Linked) -> list[str]:
    return [linked.adult_reference, linked.other_child_reference, linked.intel_moment, linked.kind]


@pytest.mark.parametrize("agency_kind", [k for k, _ in AgencyKind.choices])
@pytest.mark.parametrize("role", CASEWORK)
def test_the_alert_page_explains_only_what_the_reader_may_see(role: str, agency_kind: str, linked: Linked,
                                                               agencies: dict[str, Any]) -> None:
    client = Client()
    sign_in(client, UserFactory(role=role, agency=agencies[agency_kind]))
    page = client.get(reverse("earlywarning:detail", args=[linked.alert.pk]))
    assert page.status_code == 200
    explanation = page.content.decode().split('id="alert-explanation">', 1)[1].split("</dd>", 1)[0]
    police = agency_kind == AgencyKind.POLICE
    for fact in _restricted_facts(linked):
        # The adult and the other child are the network picture: a survivor support worker, even in
        # the police, does not see networks (the test below).
        networks = fact in (linked.adult_reference, linked.other_child_reference)
        shown = police and not (networks and role == Role.SUPPORT_WORKER)
        assert (fact in explanation) is shown, (role, agency_kind, fact)
    assert "Linked to another child at risk" in explanation
    if not police:
        assert "not shared beyond the police" in explanation  # the reader knows whom to ask


def test_a_concern_raised_from_the_alert_by_the_police_carries_only_the_shared_words(
    linked: Linked, agencies: dict[str, Any]
) -> None:
    """A concern is read by every casework role: even when a police triage worker turns the alert
    into one, its description is started from the shared words."""
    police_triage = UserFactory(role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.POLICE])
    client = Client()
    sign_in(client, police_triage)
    page = client.get(reverse("earlywarning:detail", args=[linked.alert.pk])).content.decode()
    prefilled = page.split('name="concern-description"', 1)[1].split("</textarea>", 1)[0]
    for fact in _restricted_facts(linked):
        assert fact not in prefilled
    concern = alert_to_concern(alert=linked.alert, acting_user=police_triage, description=linked.alert.explanation)
    council = Client()
    sign_in(council, UserFactory(role=Role.LEAD_PRACTITIONER, agency=agencies[AgencyKind.COUNCIL]))
    body = council.get(reverse("frontdoor:detail", args=[concern.pk])).content.decode()
    for fact in _restricted_facts(linked):
        assert fact not in body
    assert Concern.objects.get(pk=concern.pk).description.startswith("Linked to another child at risk")


def test_alerts_csv_carries_only_the_shared_words(linked: Linked, tmp_path: Path) -> None:
    out = tmp_path / "alerts.csv"
    export_alerts(out)
    rows = {r["alert_id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    explanation = rows[linked.alert.reference]["explanation"]
    for fact in _restricted_facts(linked):
        assert fact not in explanation
    assert "not shared beyond the police" in explanation


@pytest.mark.parametrize("agency_kind", [AgencyKind.COUNCIL, AgencyKind.HEALTH, AgencyKind.POLICE])
def test_an_alert_tipped_by_police_only_intelligence_is_not_dated_by_it_outside_the_police(
    linked: Linked, agency_kind: str, agencies: dict[str, Any], tmp_path: Path
) -> None:
    """The alert was raised at the moment of the intelligence that tipped it (15 March): on its page, the
    queue and its download, the single view, the panel referral, alerts.csv and the concern raised from
    it, that date would tell others when the police learnt something."""
    from safeguarding.panel.services import panel_refer

    police = agency_kind == AgencyKind.POLICE
    mace = UserFactory(role=Role.MACE_COORDINATOR, agency=agencies[agency_kind])
    client = Client()
    sign_in(client, mace)
    concern = alert_to_concern(alert=linked.alert, acting_user=mace, description="Linked to a child at risk")
    assert (concern.seen_on == dt.date(2026, 3, 15)) is False  # dated for the front door, whoever raises it
    Alert.objects.filter(pk=linked.alert.pk).update(status=AlertStatus.OPEN)  # open again, to be referred too
    referral = panel_refer(child=linked.alert.person, referred_by=mace, reason="Linked", alert=linked.alert)
    read = [client.get(reverse("earlywarning:detail", args=[linked.alert.pk])).content.decode(),
            client.get(reverse("earlywarning:queue"), {"show": "all"}).content.decode(),
            client.get(reverse("earlywarning:queue"), {"show": "all", "download": "csv"}).content.decode(),
            client.get(reverse("people:detail", args=[linked.alert.person_id])).content.decode(),
            client.get(reverse("panel:detail", args=[referral.pk])).content.decode()]
    for where, text in enumerate(read):
        assert linked.alert.reference in text, where
        assert ("15 March 2026" in text or "2026-03-15" in text) is police, where
    # The alert's own date, where the police also see the intelligence itself dated beside it.
    raised = read[0].split(">Raised</dt>", 1)[1].split("</dd>", 1)[0]
    assert ("15 March 2026" in raised) is police
    assert ("when the hub raised it: the police hold the event that completed the pattern" in raised) is not police

    export_alerts(tmp_path / "alerts.csv")
    row = next(r for r in csv.DictReader((tmp_path / "alerts.csv").open(encoding="utf-8"))
               if r["alert_id"] == linked.alert.reference)
    assert not row["raised_at"].startswith("2026-03-15")


@pytest.mark.parametrize("linked", [EventType.FOUND_WITH_ADULT], indirect=True)
@pytest.mark.parametrize("agency_kind", [AgencyKind.COUNCIL, AgencyKind.VOLUNTARY, AgencyKind.POLICE])
def test_a_police_record_of_any_kind_marked_c_is_explained_as_intelligence_is(
    linked: Linked, agency_kind: str, agencies: dict[str, Any], tmp_path: Path
) -> None:
    """Handling code C on a sighting with an adult keeps it with the police exactly as on intelligence:
    on the alert's page for a reader beyond the police, and in alerts.csv."""
    client = Client()
    sign_in(client, UserFactory(role=Role.TRIAGE_WORKER, agency=agencies[agency_kind]))
    page = client.get(reverse("earlywarning:detail", args=[linked.alert.pk])).content.decode()
    explanation = page.split('id="alert-explanation">', 1)[1].split("</dd>", 1)[0]
    police = agency_kind == AgencyKind.POLICE
    for fact in _restricted_facts(linked):
        assert (fact in explanation) is police, (agency_kind, fact)
    out = tmp_path / "alerts.csv"
    export_alerts(out)
    shared = next(r for r in csv.DictReader(out.open(encoding="utf-8")) if r["alert_id"] == linked.alert.reference)
    assert not any(fact in shared["explanation"] for fact in _restricted_facts(linked))


def test_an_alert_resting_only_on_shareable_events_says_the_same_to_everyone(agencies: dict[str, Any]) -> None:
    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    record = SourceRecordFactory(source_system=police, record_id="R-1",
                                 person=PersonFactory(date_of_birth="2011-03-14"))
    for day in ("02-01", "02-10", "02-20"):
        EventFactory(source_record=record, event_type=EventType.MISSING_EPISODE, occurred_at=at(day))
    scan_run(as_of=NOW, rules=[Rule.objects.get(code="repeat-missing")])
    alert = Alert.objects.get()
    assert alert.explanation_restricted == "" and "3 events" in alert.explanation


def _bundle_for(person: Any, agencies: dict[str, Any]) -> tuple[Any, str]:
    """A subject access request by the person themselves, taken by the council's data protection officer
    through to its bundle, every proposed redaction accepted: (the request, the bundle as JSON text)."""
    import json

    from safeguarding.dataprotection import services as sar_services

    dpo = UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    today = timezone.localdate()
    sar = sar_services.sar_log(acting_user=dpo, person=person, requester_name="Chloe",
                               requester_relationship="the person themselves", received_on=today)
    sar = sar_services.sar_verify_identity(acting_user=dpo, sar=sar, verified_on=today, evidence="Passport")
    sar = sar_services.sar_assemble(acting_user=dpo, sar=sar)
    sar_services.sar_redactions_accept_all(acting_user=dpo, sar=sar)
    return sar, json.dumps(json.loads(bytes(sar_services.sar_bundle_produce(acting_user=dpo, sar=sar).data)))


def test_a_subject_access_bundle_withholds_an_alert_resting_on_police_intelligence(
    linked: Linked, agencies: dict[str, Any]
) -> None:
    """Chloe's alert rests on intelligence the hub never discloses: even counted, or dated, it would tell
    her what the police hold. It is withheld whole, and the data protection officer told why, so the
    police can be asked."""
    sar, bundle = _bundle_for(linked.alert.person, agencies)

    (withheld,) = [item for item in sar.items.all() if item.source == f"alert {linked.alert.reference}"]
    assert withheld.title == "An early-warning alert resting on police information (withheld)"
    assert "refer this part of the request to their data protection team" in withheld.withheld_reason
    for told in ("not shared beyond the police", "handling conditions", "15 March", "2026-03-15",
                 *_restricted_facts(linked)):
        assert told not in bundle, told


def test_an_alerts_words_are_not_shown_beyond_the_police_once_an_event_they_describe_is_marked_c(
    agencies: dict[str, Any], tmp_path: Path
) -> None:
    """The alert was written when all three missing episodes were the police's to share; a later extract
    marks one C. Its words (which describe that episode) now reach the police alone: others are told to
    ask them, on the page, in alerts.csv, the concern started from it and subject access."""
    import json

    from safeguarding.dataprotection import services as sar_services
    from safeguarding.earlywarning.selectors import REMARKED_SINCE
    from safeguarding.people.models import Event

    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    child = PersonFactory(given_name="Dana", date_of_birth="2011-05-05")
    record = SourceRecordFactory(source_system=police, record_id="DANA-1", person=child)
    episodes = [EventFactory(source_record=record, event_type=EventType.MISSING_EPISODE, occurred_at=at(day),
                             handling=Handling.SHAREABLE) for day in ("02-01", "02-10", "02-20")]
    scan_run(as_of=NOW, rules=[Rule.objects.get(code="repeat-missing")])
    alert = Alert.objects.get(person=child)
    written = alert.explanation
    assert "20 February" in written and not alert.explanation_restricted

    Event.objects.filter(pk=episodes[1].pk).update(handling=Handling.CONDITIONS)  # the police's next extract

    def explanation_for(agency_kind: str) -> str:
        client = Client()
        sign_in(client, UserFactory(role=Role.TRIAGE_WORKER, agency=agencies[agency_kind]))
        page = client.get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()
        return page.split('id="alert-explanation">', 1)[1].split("</dd>", 1)[0]

    assert "ask the police safeguarding team" in explanation_for(AgencyKind.COUNCIL)
    assert "10 February" not in explanation_for(AgencyKind.COUNCIL)
    assert "10 February" in explanation_for(AgencyKind.POLICE)
    export_alerts(tmp_path / "alerts.csv")
    (row,) = list(csv.DictReader((tmp_path / "alerts.csv").open(encoding="utf-8")))
    assert row["explanation"] == REMARKED_SINCE
    police_triage = UserFactory(role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.POLICE])
    client = Client()
    sign_in(client, police_triage)
    page = client.get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()
    assert "10 February" not in page.split('name="concern-description"', 1)[1].split("</textarea>", 1)[0]

    dpo = UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])
    today = timezone.localdate()
    sar = sar_services.sar_log(acting_user=dpo, person=child, requester_name="Dana",
                               requester_relationship="the person themselves", received_on=today)
    sar = sar_services.sar_verify_identity(acting_user=dpo, sar=sar, verified_on=today, evidence="Passport")
    sar = sar_services.sar_assemble(acting_user=dpo, sar=sar)
    (withheld,) = [item for item in sar.items.all() if item.source == f"alert {alert.reference}"]
    assert withheld.withheld_reason
    sar_services.sar_redactions_accept_all(acting_user=dpo, sar=sar)
    bundle = json.dumps(json.loads(bytes(sar_services.sar_bundle_produce(acting_user=dpo, sar=sar).data)))
    assert written not in bundle


@pytest.fixture
def counted_then_remarked(agencies: dict[str, Any]) -> Alert:
    """Dana's alert was written when the police already held her first missing episode under conditions
    (counted in the shared words, never described) and shared the other two (described). A later extract
    marks the second one C too."""
    from safeguarding.people.models import Event

    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    child = PersonFactory(given_name="Dana", date_of_birth="2011-05-05")
    record = SourceRecordFactory(source_system=police, record_id="DANA-1", person=child)
    episodes = [EventFactory(source_record=record, event_type=EventType.MISSING_EPISODE, occurred_at=at(day),
                             handling=handling)
                for day, handling in (("02-01", Handling.CONDITIONS), ("02-10", Handling.SHAREABLE),
                                      ("02-20", Handling.SHAREABLE))]
    scan_run(as_of=NOW, rules=[Rule.objects.get(code="repeat-missing")])
    alert = Alert.objects.get(person=child)
    assert "10 February" in alert.explanation and "1 more event" in alert.explanation
    assert "1 February" in alert.explanation_restricted
    Event.objects.filter(pk=episodes[1].pk).update(handling=Handling.CONDITIONS)  # the police's next extract
    return alert


def _explanation_for(alert: Alert, role: str, agency: Any) -> str:
    client = Client()
    sign_in(client, UserFactory(role=role, agency=agency))
    page = client.get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()
    return page.split('id="alert-explanation">', 1)[1].split("</dd>", 1)[0]


@pytest.mark.parametrize("agency_kind", [k for k, _ in AgencyKind.choices])
@pytest.mark.parametrize("role", [Role.TRIAGE_WORKER, Role.MACE_COORDINATOR])
def test_words_that_already_counted_a_police_only_event_are_withheld_once_one_more_is_marked_c(
    counted_then_remarked: Alert, agencies: dict[str, Any], role: str, agency_kind: str, tmp_path: Path
) -> None:
    """The shared words describe the second episode (10 February), which the police now hold: they reach
    the police alone; everyone else is told to ask them, on the page and in alerts.csv."""
    from safeguarding.earlywarning.selectors import REMARKED_SINCE

    alert = counted_then_remarked
    shown = _explanation_for(alert, role, agencies[agency_kind])
    if agency_kind == AgencyKind.POLICE:
        assert "10 February" in shown and "1 February" in shown  # the full words, as before
    else:
        assert "10 February" not in shown and "ask the police safeguarding team" in shown
    export_alerts(tmp_path / "alerts.csv")
    (row,) = list(csv.DictReader((tmp_path / "alerts.csv").open(encoding="utf-8")))
    assert row["explanation"] == REMARKED_SINCE


def test_a_concern_started_from_an_alert_re_marked_a_second_time_does_not_describe_the_event(
    counted_then_remarked: Alert, agencies: dict[str, Any]
) -> None:
    client = Client()
    sign_in(client, UserFactory(role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.POLICE]))
    page = client.get(reverse("earlywarning:detail", args=[counted_then_remarked.pk])).content.decode()
    assert "10 February" not in page.split('name="concern-description"', 1)[1].split("</textarea>", 1)[0]


def test_a_scan_of_the_present_writes_the_withheld_words_again_from_the_marking_now(
    counted_then_remarked: Alert, agencies: dict[str, Any]
) -> None:
    """Withheld until a scan meets the alert's episode again: its words are then written with both police-only
    episodes counted, never described, and shown to everyone again; the police still read them all."""
    alert = counted_then_remarked
    scan_run(rules=[Rule.objects.get(code="repeat-missing")])
    alert.refresh_from_db()
    assert Alert.objects.count() == 1 and alert.evidence_count == 3
    council = _explanation_for(alert, Role.TRIAGE_WORKER, agencies[AgencyKind.COUNCIL])
    assert "20 February" in council and "2 more events" in council
    assert "10 February" not in council and "ask the police safeguarding team" not in council
    police = _explanation_for(alert, Role.TRIAGE_WORKER, agencies[AgencyKind.POLICE])
    assert "1 February" in police and "10 February" in police and "20 February" in police


@pytest.mark.django_db
@pytest.mark.parametrize(("detail", "marked"), [
    ({"reclassified": [], "reclassified_count": 0}, True),  # every import listed what it reclassified: none
    ({"counts": {}}, False),  # an import recorded before imports listed them: it may have changed the marking
    ({"reclassified": [], "reclassified_count": 1_001}, False),  # a list cut short
])
def test_evidence_already_held_is_marked_held_when_written_only_where_the_hub_is_sure(detail, marked) -> None:  # type: ignore[no-untyped-def]
    """Migration 0011: evidence held by the police now counts as held when the words were written only
    where no import can have moved it there since; anywhere else the alert's words are withheld."""
    from importlib import import_module

    from django.apps import apps
    from django.db import transaction

    from safeguarding.audit.models import AuditEventType
    from safeguarding.audit.services import audit_record
    from safeguarding.earlywarning.models import AlertEvidence
    from tests.factories import AlertFactory

    alert = AlertFactory(trigger_event__handling="C", explanation_restricted="Fuller words for the police")
    with transaction.atomic():
        audit_record(event_type=AuditEventType.EXTRACT_IMPORTED, actor_label="import", detail=detail)
    import_module("safeguarding.earlywarning.migrations.0011_evidence_police_only_when_written"
                  ).mark_evidence_held_when_written(apps, None)
    assert AlertEvidence.objects.get(alert=alert).police_only_when_written is marked


def test_new_link_alerts_written_before_on_police_only_links_are_withheld_from_subject_access() -> None:
    """Migration 0012: a new-link alert that says only whom to ask, written before the police's words
    were kept beside it, is now withheld whole from a subject access bundle; others are untouched."""
    from importlib import import_module

    from django.apps import apps

    from safeguarding.contexts.services import _WITHHELD
    from tests.factories import AlertFactory

    module = import_module("safeguarding.earlywarning.migrations.0012_new_link_alerts_withheld_from_subject_access")
    assert module.WITHHELD == _WITHHELD  # the words the hub wrote
    withheld = AlertFactory(explanation=module.WITHHELD)
    shared = AlertFactory(explanation="Seen in vehicle: YA19 ABC. The same vehicle is linked to another child")
    module.forwards(apps, None)
    withheld.refresh_from_db()
    shared.refresh_from_db()
    assert withheld.explanation_restricted == module.WITHHELD and shared.explanation_restricted == ""


# --- Links to other children: network knowledge --------------------------------------------------


@pytest.fixture
def linked_openly(agencies: dict[str, Any]) -> Linked:
    """Chloe and Amy, a child at risk, each found with the same adult, in police records any agency may
    see: nothing police-only, but what links Chloe to Amy is the network picture."""
    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    # two sightings: two pairs of events, one link in words
    adult, amy_person = _amy_at_risk_seen_with_darren(police, sightings=("03-01", "03-02"))
    chloe_person = PersonFactory(given_name="Chloe", date_of_birth="2011-03-14")
    chloe = SourceRecordFactory(source_system=police, record_id="CHLOE-1", person=chloe_person)
    EventFactory(source_record=chloe, event_type=EventType.FOUND_WITH_ADULT, occurred_at=at("03-15"),
                 other_record_ids="ADULT-1")
    scan_run(as_of=NOW, rules=list(Rule.objects.filter(code__in=["repeat-missing", "linked-to-child-at-risk"])))
    alert = Alert.objects.get(rule__code="linked-to-child-at-risk", person=chloe_person)
    return Linked(alert=alert, adult_reference=adult.person.reference, other_child_reference=amy_person.reference,
                  intel_moment="1 March 2026, 12:00", kind="")  # intel_moment: Amy's sighting, as written


@pytest.mark.parametrize(("role", "sees_networks"), [
    (Role.SUPPORT_WORKER, False), (Role.MACE_COORDINATOR, True), (Role.LEAD_PRACTITIONER, True),
    (Role.TRIAGE_WORKER, True), (Role.INTELLIGENCE_OFFICER, True),
])
def test_who_does_not_see_networks_is_not_shown_the_other_child_or_the_adult_through_an_alert(
    role: str, sees_networks: bool, linked_openly: Linked, agencies: dict[str, Any]
) -> None:
    """A survivor support worker does not see networks (docs/decisions.md, "Who sees which links"): the
    alert page told them whom the child was seen with and which other child that adult was with, and
    listed the other child's records. Now one sentence says the alert rests on such a link."""
    agency = agencies[AgencyKind.POLICE if role == Role.INTELLIGENCE_OFFICER else AgencyKind.VOLUNTARY
                      if role == Role.SUPPORT_WORKER else AgencyKind.COUNCIL]
    client = Client()
    sign_in(client, UserFactory(role=role, agency=agency))
    page = client.get(reverse("earlywarning:detail", args=[linked_openly.alert.pk])).content.decode()
    explanation = page.split('id="alert-explanation">', 1)[1].split("</dd>", 1)[0]
    for fact in (linked_openly.adult_reference, linked_openly.other_child_reference):
        assert (fact in page) is sees_networks, (role, fact)
    assert ("shown only to those who work on them" in explanation) is not sees_networks
    if sees_networks:  # the same link, noted for two pairs of sightings, is said once
        assert explanation.count("a child already alerted") == 1, explanation


def test_a_concern_from_the_alert_and_the_childs_subject_access_bundle_leave_the_other_child_out(
    linked_openly: Linked, agencies: dict[str, Any]
) -> None:
    """Every casework role reads a concern, support workers among them, and a subject access bundle goes to
    the child: neither names the other child at risk nor the adult the two were seen with."""
    mace = UserFactory(role=Role.MACE_COORDINATOR, agency=agencies[AgencyKind.COUNCIL])
    client = Client()
    sign_in(client, mace)
    page = client.get(reverse("earlywarning:detail", args=[linked_openly.alert.pk])).content.decode()
    prefilled = page.split('name="concern-description"', 1)[1].split("</textarea>", 1)[0]
    assert "shown only to those who work on them" in prefilled
    _, bundle = _bundle_for(linked_openly.alert.person, agencies)
    assert "Linked to another child at risk" in bundle
    for text in (prefilled, bundle):
        assert linked_openly.other_child_reference not in text and linked_openly.adult_reference not in text


@pytest.mark.parametrize(("role", "sees_networks"), [(Role.SUPPORT_WORKER, False), (Role.MACE_COORDINATOR, True)])
def test_a_new_link_alert_is_told_without_the_link_to_who_does_not_see_networks(
    role: str, sees_networks: bool, agencies: dict[str, Any]
) -> None:
    """A new-link alert is all link: the car two children were seen in, and the other child's sighting
    among its evidence. A survivor support worker reads one sentence and the child's own events."""
    from django.db import transaction

    from safeguarding.earlywarning.services import alert_raise_for_link, new_link_rule

    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    amy = SourceRecordFactory(source_system=police, record_id="AMY-1",
                              person=PersonFactory(given_name="Amy", date_of_birth="2011-05-05"))
    chloe = SourceRecordFactory(source_system=police, record_id="CHLOE-1",
                                person=PersonFactory(given_name="Chloe", date_of_birth="2011-03-14"))
    theirs = EventFactory(source_record=amy, event_type=EventType.SEEN_IN_VEHICLE, occurred_at=at("03-01"),
                          vehicle_registration="AB12CDE")
    hers = EventFactory(source_record=chloe, event_type=EventType.SEEN_IN_VEHICLE, occurred_at=at("03-15"),
                        vehicle_registration="AB12CDE")
    with transaction.atomic():
        alert = alert_raise_for_link(
            rule=new_link_rule("second_child_entity"), person=chloe.person, trigger_event=hers, evidence=[theirs],
            explanation=f"Seen in a vehicle: AB12CDE. The same vehicle is linked to another child "
                        f"({amy.person.reference}) since 1 March 2026, recorded by Police agency.")
    assert alert is not None
    client = Client()
    sign_in(client, UserFactory(role=role, agency=agencies[AgencyKind.VOLUNTARY if role == Role.SUPPORT_WORKER
                                                           else AgencyKind.COUNCIL]))
    page = client.get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()
    explanation = page.split('id="alert-explanation">', 1)[1].split("</dd>", 1)[0]
    for fact in (amy.person.reference, "1 March 2026"):  # the other child, and her sighting among the evidence
        assert (fact in page) is sees_networks, (role, fact)
    assert ("AB12CDE" in explanation) is sees_networks
    assert "15 March 2026" in page  # her own sighting
    assert ("shown only to those who work on them" in explanation) is not sees_networks
