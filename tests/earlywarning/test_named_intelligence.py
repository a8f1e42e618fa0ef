"""Police intelligence held on another person's record (an adult's) that names a child counts for that
child in the rule weighing signs; and who may read what of it: the alert's words and evidence, its CSV,
the concern raised from it, the child's subject access bundle and the missed-opportunity report."""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.earlywarning.exporters import export_alerts
from safeguarding.earlywarning.models import Alert, AlertEvidence, Rule
from safeguarding.earlywarning.rules import rule_spec
from safeguarding.earlywarning.scan import scan_run
from safeguarding.earlywarning.selectors import missed_opportunity_report
from safeguarding.people.models import Event, EventType, PersonRole
from tests.earlywarning.test_derived_texts import _bundle_for
from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory, UserFactory, sign_in

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(dt.datetime(2026, 6, 1, 12, 0))
RULE = "exploitation-evidence"


def at(day: str, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.fromisoformat(f"2026-{day}T{hour:02d}:00"))


class Area:
    """A child known to the police and a school, and an adult on the police's system."""

    def __init__(self, agencies: dict[str, Any], *, child_dob: str = "2011-03-14") -> None:
        self.police = SourceSystemFactory(code="police-system", agency=agencies[AgencyKind.POLICE])
        self.school = SourceSystemFactory(code="education-system", agency=agencies[AgencyKind.EDUCATION])
        self.child = PersonFactory(given_name="Chloe", family_name="Barker", date_of_birth=child_dob,
                                   role=PersonRole.CHILD)
        self.child_police = SourceRecordFactory(source_system=self.police, person=self.child, record_id="NICHE-C1")
        self.child_school = SourceRecordFactory(source_system=self.school, person=self.child, record_id="SIMS-C1")
        self.adult = PersonFactory(given_name="Dean", family_name="Lane", date_of_birth="1990-01-01",
                                   role=PersonRole.ADULT)
        self.adult_police = SourceRecordFactory(source_system=self.police, person=self.adult, record_id="NICHE-A1")

    def school_event(self, event_type: str, when: dt.datetime) -> Event:
        event: Event = EventFactory(source_record=self.child_school, event_type=event_type, occurred_at=when)
        return event

    def intelligence_on_adult(self, when: dt.datetime, *, handling: str = "C", names: str = "NICHE-C1",
                              detail: str = "Lane seen handing cash to the girl outside the flats") -> Event:
        event: Event = EventFactory(source_record=self.adult_police, event_type=EventType.INTELLIGENCE,
                                    occurred_at=when, handling=handling, other_record_ids=names, detail=detail)
        return event

    def signs(self) -> tuple[Event, Event, Event]:
        """Gifts (3) on 10 January, intelligence on the adult naming the child (3) on 12 January, and an
        absence (1) on 15 January: 7 points with the intelligence, 4 without."""
        gifts = self.school_event(EventType.GIFTS_OR_MONEY, at("01-10"))
        intelligence = self.intelligence_on_adult(at("01-12"))
        absence = self.school_event(EventType.ABSENT_FROM_SCHOOL, at("01-15"))
        return gifts, intelligence, absence


@pytest.fixture
def area(agencies: dict[str, Any]) -> Area:
    return Area(agencies)


def alerts() -> list[Alert]:
    return list(Alert.objects.filter(rule__code=RULE).order_by("raised_at"))


def evidence_of(alert: Alert) -> set[int]:
    return set(AlertEvidence.objects.filter(alert=alert).values_list("event_id", flat=True))


def switch_named_off() -> None:
    rule = Rule.objects.get(code=RULE)
    rule.params = {k: v for k, v in rule.params.items() if k != "for_named_children"}
    rule.save()


# --- the engine and the scan -----------------------------------------------------------------------


def test_the_shipped_rule_counts_intelligence_for_the_children_it_names() -> None:
    spec = rule_spec(Rule.objects.get(code=RULE))
    assert spec.params["for_named_children"] == ["intelligence"]


def test_intelligence_on_an_adult_naming_the_child_adds_its_points_to_the_childs_signs(area: Area) -> None:
    gifts, intelligence, absence = area.signs()
    scan_run(as_of=NOW, rules=[Rule.objects.get(code=RULE)])
    [alert] = alerts()
    assert alert.person == area.child and alert.score == 7
    # Raised when the intelligence on the adult's record named her, with it among the evidence.
    assert (alert.raised_at, alert.trigger_event) == (at("01-12"), gifts)
    assert evidence_of(alert) == {gifts.pk, intelligence.pk, absence.pk}


def test_switched_off_the_intelligence_on_the_adult_counts_for_no_child(area: Area) -> None:
    area.signs()
    switch_named_off()
    scan_run(as_of=NOW, rules=[Rule.objects.get(code=RULE)])
    assert alerts() == []


def test_intelligence_naming_the_child_tips_the_rule_beside_a_sign_of_the_childs_own(area: Area) -> None:
    """3 + 3 = 6 points when the intelligence is recorded: the alert is raised at that moment, keyed by the
    child's own sign before it (Dean's intelligence may name other children, each with an alert of their
    own)."""
    gifts = area.school_event(EventType.GIFTS_OR_MONEY, at("01-10"))
    intelligence = area.intelligence_on_adult(at("01-12"))
    scan_run(as_of=NOW, rules=[Rule.objects.get(code=RULE)])
    [alert] = alerts()
    assert (alert.trigger_event, alert.raised_at, alert.score) == (gifts, at("01-12"), 6)
    assert evidence_of(alert) == {gifts.pk, intelligence.pk}


def test_intelligence_on_an_adults_record_alone_raises_no_alert(area: Area) -> None:
    """Dean's record names Chloe and another adult as present (3 + 4 points): enough to reach the rule's
    mark, but with no sign of Chloe's own there is no alert about her."""
    other_adult = PersonFactory(given_name="Ray", date_of_birth="1985-01-01", role=PersonRole.ADULT)
    SourceRecordFactory(source_system=area.police, person=other_adult, record_id="NICHE-A2")
    area.intelligence_on_adult(at("01-12"), names="NICHE-C1;NICHE-A2")
    scan_run(as_of=NOW, rules=[Rule.objects.get(code=RULE)])
    assert alerts() == []
    later = area.school_event(EventType.ABSENT_FROM_SCHOOL, at("02-01"))
    scan_run(as_of=NOW, rules=[Rule.objects.get(code=RULE)])
    [alert] = alerts()
    assert (alert.trigger_event, alert.score) == (later, 8)


def test_two_children_named_in_one_piece_of_intelligence_each_have_their_own_alert(
    area: Area, agencies: dict[str, Any]
) -> None:
    amy = PersonFactory(given_name="Amy", date_of_birth="2011-06-06", role=PersonRole.CHILD)
    SourceRecordFactory(source_system=area.police, person=amy, record_id="NICHE-C2")
    amy_school = SourceRecordFactory(source_system=area.school, person=amy, record_id="SIMS-C2")
    area.school_event(EventType.GIFTS_OR_MONEY, at("01-10"))
    EventFactory(source_record=amy_school, event_type=EventType.MULTIPLE_PHONES, occurred_at=at("01-11"))
    area.intelligence_on_adult(at("01-12"), names="NICHE-C1;NICHE-C2")
    scan_run(as_of=NOW, rules=[Rule.objects.get(code=RULE)])
    assert {(a.person, a.raised_at) for a in alerts()} == {(area.child, at("01-12")), (amy, at("01-12"))}
    scan_run(as_of=NOW, rules=[Rule.objects.get(code=RULE)])  # scanning again adds nothing
    assert len(alerts()) == 2


def test_a_young_person_named_after_their_18th_birthday_gets_nothing_from_it(agencies: dict[str, Any]) -> None:
    area = Area(agencies, child_dob="2008-01-05")  # 18 on 5 January 2026
    area.school_event(EventType.GIFTS_OR_MONEY, at("01-02"))
    area.intelligence_on_adult(at("01-12"))
    area.school_event(EventType.ABSENT_FROM_SCHOOL, at("01-03"))
    scan_run(as_of=NOW, rules=[Rule.objects.get(code=RULE)])
    assert alerts() == []


def test_new_intelligence_on_an_adult_rescans_the_children_it_names(area: Area) -> None:
    area.school_event(EventType.GIFTS_OR_MONEY, at("01-10"))
    area.school_event(EventType.ABSENT_FROM_SCHOOL, at("01-15"))
    scan_run()
    assert alerts() == []
    area.intelligence_on_adult(at("01-12"))  # recorded late, about the weeks before the absence
    result = scan_run(incremental=True)
    [alert] = alerts()
    assert alert.person == area.child and alert.score == 7
    assert result.scan.children_scanned == 2  # the adult whose record holds it, and the child it names


# --- what each reader sees ------------------------------------------------------------------------

NAMED_WORDS = "held on another person's record that names this child"
ASK_POLICE = "It also rests on police intelligence you may not see here. Ask the police safeguarding team"
INTEL_DETAIL = "Lane seen handing cash"
ROLES = [Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.LEAD_PRACTITIONER, Role.INTELLIGENCE_OFFICER,
         Role.SUPPORT_WORKER, Role.AGENCY_MANAGER]
SEES_NETWORKS = {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.LEAD_PRACTITIONER, Role.INTELLIGENCE_OFFICER}


@dataclass
class Raised:
    alert: Alert
    area: Area
    handling: str


@pytest.fixture(params=["C", "P"])
def raised(request: pytest.FixtureRequest, agencies: dict[str, Any]) -> Raised:
    """Chloe's alert, resting on police intelligence on Dean's record that names her: held by the police
    under conditions (C), or marked for sharing (P)."""
    area = Area(agencies)
    area.school_event(EventType.GIFTS_OR_MONEY, at("01-10"))
    area.intelligence_on_adult(at("01-12"), handling=request.param)
    area.school_event(EventType.ABSENT_FROM_SCHOOL, at("01-15"))
    scan_run(as_of=NOW, rules=[Rule.objects.get(code=RULE)])
    [alert] = alerts()
    return Raised(alert, area, request.param)


def _sees_the_intelligence(role: str, agency_kind: str, handling: str) -> bool:
    """Who may read that Dean's record names Chloe: those who see networks, and for intelligence held
    under conditions only the police's among them."""
    return role in SEES_NETWORKS and (handling == "P" or agency_kind == AgencyKind.POLICE)


@pytest.mark.parametrize("agency_kind", [AgencyKind.POLICE, AgencyKind.COUNCIL, AgencyKind.VOLUNTARY])
@pytest.mark.parametrize("role", ROLES)
def test_the_alert_page_tells_the_intelligence_on_the_adult_only_to_who_may_see_it(
    role: str, agency_kind: str, raised: Raised, agencies: dict[str, Any]
) -> None:
    client = Client()
    sign_in(client, UserFactory(role=role, agency=agencies[agency_kind]))
    page = html.unescape(client.get(reverse("earlywarning:detail", args=[raised.alert.pk])).content.decode())
    explanation = page.split('id="alert-explanation">', 1)[1].split("</dd>", 1)[0]
    evidence = page.split('id="alert-evidence">', 1)[1].split("</table>", 1)[0]
    sees = _sees_the_intelligence(role, agency_kind, raised.handling)
    case = (role, agency_kind, raised.handling)
    assert (NAMED_WORDS in explanation) is sees, case
    assert (INTEL_DETAIL in evidence) is sees, case
    assert ("Held on another person's record that names this child" in evidence) is sees, case
    # No one reads who the adult is in the alert's words; the evidence names no one but the child.
    for told in (raised.area.adult.reference, "Dean"):
        assert told not in page, (case, told)
    assert "Unexplained gifts or money (Education" in explanation  # the child's own signs, for everyone
    if not sees:
        # told whom to ask, never that someone else's record names the child
        assert "names this child" not in page, case
        assert "Ask the police safeguarding team" in explanation, case
        assert "police intelligence not shared with your agency" in page, case


def test_a_concern_raised_from_the_alert_by_the_police_does_not_say_whose_record_names_the_child(
    raised: Raised, agencies: dict[str, Any]
) -> None:
    """A concern is read by every casework role: a police triage worker who may read it all starts the
    concern from words that leave it out."""
    police_triage = UserFactory(role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.POLICE])
    client = Client()
    sign_in(client, police_triage)
    page = html.unescape(client.get(reverse("earlywarning:detail", args=[raised.alert.pk])).content.decode())
    assert NAMED_WORDS in page.split('id="alert-explanation">', 1)[1]  # they read it on the alert
    prefilled = page.split('name="concern-description"', 1)[1].split("</textarea>", 1)[0]
    assert "names this child" not in prefilled and INTEL_DETAIL not in prefilled
    assert "Ask the police safeguarding team" in prefilled


def test_alerts_csv_does_not_say_whose_record_names_the_child(raised: Raised, tmp_path: Path) -> None:
    out = tmp_path / "alerts.csv"
    export_alerts(out)
    [row] = list(csv.DictReader(out.open(encoding="utf-8")))
    assert "names this child" not in row["explanation"] and raised.area.adult.reference not in row["explanation"]
    assert "Ask the police safeguarding team" in row["explanation"]


def test_the_childs_subject_access_bundle_withholds_the_intelligence_on_the_adult(
    raised: Raised, agencies: dict[str, Any]
) -> None:
    """Held under conditions, the alert is withheld whole, as alerts resting on such intelligence are;
    shareable, the alert is disclosed without what the adult's record says (a third party's, the police's)."""
    sar, bundle = _bundle_for(raised.alert.person, agencies)
    [item] = [i for i in sar.items.all() if i.source == f"alert {raised.alert.reference}"]
    alert_words = json.dumps(item.fields)
    assert "names this child" not in alert_words and INTEL_DETAIL not in alert_words
    assert raised.area.adult.reference not in bundle
    if raised.handling == "C":
        assert item.kind == "withheld_police"
        assert INTEL_DETAIL not in bundle and "12 January" not in bundle
    else:
        assert item.kind == "alert" and ASK_POLICE in alert_words


def test_the_missed_opportunity_report_counts_the_intelligence_as_a_sign_the_police_held(
    area: Area, agencies: dict[str, Any]
) -> None:
    """Referred after the intelligence on Dean's record named her: it was a sign held before the referral,
    described to the police's MACE coordinator, counted for the council's, and the rule would have fired
    on it."""
    from safeguarding.panel.models import PanelReferral
    from safeguarding.panel.services import panel_refer

    area.signs()
    council = UserFactory(role=Role.MACE_COORDINATOR, agency=agencies[AgencyKind.COUNCIL])
    referral = panel_refer(child=area.child, referred_by=council, reason="Referred for the test")
    PanelReferral.objects.filter(pk=referral.pk).update(referred_at=at("03-01"))
    police = UserFactory(role=Role.MACE_COORDINATOR, agency=agencies[AgencyKind.POLICE])
    for reader, sees in ((police, True), (council, False)):
        [shown] = missed_opportunity_report(user=reader).children
        assert ("intelligence" in [s.event_type for s in shown.signs]) is sees
        assert shown.signs_withheld == (0 if sees else 1)
        assert [rule for rule, _ in shown.would_fire] == ["Signs of exploitation adding up"]


# --- the setting on the rule's page ---------------------------------------------------------------


def test_an_administrator_sees_the_setting_tests_the_rule_without_it_and_switches_it_off(
    area: Area, agencies: dict[str, Any]
) -> None:
    """Shareable intelligence on Dean's record names Chloe before the school's absence; a concern follows.
    The rule's page shows the setting; a draft without it, tested against history, flags no one where the
    rule as it is flags Chloe; saved without it, it is a new version and the rule's words no longer say it."""
    from safeguarding.earlywarning.rule_forms import _as_text

    area.school_event(EventType.GIFTS_OR_MONEY, at("01-10"))
    area.intelligence_on_adult(at("01-12"), handling="P")
    area.school_event(EventType.ABSENT_FROM_SCHOOL, at("01-15"))
    area.school_event(EventType.CONCERN, at("03-01"))
    client = Client()
    sign_in(client, UserFactory(role=Role.ADMINISTRATOR, agency=agencies[AgencyKind.COUNCIL]))
    rule = Rule.objects.get(code=RULE)
    url = reverse("rules:edit", args=[RULE])
    edit = html.unescape(client.get(url).content.decode())
    assert "Event types on another person's record that count for each child they name" in edit
    assert 'name="for_named_children" type="text" value="intelligence"' in edit
    form = {"name": rule.name, "description": rule.description, "level": rule.level, "enabled": "on",
            **{key: _as_text(value) for key, value in rule.params.items()}}

    refused = html.unescape(client.post(url, {**form, "for_named_children": "intelligence, arrest",
                                              "change_note": "Arrests too", "action": "save"}).content.decode())
    assert "'arrest' is to count for the children it names but has no points" in refused

    tested = client.post(url, {**form, "for_named_children": "", "change_note": "Own records only", "action": "test"})
    body = client.get(tested["Location"]).content.decode()
    # the draft flags no one; the rule as it is flags Chloe
    assert 'id="bt-flagged">0</td><td class="govuk-table__cell govuk-table__cell--numeric">1</td>' in body

    saved = client.post(url, {**form, "for_named_children": "", "change_note": "Own records only", "action": "save"})
    assert saved.status_code == 302
    rule.refresh_from_db()
    assert rule.version == 2 and rule.params["for_named_children"] == []
    listed = client.get(reverse("rules:list")).content.decode()
    assert "on another person" not in listed and "signs adding up to 6 points or more within 180 days" in listed


@pytest.mark.parametrize(("handling", "outside_the_police"), [("C", "01-10"), ("P", "01-12")])
def test_the_moment_intelligence_on_the_adult_tipped_the_rule_is_kept_from_who_may_not_see_it(
    handling: str, outside_the_police: str, area: Area, agencies: dict[str, Any], tmp_path: Path
) -> None:
    """Raised when intelligence held under conditions named her: a reader outside the police is given the
    moment of the last sign they may see (her gifts), as for any alert the police's record tipped."""
    from safeguarding.earlywarning.selectors import alert_raised_shown

    area.school_event(EventType.GIFTS_OR_MONEY, at("01-10"))
    area.intelligence_on_adult(at("01-12"), handling=handling)
    scan_run(as_of=NOW, rules=[Rule.objects.get(code=RULE)])
    [alert] = alerts()
    police = UserFactory(role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.POLICE])
    council = UserFactory(role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.COUNCIL])
    assert alert_raised_shown(user=police, alert=alert) == at("01-12")
    assert alert_raised_shown(user=council, alert=alert) == at(outside_the_police)
    out = tmp_path / "alerts.csv"
    export_alerts(out)
    [row] = list(csv.DictReader(out.open(encoding="utf-8")))
    assert row["raised_at"].startswith(f"2026-{outside_the_police}")


def test_a_database_set_up_before_gets_the_setting_only_on_the_rule_as_it_shipped() -> None:
    """Migration 0013: the shipped rule, still as it shipped, gets the setting as a new version with the
    reason; a rule the partnership changed is left as they made it."""
    from importlib import import_module

    from django.apps import apps

    from safeguarding.earlywarning.models import RuleVersion

    module = import_module("safeguarding.earlywarning.migrations.0013_intelligence_counts_for_the_children_it_names")
    rule = Rule.objects.get(code=RULE)
    before = {k: v for k, v in rule.params.items() if k != "for_named_children"}
    assert (rule.name, rule.level, before) == module.AS_SHIPPED  # the frozen copy is the rule as it shipped
    Rule.objects.filter(pk=rule.pk).update(params=before, description=rule.description.replace(
        module.DESCRIPTION_AFTER, module.DESCRIPTION_BEFORE))
    module.forwards(apps, None)
    rule.refresh_from_db()
    assert rule.version == 2 and rule.params["for_named_children"] == ["intelligence"]
    assert module.DESCRIPTION_AFTER in rule.description
    assert RuleVersion.objects.get(rule=rule, version=2).change_note == module.NOTE

    changed = {**before, "threshold": 7}
    Rule.objects.filter(pk=rule.pk).update(params=changed, version=3)
    module.forwards(apps, None)
    rule.refresh_from_db()
    assert rule.version == 3 and rule.params == changed
