"""The missed-opportunity report: each child referred to the panel with every sign the agencies held
before the first referral and the rules that would or did fire; counts by age, sex and agency; the
children's identities for the panel's coordinator only, the counts for the partnership manager; police
intelligence not marked P counted, never described, for anyone outside the police."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.earlywarning.missed import missed_opportunities
from safeguarding.earlywarning.scan import scan_run
from safeguarding.panel.models import PanelReferral
from safeguarding.people.models import EventType
from tests.earlywarning.test_scan import History, at
from tests.factories import UserFactory, sign_in

pytestmark = pytest.mark.django_db


def _refer(child: History, when: dt.datetime, coordinator: User) -> None:
    """A panel referral made on a past day (the service writes the moment it is made)."""
    from safeguarding.panel.services import panel_refer

    referral = panel_refer(child=child.person, referred_by=coordinator, reason="Referred for the test")
    PanelReferral.objects.filter(pk=referral.pk).update(referred_at=when)


@pytest.fixture
def children(agencies: dict[str, Any]) -> dict[str, History]:
    coordinator = UserFactory(role=Role.MACE_COORDINATOR, agency=agencies[AgencyKind.COUNCIL])
    caught = History(agencies, name="Caught", dob="2011-03-14")  # 14 at the referral
    caught.add(EventType.MISSING_EPISODE, at("01-02"))
    caught.add(EventType.GIFTS_OR_MONEY, at("01-10"), AgencyKind.EDUCATION)
    caught.add(EventType.MULTIPLE_PHONES, at("01-20"), AgencyKind.EDUCATION)  # 7 points: the rule fires
    caught.add(EventType.CONCERN, at("03-01"), AgencyKind.COUNCIL)  # the first referral
    caught.add(EventType.ONLINE_GROOMING, at("03-05"), AgencyKind.EDUCATION)  # after it: not a sign before
    scan_run(as_of=at("02-01"))  # the hub did raise the alert, before the referral
    _refer(caught, at("04-01"), coordinator)

    missed = History(agencies, name="Missed", dob="2009-08-01")  # 16 at the referral
    missed.add(EventType.ABSENT_FROM_SCHOOL, at("02-02"), AgencyKind.EDUCATION)
    missed.add(EventType.SELF_HARM, at("02-10"), AgencyKind.HEALTH)
    missed.add(EventType.INTELLIGENCE, at("02-12"), handling="C", detail="Seen with the Lane brothers")
    missed.add(EventType.OTHER, at("02-15"), AgencyKind.COUNCIL)  # a routine contact: not a sign
    _refer(missed, at("03-10"), coordinator)

    nothing = History(agencies, name="Unknown", dob="2015-01-01")  # 11; referred with nothing held before
    nothing.add(EventType.MISSING_EPISODE, at("05-01"))
    _refer(nothing, at("04-20"), coordinator)

    never = History(agencies, name="Never")  # signs, but never referred: not in the report
    never.add(EventType.GIFTS_OR_MONEY, at("01-10"), AgencyKind.EDUCATION)
    return {"caught": caught, "missed": missed, "nothing": nothing, "never": never}


def test_each_referred_child_has_every_sign_before_the_first_referral_and_the_rules(
    children: dict[str, History],
) -> None:
    report = missed_opportunities(as_of=timezone.make_aware(dt.datetime(2026, 6, 1)))
    by_person = {child.person_id: child for child in report.children}
    assert set(by_person) == {children[n].person.pk for n in ("caught", "missed", "nothing")}

    caught = by_person[children["caught"].person.pk]
    assert caught.first_referral == at("03-01")  # the concern, before the panel referral
    assert caught.panel_referral == at("04-01")
    assert [(s.event_type, s.agency, s.rules) for s in caught.signs] == [
        ("missing_episode", "Police agency", ("Signs of exploitation adding up",)),
        ("gifts_or_money", "Education (schools) agency", ("Signs of exploitation adding up",)),
        ("multiple_phones", "Education (schools) agency", ("Signs of exploitation adding up",)),
    ]
    assert [(f.rule, f.at) for f in caught.would_fire] == [("Signs of exploitation adding up", at("01-20"))]
    assert [(f.rule, f.at) for f in caught.did_fire] == [("Signs of exploitation adding up", at("01-20"))]
    assert (caught.missed, caught.lead_days, caught.age_band, caught.sex) == (False, 40, "13 to 15", "female")

    missed = by_person[children["missed"].person.pk]
    assert [s.event_type for s in missed.signs] == ["absent_from_school", "self_harm", "intelligence"]
    assert [s.restricted for s in missed.signs] == [False, False, True]
    assert (missed.would_fire, missed.did_fire, missed.missed, missed.age_band) == ([], [], True, "16 or 17")

    nothing = by_person[children["nothing"].person.pk]
    assert (nothing.signs, nothing.missed, nothing.age_band) == ([], False, "10 to 12")


def test_counts_by_age_sex_and_agency_show_whom_the_rules_miss(children: dict[str, History]) -> None:
    report = missed_opportunities(as_of=timezone.make_aware(dt.datetime(2026, 6, 1)))
    total = report.total()
    assert (total.referred, total.with_signs, total.would_flag, total.did_flag, total.missed, total.signs) == (
        3, 2, 1, 1, 1, 6)
    ages = {g.group: (g.referred, g.missed) for g in report.counts("age")}
    assert ages == {"under 10": (0, 0), "10 to 12": (1, 0), "13 to 15": (1, 0), "16 or 17": (1, 1),
                    "age not known": (0, 0)}
    sexes = {g.group: g.referred for g in report.counts("sex")}
    assert sexes == {"female": 3, "male": 0, "other": 0, "not known": 0}
    agencies = {g.group: (g.referred, g.signs, g.would_flag, g.missed) for g in report.counts("agency")}
    assert agencies == {
        "Police agency": (2, 2, 1, 1),  # a missing episode (caught), intelligence (missed)
        "Education (schools) agency": (2, 3, 1, 1),
        "Health agency": (1, 1, 0, 1),
    }


def _page(user: User) -> tuple[int, str]:
    client = Client()
    sign_in(client, user)
    response = client.get(reverse("earlywarning:missed"))
    return response.status_code, response.content.decode() if response.status_code == 200 else ""


def test_the_coordinator_sees_each_child_and_police_only_intelligence_is_counted_not_described(
    children: dict[str, History], make_user: Any,
) -> None:
    council = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    status, body = _page(council)
    assert status == 200
    for name in ("caught", "missed", "nothing"):
        assert f'id="missed-{children[name].person.pk}"' in body
    assert f'id="missed-{children["never"].person.pk}"' not in body
    section = body.split(f'id="missed-{children["missed"].person.pk}"')[1].split('class="hub-missed-child"')[0]
    assert "Self-harm" in section and "Missed</strong>" in section
    assert "Intelligence" not in section and "Lane" not in body
    assert "1 more sign: police intelligence not shared beyond the police" in section
    shown = AuditEvent.objects.get(event_type=AuditEventType.PERSONS_LISTED, target_id="missed-opportunity report")
    assert set(shown.detail["persons"]) == {children[n].person.pk for n in ("caught", "missed", "nothing")}
    viewed = AuditEvent.objects.get(event_type=AuditEventType.MISSED_OPPORTUNITIES_VIEWED)
    assert viewed.detail == {"identities": True, "children": 3}

    police = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.POLICE)
    _, police_body = _page(police)
    police_section = police_body.split(f'id="missed-{children["missed"].person.pk}"')[1]
    assert '<td class="govuk-table__cell">Intelligence</td>' in police_section
    assert "police intelligence not shared beyond the police" not in police_body


def test_when_a_rule_would_have_fired_on_police_only_records_its_date_stays_with_the_police(
    agencies: dict[str, Any], make_user: Any,
) -> None:
    """The day a rule would have fired, where its episode rests on a record the police marked C,
    says when the police learnt something: other readers are told the rule, and whom to ask."""
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    quiet = History(agencies, name="Quiet", dob="2011-03-14")
    quiet.add(EventType.MISSING_EPISODE, at("01-02"))
    quiet.add(EventType.GIFTS_OR_MONEY, at("01-10"), AgencyKind.EDUCATION)
    quiet.add(EventType.MULTIPLE_PHONES, at("01-20"), handling="C")  # the police's: the rule fires on it
    quiet.add(EventType.CONCERN, at("03-01"), AgencyKind.COUNCIL)
    _refer(quiet, at("04-01"), coordinator)
    scan_run(as_of=at("05-01"))  # the hub raised the alert too, dated by the police's record
    _, council = _page(coordinator)
    flagged = council.split("Would have been flagged by", 1)[1].split(".", 1)[0]
    assert "on records the police hold: ask them" in flagged and "January" not in flagged
    raised = council.split("Alerts raised before the referral:", 1)[1].split("</p>", 1)[0]
    assert "on records the police hold" in raised and "January" not in raised
    # Nor does the median lead give it away: 1 March less 40 days is 20 January.
    assert "40 days" not in council and not re.search(r'numeric">40<', council)
    _, police = _page(make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.POLICE))
    flagged = police.split("Would have been flagged by", 1)[1].split(".", 1)[0]
    assert "20 January 2026" in flagged and "police hold" not in flagged
    assert "20 January 2026" in police.split("Alerts raised before the referral:", 1)[1].split("</p>", 1)[0]
    assert "a median of 40 days before the referral" in police


def test_a_concern_the_police_hold_under_conditions_is_no_first_referral(
    agencies: dict[str, Any], make_user: Any,
) -> None:
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    child = History(agencies, name="Held")
    child.add(EventType.MISSING_EPISODE, at("01-02"), AgencyKind.COUNCIL)
    child.add(EventType.CONCERN, at("01-10"), handling="C")  # the police's, under conditions
    child.add(EventType.SELF_HARM, at("02-15"), AgencyKind.HEALTH)
    _refer(child, at("04-01"), coordinator)

    _, council = _page(coordinator)

    assert "First referred 1 April 2026." in council and "10 January" not in council
    assert "15 February 2026" in council  # the signs up to the panel referral count


def test_an_import_that_only_re_marks_a_sign_changes_the_stored_report(
    agencies: dict[str, Any], make_user: Any, tmp_path: Any,
) -> None:
    from safeguarding.exchange.importer import import_extract

    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    child = History(agencies, name="Remarked")
    gifts = child.add(EventType.GIFTS_OR_MONEY, at("02-03"), handling="P")
    _refer(child, at("04-01"), coordinator)
    _, before = _page(coordinator)  # worked out, and stored
    assert "3 February 2026" in before

    record = child.records[AgencyKind.POLICE]
    (tmp_path / "events.csv").write_text(
        "source_system,event_id,record_id,event_type,occurred_at,handling\n"
        f"{record.source_system.code},{gifts.event_id},{record.record_id},gifts_or_money,2026-02-03T12:00,C\n")
    import_extract(tmp_path)  # nothing new: the police now hold the sign under conditions

    _, after = _page(coordinator)
    assert "3 February 2026" not in after
    assert "1 more sign: police intelligence not shared beyond the police" in after


def test_the_partnership_manager_sees_counts_only_and_others_nothing(
    children: dict[str, History], make_user: Any,
) -> None:
    manager = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    status, body = _page(manager)
    assert status == 200
    assert re.search(r"Missed \(signs held, no rule would have flagged first\)</dt>\s*<dd[^>]*>1<", body)
    assert 'id="missed-by-agency"' in body
    for child in children.values():
        assert child.person.reference not in body and child.person.family_name not in body
    assert "Each child referred" not in body
    assert not AuditEvent.objects.filter(event_type=AuditEventType.PERSONS_LISTED).exists()
    for role in (Role.TRIAGE_WORKER, Role.LEAD_PRACTITIONER, Role.INTELLIGENCE_OFFICER, Role.REFERRER,
                 Role.DATA_PROTECTION_OFFICER, Role.ADMINISTRATOR, Role.SUPPORT_WORKER):
        assert _page(make_user(role=role, agency_kind=AgencyKind.POLICE))[0] == 403


# --- the report on the demo partnership, against a count made straight from the extract's files -----


@pytest.fixture(scope="module")
def demo_once(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo partnership generated, imported, linked and scanned once for this module (committed
    to the test database, each test rolled back after it), and cleared after the module."""
    from django.core.management import call_command
    from django.test import override_settings

    out = tmp_path_factory.mktemp("demo")
    with django_db_blocker.unblock(), override_settings(LINKAGE_STORE_DIR=tmp_path_factory.mktemp("store")):
        call_command("demo", children=150, out=out, quiet=True)
    yield out
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def test_the_report_on_the_demo_agrees_with_a_count_from_the_extract(demo_once: Any, db: None) -> None:
    import csv
    from collections import Counter
    from zoneinfo import ZoneInfo

    from safeguarding.demo.partnership import AGENCIES, SOURCE_SYSTEMS
    from safeguarding.frontdoor.models import Concern
    from safeguarding.panel.services import panel_refer
    from safeguarding.people.models import Person, SourceRecord

    # Ten more children referred now: the first ten (by id) with a concern in an agency's extract.
    coordinator = User.objects.get(username="mace.coordinator")
    concerned = (SourceRecord.objects.filter(source_system__code="council-social-care", person__role="child")
                 .values_list("person__root_id", flat=True).distinct().order_by("person__root_id")[:10])
    for person in Person.objects.filter(pk__in=list(concerned)):
        panel_refer(child=person, referred_by=coordinator, reason="For the missed-opportunity review")
    report = missed_opportunities()
    referred = {c.person_id: c for c in report.children}
    assert len(referred) >= 10

    # Straight from the files: each referred child's events, by the hub's records of the child.
    london = ZoneInfo("Europe/London")
    agency_of_system = {code: dict((a, n) for a, n, _ in AGENCIES)[agency] for code, _, agency in SOURCE_SYSTEMS}
    child_of_record = {
        (system, record): root for system, record, root in SourceRecord.objects.filter(
            person__root_id__in=list(referred)).values_list("source_system__code", "record_id", "person__root_id")
    }
    first: dict[int, dt.datetime] = {}
    for root, moment in list(PanelReferral.objects.values_list("child__root_id", "referred_at")) + list(
            Concern.objects.values_list("child__root_id", "raised_at")):
        if root in referred:
            first[root] = min(first.get(root, moment), moment)
    rows = []
    holder_of_record = {(system, record): root for system, record, root in SourceRecord.objects.values_list(
        "source_system__code", "record_id", "person__root_id")}
    with (demo_once / "extract" / "events.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            when = dt.datetime.fromisoformat(row["occurred_at"]).replace(tzinfo=london)
            child = child_of_record.get((row["source_system"], row["record_id"]))
            if row["event_type"] == "intelligence":
                # Intelligence on another person's record (an adult's) counts for each referred child it names.
                holder = holder_of_record.get((row["source_system"], row["record_id"]))
                for named in {child_of_record.get((row["source_system"], rid.strip()))
                              for rid in row["other_record_ids"].split(";") if rid.strip()}:
                    if named is not None and named != holder:
                        rows.append((named, row["source_system"], row["event_type"], when))
            if child is None:
                continue
            rows.append((child, row["source_system"], row["event_type"], when))
            if row["event_type"] == "concern":
                first[child] = min(first.get(child, when), when)
    people = {p.pk: p for p in Person.objects.filter(pk__in=list(referred))}

    def under_18(child: int, when: dt.datetime) -> bool:
        born = people[child].date_of_birth
        if not born:
            return people[child].role != "adult"
        year, month, day = [*born.split("-"), "12", "28"][:3]  # a partial date counts as its latest
        last = dt.date(int(year), int(month), int(day)) if len(born) == 10 else dt.date(int(year), int(month), 28)
        return when.date() < last.replace(year=last.year + 18)

    not_signs = {"concern", "return_home_interview", "other", "arrest", "charge", "conviction", "licensing_complaint"}
    signs = [(child, agency_of_system[system]) for child, system, kind, when in rows
             if kind not in not_signs and when < first[child] and under_18(child, when)]
    per_child = Counter(child for child, _ in signs)
    per_agency = Counter(agency for _, agency in signs)
    children_per_agency = Counter(agency for _, agency in set(signs))

    assert {c: len(r.signs) for c, r in referred.items() if r.signs} == dict(per_child)
    assert {c: r.first_referral for c, r in referred.items()} == first
    counted = {g.group: (g.referred, g.signs) for g in report.counts("agency")}
    assert counted == {agency: (children_per_agency[agency], per_agency[agency]) for agency in per_agency}
    assert report.total().signs == len(signs) > 30  # not a count of nothing
    assert len(per_agency) >= 3
    sexes = Counter({"F": "female", "M": "male"}.get(p.sex, "not known") for p in people.values())
    assert {g.group: g.referred for g in report.counts("sex") if g.referred} == dict(sexes)


# --- the report kept between visits (issue 16: every page within 300 ms) ---------------------------


def test_the_stored_report_is_the_same_report_and_is_read_while_nothing_changed(
    children: dict[str, History], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from safeguarding.earlywarning import missed as module
    from safeguarding.earlywarning.models import StoredMissedOpportunities

    worked_out = module.refresh_missed_opportunities()
    assert StoredMissedOpportunities.objects.count() == 1
    read = module.current_missed_opportunities()
    assert read.children == worked_out.children and read.rules == worked_out.rules  # every field survives
    assert read.as_of == worked_out.as_of and read.total() == worked_out.total() and read.total().signs > 0

    def not_again(**_: Any) -> None:
        raise AssertionError("worked out again although nothing changed")

    monkeypatch.setattr(module, "missed_opportunities", not_again)
    assert [c.person_id for c in module.current_missed_opportunities().children] == [
        c.person_id for c in worked_out.children]


@pytest.mark.parametrize("change", ["a new panel referral", "a new event", "a rule switched off"])
def test_the_stored_report_is_worked_out_again_when_what_it_comes_from_changes(
    children: dict[str, History], agencies: dict[str, Any], change: str,
) -> None:
    from safeguarding.earlywarning.missed import current_missed_opportunities, refresh_missed_opportunities
    from safeguarding.earlywarning.models import Rule

    refresh_missed_opportunities()
    before = current_missed_opportunities()
    coordinator = User.objects.filter(role=Role.MACE_COORDINATOR).first()
    assert coordinator is not None
    if change == "a new panel referral":
        _refer(children["never"], at("04-25"), coordinator)
        assert children["never"].person.pk in {c.person_id for c in current_missed_opportunities().children}
    elif change == "a new event":
        children["missed"].add(EventType.SEXUAL_HEALTH_ATTENDANCE, at("02-20"), AgencyKind.HEALTH)
        child = next(c for c in current_missed_opportunities().children if c.person_id == children["missed"].person.pk)
        assert "sexual_health_attendance" in [s.event_type for s in child.signs]
    else:
        Rule.objects.filter(enabled=True).update(enabled=False)
        assert current_missed_opportunities().rules == [] != before.rules


def test_the_scan_command_stores_the_report_for_the_page(children: dict[str, History]) -> None:
    from django.core.management import call_command

    from safeguarding.earlywarning.missed import fingerprint
    from safeguarding.earlywarning.models import StoredMissedOpportunities

    StoredMissedOpportunities.objects.all().delete()
    call_command("scan", quiet=True)
    stored = StoredMissedOpportunities.objects.get()
    assert stored.fingerprint == fingerprint()
    referred = {c["person_id"] for c in stored.payload["children"]}
    assert {children[n].person.pk for n in ("caught", "missed", "nothing")} <= referred
    assert children["never"].person.pk not in referred


def test_a_demo_alert_rests_on_intelligence_on_an_adults_record_that_names_the_child(demo_once: Any, db: None) -> None:
    """The demo's police record intelligence on the adults exploiting a child, naming the child: an alert
    of the demo counts it for the child, and its words say so to the police's readers."""
    from safeguarding.earlywarning.models import NAMED_NOTE_ENDING, Alert
    from safeguarding.people.models import Event

    told = [a for a in Alert.objects.filter(rule__code="exploitation-evidence").select_related("person")
            if NAMED_NOTE_ENDING in (a.explanation_restricted or a.explanation)]
    holders = set()
    for alert in told:
        held = Event.objects.filter(pk__in=alert.evidence.values("event_id"), event_type="intelligence").exclude(
            source_record__person__root_id=alert.person.root_id)
        assert held.exists()
        holders |= {e.source_record.person.role for e in held}
    assert "adult" in holders  # (the demo's intelligence on one child also names others of the network)
