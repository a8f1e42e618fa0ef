"""Administrators change the early-warning rules in the hub's pages: a rule that cannot be
evaluated is refused with the reason, each change is a new version, and a draft can be tested
against history before it is saved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.earlywarning.models import Rule, RuleVersion
from safeguarding.earlywarning.rules import RuleError, clean_params, default_rules
from safeguarding.people.models import EventType
from tests.factories import EventFactory, SourceRecordFactory, SourceSystemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user: Callable[..., User]) -> Client:
    client = Client()
    client.force_login(make_user(Role.ADMINISTRATOR, AgencyKind.COUNCIL))
    return client


def _form(rule: Rule, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": rule.name,
        "description": rule.description,
        "level": rule.level,
        "enabled": "on" if rule.enabled else "",
        "change_note": "",
        **{k: ", ".join(v) if isinstance(v, list) else v for k, v in rule.params.items()},
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_default_rules_are_loaded_at_setup_and_listed(admin_client: Client) -> None:
    codes = {r["code"] for r in default_rules()}
    assert set(Rule.objects.values_list("code", flat=True)) == codes
    assert all(v.change_note for v in RuleVersion.objects.all())
    page = admin_client.get(reverse("rules:list")).content.decode()
    assert "Repeated missing episodes" in page
    assert "3 or more of: missing episode, within 90 days" in page


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.ADMINISTRATOR])
def test_only_administrators_may_see_or_change_rules(role: str, make_user: Callable[..., User]) -> None:
    client = Client()
    client.force_login(make_user(role, AgencyKind.COUNCIL))
    rule = Rule.objects.get(code="repeat-missing")
    assert client.get(reverse("rules:list")).status_code == 403
    assert client.get(reverse("rules:edit", args=[rule.code])).status_code == 403
    response = client.post(reverse("rules:edit", args=[rule.code]), _form(rule, count="2", change_note="lower"))
    assert response.status_code == 403
    rule.refresh_from_db()
    assert rule.params["count"] == 3 and rule.version == 1


def test_a_mistyped_event_type_is_refused_with_the_reason(admin_client: Client) -> None:
    rule = Rule.objects.get(code="repeat-missing")
    response = admin_client.post(
        reverse("rules:edit", args=[rule.code]),
        _form(rule, event_types="missing_episod", change_note="typo", action="save"),
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in body
    assert "&#x27;missing_episod&#x27; in event types is not an event type" in body
    rule.refresh_from_db()
    assert rule.version == 1 and rule.params["event_types"] == ["missing_episode"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("window_days", "0", "Within how many days must be between 1 and 3650, not 0"),
        ("window_days", "ninety", "Within how many days must be a whole number, not &#x27;ninety&#x27;"),
        ("count", "1", "How many events must be between 2 and 1000, not 1"),
    ],
)
def test_impossible_windows_and_counts_are_refused(admin_client: Client, field: str, value: str, message: str) -> None:
    rule = Rule.objects.get(code="repeat-missing")
    response = admin_client.post(
        reverse("rules:edit", args=[rule.code]), _form(rule, **{field: value, "change_note": "x", "action": "save"})
    )
    assert message in response.content.decode()
    assert Rule.objects.get(code="repeat-missing").version == 1


def test_a_combination_that_could_never_fire_is_refused() -> None:
    with pytest.raises(RuleError, match="could never fire"):
        clean_params("combination", {"event_types": ["drug_debt", "multiple_phones"], "distinct": 3, "window_days": 90})


def test_a_change_is_a_new_version_with_its_reason_and_is_audited(admin_client: Client) -> None:
    rule = Rule.objects.get(code="repeat-missing")
    response = admin_client.post(
        reverse("rules:edit", args=[rule.code]),
        _form(rule, count="2", change_note="Panel asked to act on the second episode", action="save"),
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.version == 2 and rule.params["count"] == 2
    version = RuleVersion.objects.get(rule=rule, version=2)
    assert version.change_note == "Panel asked to act on the second episode"
    assert version.snapshot["params"]["count"] == 2
    audit = AuditEvent.objects.filter(event_type=AuditEventType.RULE_CHANGED).latest("sequence")
    assert audit.detail["before"]["params"]["count"] == 3 and audit.detail["after"]["params"]["count"] == 2


def test_a_change_needs_a_reason_and_switching_off_is_a_change(admin_client: Client) -> None:
    rule = Rule.objects.get(code="no-return-home-interview")
    response = admin_client.post(reverse("rules:edit", args=[rule.code]), _form(rule, enabled="", action="save"))
    assert "Say what you changed and why" in response.content.decode()
    admin_client.post(
        reverse("rules:edit", args=[rule.code]),
        _form(rule, enabled="", change_note="Missing team tracks these itself", action="save"),
    )
    rule.refresh_from_db()
    assert rule.enabled is False and rule.version == 2


def test_an_administrator_adds_a_rule(admin_client: Client) -> None:
    assert admin_client.get(reverse("rules:new"), {"kind": "repeated"}).status_code == 302
    response = admin_client.post(
        reverse("rules:new-kind", args=["repeated"]),
        {
            "code": "repeat-absence",
            "name": "Repeated absence from school",
            "description": "Five absences in thirty days",
            "level": "low",
            "enabled": "on",
            "event_types": "absent_from_school",
            "count": "5",
            "window_days": "30",
            "change_note": "New rule agreed at the strategic group",
            "action": "save",
        },
    )
    assert response.status_code == 302
    rule = Rule.objects.get(code="repeat-absence")
    assert rule.params == {"event_types": ["absent_from_school"], "count": 5, "window_days": 30}


def test_testing_a_draft_against_history_saves_nothing(admin_client: Client, agencies: dict[str, Any]) -> None:
    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    council = SourceSystemFactory(code="council-social-care", agency=agencies[AgencyKind.COUNCIL])
    record = SourceRecordFactory(source_system=police)
    council_record = SourceRecordFactory(source_system=council, person=record.person)
    start = timezone.make_aware(dt.datetime(2026, 1, 10, 12))
    for days in (0, 20):
        EventFactory(source_record=record, event_type=EventType.MISSING_EPISODE, occurred_at=start + dt.timedelta(days))
    # Someone first raised a concern 40 days after the second episode.
    EventFactory(source_record=council_record, event_type=EventType.CONCERN, occurred_at=start + dt.timedelta(60))
    rule = Rule.objects.get(code="repeat-missing")
    response = admin_client.post(
        reverse("rules:edit", args=[rule.code]), _form(rule, count="2", action="test")
    )
    body = response.content.decode()
    assert "What the draft would have done" in body
    assert 'id="bt-flagged">1<' in body
    assert 'id="bt-later">1<' in body
    assert 'id="bt-days">40<' in body
    rule.refresh_from_db()
    assert rule.version == 1 and rule.params["count"] == 3
    assert AuditEvent.objects.filter(event_type=AuditEventType.RULE_BACKTESTED).exists()
