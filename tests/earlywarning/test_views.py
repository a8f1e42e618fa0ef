"""The alert pages: the queue, one alert with its evidence, and each action on it, with its audit
row; the child's alerts in the single view; and who may see and do what."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.calendar import ENGLAND
from safeguarding.earlywarning.models import Alert, AlertStatus, RulePrecision
from safeguarding.frontdoor.models import Concern, ConcernStatus
from safeguarding.panel.models import PanelReferral
from safeguarding.people.models import EventType, Handling
from tests.factories import (
    AlertFactory,
    EventFactory,
    PersonFactory,
    RuleFactory,
    SourceSystemFactory,
    UserFactory,
    sign_in,
    without_csrf,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def mace(make_user) -> User:  # type: ignore[no-untyped-def]
    return make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL, first_name="Maria", last_name="Lee")


def _client(user: User) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def _actions(alert_id: int) -> int:
    return AuditEvent.objects.filter(
        event_type=AuditEventType.ALERT_ACTIONED, target_kind="alert", target_id=str(alert_id)
    ).count()


def _back_tested(rule, *, later: int, never: int, before: int = 0, level: str | None = None) -> RulePrecision:  # type: ignore[no-untyped-def]
    now = timezone.now()
    return RulePrecision.objects.create(
        rule=rule, version=rule.version, level=level or rule.level, as_of=now, since=now - dt.timedelta(days=730),
        computed_at=now, children_flagged=later + never + before, referred_later=later, referred_before=before,
        never_referred=never,
    )


def test_queue_puts_the_strongest_evidence_first(mace) -> None:  # type: ignore[no-untyped-def]
    """Level first, then how precise the rule has been in back-testing (not yet back-tested last), then
    the points of a rule weighing signs, then the newest."""
    now = timezone.now()
    precise, loose, untested, medium = (RuleFactory(level=level) for level in ("high", "high", "high", "medium"))
    score = RuleFactory(level="medium", kind="score")
    _back_tested(precise, later=8, never=2)
    _back_tested(loose, later=2, never=8)
    _back_tested(medium, later=9, never=1)
    _back_tested(score, later=3, never=7)  # the rule's alerts at any strength
    _back_tested(score, later=9, never=0, level="high")  # those that reached its high mark
    old_precise = AlertFactory(rule=precise, raised_at=now - dt.timedelta(days=9))
    new_loose = AlertFactory(rule=loose, raised_at=now - dt.timedelta(hours=1))
    new_untested = AlertFactory(rule=untested, raised_at=now - dt.timedelta(minutes=5))
    medium_alert = AlertFactory(rule=medium, raised_at=now - dt.timedelta(days=2))
    strong = AlertFactory(rule=score, level="high", score=14, raised_at=now - dt.timedelta(days=20))
    weak_more = AlertFactory(rule=score, score=8, raised_at=now - dt.timedelta(days=30))
    weak_less = AlertFactory(rule=score, score=6, raised_at=now - dt.timedelta(days=1))
    AlertFactory(rule=precise, raised_at=now, status=AlertStatus.DISMISSED)  # dealt with: not waiting

    response = _client(mace).get(reverse("earlywarning:queue"))

    assert response.status_code == 200
    expected = [strong, old_precise, new_loose, new_untested, medium_alert, weak_more, weak_less]
    assert [a.pk for a in response.context["alerts"]] == [a.pk for a in expected]
    body = response.content.decode()
    positions = [body.index(a.reference) for a in expected]
    assert positions == sorted(positions)
    assert [a.events_named for a in response.context["alerts"]] == [1] * 7
    # Each row says how precise its rule has been, at the alert's level.
    rows = re.findall(r'(A\d{6})<span.*?</td>.*?</td>.*?</td>\s*<td[^>]*>(.*?)</td>', body, flags=re.S)
    shown = {ref: re.sub(r"<[^>]+>", " ", cell).split() for ref, cell in rows}
    # Fewer than ten children to judge by are said to be too few (the audit read "1 of 4" as 25%).
    assert shown[strong.reference] == ["100%", "9", "of", "9:", "too", "few", "to", "go", "by"]
    assert shown[old_precise.reference] == ["80%", "8", "of", "10"]
    assert shown[weak_less.reference] == ["30%", "3", "of", "10"]
    assert shown[new_untested.reference] == ["not", "back-tested", "yet"]
    everything = _client(mace).get(reverse("earlywarning:queue"), {"show": "all"})
    assert len(everything.context["alerts"]) == 8


def test_alert_page_says_how_precise_its_rule_version_has_been(mace) -> None:  # type: ignore[no-untyped-def]
    rule = RuleFactory(level="medium", kind="score", version=2)
    _back_tested(rule, later=12, never=28, before=5)
    _back_tested(rule, later=9, never=1, level="high")
    older = RuleFactory(version=4)
    RulePrecision.objects.create(  # another version's figures are not this alert's
        rule=older, version=4, level=older.level, as_of=timezone.now(), since=timezone.now(), computed_at=timezone.now(),
        children_flagged=10, referred_later=10, referred_before=0, never_referred=0,
    )
    alert = AlertFactory(rule=rule, score=7)
    untested = AlertFactory(rule=older, rule_version=3)

    body = _client(mace).get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()
    precision = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body.split('id="alert-precision">')[1].split("</dd>")[0]))
    assert "Of the children this rule flagged between" in precision
    assert "30% were later referred (12 of 40). 5 more had already been referred." in precision
    assert "Of the children whose signs reached the rule's high mark" in precision
    assert "90% were later referred (9 of 10)" in precision
    assert precision.index("30%") < precision.index("90%")  # the alert's own level first
    assert "The signs add up to 7 points." in body
    other = _client(mace).get(reverse("earlywarning:detail", args=[untested.pk])).content.decode()
    assert "This version of the rule has not been back-tested yet." in other


def test_alert_page_names_its_rule_and_lists_the_events_with_agencies_and_dates(mace, agencies) -> None:  # type: ignore[no-untyped-def]
    school = SourceSystemFactory(code="school-sims", agency=agencies[AgencyKind.EDUCATION])
    rule = RuleFactory(name="Missing and absent", description="Missing episodes with school absence.", version=3)
    alert = AlertFactory(rule=rule, rule_version=2, explanation="2 missing episodes and 3 absences in 30 days.")
    absence = EventFactory(
        source_record__person=alert.person,
        source_record__source_system=school,
        event_type=EventType.ABSENT_FROM_SCHOOL,
        occurred_at=dt.datetime(2026, 10, 5, 9, 30, tzinfo=ENGLAND),
        detail="Absent all day, no call from home",
    )
    alert.evidence.create(event=absence, added_at=timezone.now())

    response = _client(mace).get(reverse("earlywarning:detail", args=[alert.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Missing and absent",
        "Missing episodes with school absence.",
        "2 missing episodes and 3 absences in 30 days.",
        "Version 2",
        "now version 3",
        "Absent from school",
        "Absent all day, no call from home",
        "5 October 2026, 09:30",
        agencies[AgencyKind.EDUCATION].name,
        alert.trigger_event.source_system.agency.name,
        "Raised by the rule (version 2)",
    ):
        assert text in body, text
    viewed = AuditEvent.objects.get(event_type=AuditEventType.ALERT_VIEWED)
    assert viewed.actor == mace and viewed.target_id == str(alert.pk) and viewed.person_id == alert.person_id


def test_police_only_intelligence_is_counted_not_shown_to_other_agencies(make_user, agencies) -> None:  # type: ignore[no-untyped-def]
    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    alert = AlertFactory()
    secret = EventFactory(
        source_record__person=alert.person,
        source_record__source_system=police,
        event_type=EventType.INTELLIGENCE,
        handling=Handling.CONDITIONS,
        detail="restricted-intelligence-text",
    )
    alert.evidence.create(event=secret, added_at=timezone.now())
    council = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    officer = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE)

    council_page = _client(council).get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()
    police_page = _client(officer).get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()

    assert "restricted-intelligence-text" not in council_page
    assert "1 more event behind this alert is police intelligence" in council_page
    assert "restricted-intelligence-text" in police_page
    assert "police intelligence not shared" not in police_page


def test_acknowledge_is_audited_and_says_so(mace) -> None:  # type: ignore[no-untyped-def]
    alert = AlertFactory()
    client = _client(mace)
    response = client.post(reverse("earlywarning:acknowledge", args=[alert.pk]), follow=True)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.actioned_by == mace
    assert f"Alert {alert.reference} acknowledged" in response.content.decode()
    assert "govuk-notification-banner--success" in response.content.decode()
    audit = AuditEvent.objects.get(event_type=AuditEventType.ALERT_ACTIONED)
    assert audit.actor == mace and audit.detail["status"] == AlertStatus.ACKNOWLEDGED
    # Acknowledged alerts still wait in the queue, with their status.
    assert alert in client.get(reverse("earlywarning:queue")).context["alerts"]


def test_turning_an_alert_into_a_concern_prefills_the_explanation_and_sends_it_to_triage(mace) -> None:  # type: ignore[no-untyped-def]
    alert = AlertFactory(explanation="4 missing episodes within 60 days.")
    client = _client(mace)
    page = client.get(reverse("earlywarning:detail", args=[alert.pk]))
    assert "4 missing episodes within 60 days." in str(page.context["concern_form"]["description"].value())

    response = client.post(
        reverse("earlywarning:concern", args=[alert.pk]),
        {"concern-description": "4 missing episodes within 60 days. Carer says she comes back with new phones."},
        follow=True,
    )

    concern = Concern.objects.get()
    assert concern.child == alert.person and concern.raised_by == mace
    assert concern.status == ConcernStatus.AWAITING_DECISION and "new phones" in concern.description
    alert.refresh_from_db()
    assert alert.status == AlertStatus.CONCERN_RAISED and alert.concern == concern
    assert f"Concern {concern.reference} raised from alert {alert.reference}" in response.content.decode()
    assert AuditEvent.objects.filter(event_type=AuditEventType.CONCERN_RAISED, target_id=str(concern.pk)).exists()
    assert _actions(alert.pk) == 1


def test_referring_from_an_alert_closes_it_as_referred_and_the_child_is_on_the_panel_list(mace) -> None:  # type: ignore[no-untyped-def]
    child = PersonFactory(given_name="Chloe", family_name="Barker")
    alert = AlertFactory(person=child)
    client = _client(mace)

    response = client.post(
        reverse("earlywarning:refer", args=[alert.pk]), {"refer-reason": "Missing, a car, older men"}, follow=True
    )

    referral = PanelReferral.objects.get()
    assert response.redirect_chain[-1][0] == reverse("panel:list")
    body = response.content.decode()
    assert f"Chloe Barker referred to the panel ({referral.reference})" in body
    assert "Chloe Barker" in body and alert.reference in body and referral.reference in body
    alert.refresh_from_db()
    assert alert.status == AlertStatus.REFERRED
    assert AuditEvent.objects.filter(event_type=AuditEventType.PANEL_REFERRAL_MADE).count() == 1
    assert _actions(alert.pk) == 1
    assert alert not in client.get(reverse("earlywarning:queue")).context["alerts"]
    detail = client.get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()
    assert "Referred to the panel" in detail and referral.reference in detail


def test_refer_without_a_reason_is_refused_the_govuk_way(mace) -> None:  # type: ignore[no-untyped-def]
    alert = AlertFactory()
    response = _client(mace).post(reverse("earlywarning:refer", args=[alert.pk]), {"refer-reason": " "})
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body and 'href="#id_refer-reason"' in body
    assert not PanelReferral.objects.exists()


def test_dismiss_without_a_reason_is_refused_the_govuk_way(mace) -> None:  # type: ignore[no-untyped-def]
    alert = AlertFactory()
    response = _client(mace).post(reverse("earlywarning:dismiss", args=[alert.pk]), {"dismiss-reason": "  "})

    body = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"<title>Error: Alert A\d{6} ", body)
    assert "There is a problem" in body
    assert 'href="#id_dismiss-reason">Give the reason for dismissing the alert</a>' in body
    assert 'id="id_dismiss-reason-error"' in body and "govuk-form-group--error" in body
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    assert _actions(alert.pk) == 0


def test_dismiss_with_a_reason_is_audited_and_leaves_the_queue(mace) -> None:  # type: ignore[no-untyped-def]
    alert = AlertFactory()
    client = _client(mace)
    response = client.post(
        reverse("earlywarning:dismiss", args=[alert.pk]),
        {"dismiss-reason": "Episodes were a recording error, checked with police", "confirm": "yes"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("earlywarning:queue")
    assert f"Alert {alert.reference} dismissed" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.DISMISSED
    audit = AuditEvent.objects.get(event_type=AuditEventType.ALERT_ACTIONED)
    assert audit.reason == "Episodes were a recording error, checked with police" and audit.actor == mace
    assert alert not in response.context["alerts"]


def test_evidence_a_scan_adds_while_the_page_is_open_is_not_dismissed_unseen(mace) -> None:  # type: ignore[no-untyped-def]
    """The worker reads the alert and writes a reason; meanwhile a scan adds evidence to it. Confirming
    the dismissal is refused, with the reason kept and the page showing the new evidence; confirming
    again from it dismisses. Before, the new evidence was dismissed unseen."""
    from django.db.models import F

    alert = AlertFactory()
    client = _client(mace)
    page = client.get(reverse("earlywarning:detail", args=[alert.pk]))
    seen = page.context["dismiss_form"]["evidence_seen"].value()
    assert seen == alert.evidence_count
    reason = {"dismiss-reason": "Checked with the school: a family holiday", "dismiss-evidence_seen": seen}
    confirm = client.post(reverse("earlywarning:dismiss", args=[alert.pk]), reason).content.decode()
    assert f'name="dismiss-evidence_seen" value="{seen}"' in confirm
    Alert.objects.filter(pk=alert.pk).update(evidence_count=F("evidence_count") + 1)  # the scan's new evidence
    refused = client.post(reverse("earlywarning:dismiss", args=[alert.pk]), {**reason, "confirm": "yes"})
    body = refused.content.decode()
    assert refused.status_code == 200 and "New evidence was added to this alert after you opened it" in body
    assert "Checked with the school: a family holiday" in body
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN and _actions(alert.pk) == 0
    again = {**reason, "dismiss-evidence_seen": alert.evidence_count, "confirm": "yes"}
    client.post(reverse("earlywarning:dismiss", args=[alert.pk]), again)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.DISMISSED


def test_an_alert_dealt_with_cannot_be_acted_on_again(mace, make_user) -> None:  # type: ignore[no-untyped-def]
    alert = AlertFactory()
    other = _client(make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE))
    client = _client(mace)
    client.post(reverse("earlywarning:dismiss", args=[alert.pk]), {"dismiss-reason": "not a concern", "confirm": "yes"})

    again = [
        other.post(reverse("earlywarning:acknowledge", args=[alert.pk])),
        other.post(reverse("earlywarning:dismiss", args=[alert.pk]), {"dismiss-reason": "second go"}),
        other.post(reverse("earlywarning:refer", args=[alert.pk]), {"refer-reason": "second go"}),
        other.post(reverse("earlywarning:concern", args=[alert.pk]), {"concern-description": "second go"}),
    ]

    for response in again:
        assert response.status_code == 200
        body = response.content.decode()
        assert "There is a problem" in body
        assert re.search(r"<li>This alert has already been (dismissed|dealt with)</li>", body)
    assert _actions(alert.pk) == 1
    assert not PanelReferral.objects.exists() and not Concern.objects.exists()
    page = client.get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()
    assert "What do you want to do?" not in page and "not a concern" in page


def test_the_childs_single_view_shows_their_alerts(mace) -> None:  # type: ignore[no-untyped-def]
    child = PersonFactory()
    waiting = AlertFactory(person=child, rule=RuleFactory(name="Several agencies in a month"))
    dismissed = AlertFactory(person=child, status=AlertStatus.DISMISSED, rule=RuleFactory(name="Under-age attendance"))
    AlertFactory(rule=RuleFactory(name="Someone else's rule"))

    body = _client(mace).get(reverse("people:detail", args=[child.pk])).content.decode()

    assert "Early-warning alerts" in body
    assert body.index(waiting.reference) < body.index(dismissed.reference)  # open ones first
    assert "Several agencies in a month" in body and "Under-age attendance" in body
    assert "Someone else's rule" not in body
    assert reverse("earlywarning:detail", args=[waiting.pk]) in body


def test_alerts_raised_on_a_record_since_merged_into_the_child_show_in_their_single_view(mace) -> None:  # type: ignore[no-untyped-def]
    """Linkage found two persons to be one child: until the next scan moves the alert, it is still
    the child's, and whoever opens the child must see it."""
    child = PersonFactory()
    merged = PersonFactory(merged_into=child)
    earlier = PersonFactory(merged_into=merged)  # merged twice over
    alert = AlertFactory(person=earlier, rule=RuleFactory(name="Repeated missing episodes"))
    AlertFactory(rule=RuleFactory(name="Someone else's rule"))

    body = _client(mace).get(reverse("people:detail", args=[child.pk])).content.decode()

    assert alert.reference in body and "Repeated missing episodes" in body
    assert "Someone else's rule" not in body


def test_a_child_without_alerts_has_no_alerts_section(mace) -> None:  # type: ignore[no-untyped-def]
    body = _client(mace).get(reverse("people:detail", args=[PersonFactory().pk])).content.decode()
    assert "Early-warning alerts" not in body


# --- who may see and do what -------------------------------------------------------------------

WORK_ALERTS = {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR}
CASEWORK = WORK_ALERTS | {Role.LEAD_PRACTITIONER, Role.INTELLIGENCE_OFFICER, Role.SUPPORT_WORKER, Role.AGENCY_MANAGER}


@pytest.mark.parametrize("role", Role.values)
def test_who_may_see_the_queue_open_an_alert_and_act_on_it(role: str, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=role, agency_kind=AgencyKind.COUNCIL)
    alert = AlertFactory()
    client = _client(user)

    queue = client.get(reverse("earlywarning:queue"))
    assert queue.status_code == (200 if role in WORK_ALERTS else 403)

    detail = client.get(reverse("earlywarning:detail", args=[alert.pk]))
    missing = client.get(reverse("earlywarning:detail", args=[alert.pk + 1000]))
    assert missing.status_code == 404
    if role in CASEWORK:
        assert detail.status_code == 200
        assert ("What do you want to do?" in detail.content.decode()) == (role in WORK_ALERTS)
    else:
        assert detail.status_code == 404
        assert without_csrf(detail.content) == without_csrf(missing.content)  # forbidden looks exactly like missing

    acted = client.post(reverse("earlywarning:acknowledge", args=[alert.pk]))
    alert.refresh_from_db()
    if role in WORK_ALERTS:
        assert acted.status_code == 302 and alert.status == AlertStatus.ACKNOWLEDGED
    else:
        assert acted.status_code == 404 and alert.status == AlertStatus.OPEN
        for name, data in (("dismiss", {"dismiss-reason": "x"}), ("refer", {"refer-reason": "x"})):
            assert client.post(reverse(f"earlywarning:{name}", args=[alert.pk]), data).status_code == 404
        alert.refresh_from_db()
        assert alert.status == AlertStatus.OPEN and not PanelReferral.objects.exists()

    nav = client.get(reverse("home")).content.decode()
    assert (f'href="{reverse("earlywarning:queue")}"' in nav) == (role in WORK_ALERTS)


# --- the queue as a list: paged, filtered, sorted, downloaded (issue 16) ---------------------------


def _listed(user: User) -> list[int]:
    row = AuditEvent.objects.filter(event_type=AuditEventType.PERSONS_LISTED, actor=user).order_by("-sequence").first()
    assert row is not None
    return list(row.detail["persons"])


def test_the_queue_counts_every_alert_and_every_page_can_be_reached(mace, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LIST_PAGE_SIZE = 10
    high, low = RuleFactory(level="high", name="Seen with adults"), RuleFactory(level="low", name="Absences")
    alerts = [AlertFactory(rule=high if n % 3 == 0 else low) for n in range(27)]
    client = _client(mace)

    first = client.get(reverse("earlywarning:queue"))
    page = first.content.decode()
    assert "27 alerts" in page and "Showing 1 to 10 of 27 alerts" in page
    assert 'href="?page=3"' in page and 'aria-current="page"' in page
    seen: set[int] = set()
    for number in (1, 2, 3):
        response = client.get(reverse("earlywarning:queue"), {"page": number})
        shown = [a.pk for a in response.context["alerts"].items]
        assert len(shown) == (7 if number == 3 else 10)
        assert seen.isdisjoint(shown)  # ?page=2 shows the next ten, not the first ten again
        seen |= set(shown)
        # One row naming exactly the children on this page.
        assert sorted(_listed(mace)) == sorted(a.person_id for a in response.context["alerts"].items)
    assert seen == {a.pk for a in alerts}

    filtered = client.get(reverse("earlywarning:queue"), {"level": "high"})
    assert filtered.context["alerts"].total == 9
    assert "9 alerts</strong> match the filters" in filtered.content.decode()
    assert "Remove this filter</span> High" in filtered.content.decode()
    named = client.get(reverse("earlywarning:queue"), {"child": alerts[4].person.reference})
    assert [a.pk for a in named.context["alerts"].items] == [alerts[4].pk]
    by_rule = client.get(reverse("earlywarning:queue"), {"rule": str(low.pk), "sort": "raised", "order": "desc"})
    assert by_rule.context["alerts"].total == 18


def test_a_filter_that_makes_no_sense_is_said_so_and_the_list_still_shows(mace) -> None:  # type: ignore[no-untyped-def]
    AlertFactory()
    response = _client(mace).get(reverse("earlywarning:queue"), {
        "raised_from_0": "5", "raised_from_1": "3", "raised_from_2": "2026",
        "raised_to_0": "1", "raised_to_1": "3", "raised_to_2": "2026",
    })
    page = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert "must be the same as or after the other date" in page


def test_the_queue_downloads_as_csv_with_the_readers_words_and_is_audited(mace, agencies) -> None:  # type: ignore[no-untyped-def]
    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    intel = EventFactory(source_record__source_system=police, event_type=EventType.INTELLIGENCE,
                         handling=Handling.CONDITIONS, detail="covert")
    restricted = AlertFactory(person=intel.source_record.person, explanation="Police intelligence: ask the police",
                              explanation_restricted="=HYPERLINK(covert-source-detail)")
    other = AlertFactory(explanation="Missing three times")
    response = _client(mace).get(reverse("earlywarning:queue"), {"download": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="alerts-')
    text = response.content.decode()
    assert "covert-source-detail" not in text and "Police intelligence: ask the police" in text
    assert text.splitlines()[0].startswith("Alert,Level,Status")
    assert len(text.strip().splitlines()) == 3
    row = AuditEvent.objects.get(event_type=AuditEventType.LIST_DOWNLOADED, actor=mace)
    assert row.detail["rows"] == 2 and sorted(row.detail["persons"]) == sorted([restricted.person_id, other.person_id])
    police_mace = UserFactory(role=Role.MACE_COORDINATOR, agency=agencies[AgencyKind.POLICE])
    police_csv = _client(police_mace).get(reverse("earlywarning:queue"), {"download": "csv"}).content.decode()
    assert "'=HYPERLINK(covert-source-detail)" in police_csv  # theirs to read, and a spreadsheet runs nothing


def test_the_alert_page_links_another_child_it_names_unless_sealed_from_the_reader(mace, make_user) -> None:  # type: ignore[no-untyped-def]
    from django.db import transaction

    from safeguarding.dataprotection.sealing import record_seal

    other = PersonFactory(given_name="Bella", family_name="Shaw")
    theirs = EventFactory(source_record__person=other, detail="Bella-seen-in-YA19-ABC")  # the other child's sighting
    alert = AlertFactory(explanation=f"Seen in YA19 ABC, which has been linked to another child ({other.reference}) "
                                     "since 1 March 2026, recorded by Police agency.", evidence=[theirs])
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    page = _client(triage).get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()
    explanation = page[page.index('id="alert-explanation"'):page.index("</dd>", page.index('id="alert-explanation"'))]
    assert f'<a class="govuk-link" href="{reverse("people:detail", args=[other.pk])}">{other.reference}</a>' in explanation
    assert "since 1 March 2026, recorded by Police agency." in explanation

    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    with transaction.atomic():
        record_seal(acting_user=dpo, person=other, reason="A witness", named_users=[mace])
    page = _client(triage).get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()
    explanation = page[page.index('id="alert-explanation"'):page.index("</dd>", page.index('id="alert-explanation"'))]
    assert other.reference not in explanation and "another child (a restricted record)" in explanation
    # Nor anywhere else on the page: not the other child's event among the evidence (it is counted as
    # one the reader may not see), not the start of a concern, and not the queue's CSV.
    assert other.reference not in page and "Bella-seen-in-YA19-ABC" not in page and "Bella Shaw" not in page
    concern_start = page[page.index('name="concern-description"'):page.index("</textarea>", page.index('name="concern-description"'))]
    assert "another child (a restricted record)" in concern_start
    csv = _client(triage).get(reverse("earlywarning:queue"), {"download": "csv"}).content.decode()
    assert alert.reference in csv and other.reference not in csv and "another child (a restricted record)" in csv
    # The coordinator the seal names still follows the link and sees the event; a concern, which every
    # casework role reads, names no sealed person even when they raise it.
    page = _client(mace).get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()
    assert reverse("people:detail", args=[other.pk]) in page and "Bella-seen-in-YA19-ABC" in page
    concern_start = page[page.index('name="concern-description"'):page.index("</textarea>", page.index('name="concern-description"'))]
    assert other.reference not in concern_start and "another child (a restricted record)" in concern_start


# --- dismissing is confirmed first; one action open at a time (issue 16) -----------------------------


def test_dismiss_asks_are_you_sure_and_only_the_confirmation_dismisses(mace) -> None:  # type: ignore[no-untyped-def]
    alert = AlertFactory()
    client = _client(mace)
    url = reverse("earlywarning:dismiss", args=[alert.pk])
    asked = client.post(url, {"dismiss-reason": "Checked with police: a recording error"})
    body = asked.content.decode()
    assert asked.status_code == 200
    assert f"<title>Are you sure you want to dismiss alert {alert.reference}?" in body
    assert "Are you sure you want to dismiss this alert?" in body and "govuk-warning-text" in body
    assert "the alert leaves the alerts queue" in body and "Checked with police: a recording error" in body
    assert 'name="dismiss-reason" value="Checked with police: a recording error"' in body
    assert f'href="{reverse("earlywarning:detail", args=[alert.pk])}">No, go back to the alert</a>' in body
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN and _actions(alert.pk) == 0  # asking changed nothing

    assert client.post(url, {"dismiss-reason": "Checked with police: a recording error", "confirm": "yes"}).status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.DISMISSED and alert.status_note == "Checked with police: a recording error"
    assert _actions(alert.pk) == 1


def test_only_those_who_work_alerts_reach_the_dismiss_confirmation(mace, make_user) -> None:  # type: ignore[no-untyped-def]
    alert = AlertFactory()
    url = reverse("earlywarning:dismiss", args=[alert.pk])
    for role, kind in ((Role.LEAD_PRACTITIONER, AgencyKind.COUNCIL), (Role.REFERRER, AgencyKind.EDUCATION),
                       (Role.PARTNERSHIP_MANAGER, AgencyKind.COUNCIL)):
        client = _client(make_user(role=role, agency_kind=kind))
        for data in ({"dismiss-reason": "x"}, {"dismiss-reason": "x", "confirm": "yes"}):
            response = client.post(url, data)
            assert response.status_code in (403, 404), role
            assert "Are you sure" not in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN and _actions(alert.pk) == 0


def test_the_alert_page_opens_one_action_at_a_time(mace) -> None:  # type: ignore[no-untyped-def]
    alert = AlertFactory()
    client = _client(mace)
    body = client.get(reverse("earlywarning:detail", args=[alert.pk])).content.decode()
    actions = re.findall(r'<details class="govuk-details" name="alert-action" id="action-(\w+)"( open)?>', body)
    assert actions == [("concern", ""), ("refer", ""), ("dismiss", "")]  # closed until one is opened
    failed = client.post(reverse("earlywarning:refer", args=[alert.pk]), {"refer-reason": " "}).content.decode()
    opened = re.findall(r'name="alert-action" id="action-(\w+)" open>', failed)
    assert opened == ["refer"]  # the one that needs fixing is open, the others closed


def test_the_alerts_panel_referral_is_shown_only_to_those_who_may_open_it(make_user) -> None:  # type: ignore[no-untyped-def]
    """Those who may read an alert but not the panel's referrals (a lead practitioner, a support worker)
    are not led to the referral's page, which would refuse them (the single view shows them no referral
    either). The alert's history still says it was referred: that is what was done with it."""
    from safeguarding.panel.services import panel_refer

    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    alert = AlertFactory()
    referral = panel_refer(child=alert.person, referred_by=coordinator, reason="Seen with older men", alert=alert)
    for role, shown in ((Role.MACE_COORDINATOR, True), (Role.TRIAGE_WORKER, True), (Role.LEAD_PRACTITIONER, False),
                        (Role.SUPPORT_WORKER, False)):
        page = _client(make_user(role=role, agency_kind=AgencyKind.COUNCIL)).get(
            reverse("earlywarning:detail", args=[alert.pk]))
        assert page.status_code == 200
        assert (reverse("panel:detail", args=[referral.pk]) in page.content.decode()) is shown, role
