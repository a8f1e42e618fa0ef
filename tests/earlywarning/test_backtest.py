"""How precise each rule has been: every switched-on rule back-tested over all the history the hub
holds, per rule version and per level of its alerts, kept for the alerts to show."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.errors import ServiceError
from safeguarding.earlywarning.models import Rule, RulePrecision
from safeguarding.earlywarning.services import rule_precision_refresh, rule_save
from safeguarding.people.models import EventType
from tests.earlywarning.test_scan import History, at
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AS_OF = timezone.make_aware(dt.datetime(2026, 6, 1, 12, 0))


def _signs(child: History, *days: str, high: bool = False) -> None:
    child.add(EventType.GIFTS_OR_MONEY, at(days[0]), AgencyKind.EDUCATION)
    child.add(EventType.MULTIPLE_PHONES, at(days[1]), AgencyKind.EDUCATION)  # 6 points: an alert
    if high:
        child.add(EventType.ONLINE_GROOMING, at(days[2]), AgencyKind.EDUCATION)  # 10: high


@pytest.fixture
def histories(agencies: dict[str, Any]) -> dict[str, History]:
    children = {name: History(agencies, name=name.title()) for name in ("later", "never", "before", "old", "high")}
    _signs(children["later"], "01-10", "01-20")
    children["later"].add(EventType.CONCERN, at("03-01"), AgencyKind.EDUCATION)
    _signs(children["never"], "02-01", "02-05")
    children["before"].add(EventType.CONCERN, at("01-01"), AgencyKind.COUNCIL)
    _signs(children["before"], "02-10", "02-12")
    old = children["old"]  # flagged more than two years before: not counted
    old.add(EventType.GIFTS_OR_MONEY, timezone.make_aware(dt.datetime(2024, 1, 2)), AgencyKind.EDUCATION)
    old.add(EventType.MULTIPLE_PHONES, timezone.make_aware(dt.datetime(2024, 1, 5)), AgencyKind.EDUCATION)
    _signs(children["high"], "03-01", "03-02", "03-10", high=True)
    children["high"].add(EventType.CONCERN, at("04-01"), AgencyKind.COUNCIL)
    return children


def test_each_rule_version_keeps_how_many_children_it_flagged_were_referred_later(
    histories: dict[str, History],
) -> None:
    rows = rule_precision_refresh(as_of=AS_OF)

    evidence = Rule.objects.get(code="exploitation-evidence")
    mine = {row.level: row for row in rows if row.rule_id == evidence.pk}
    assert set(mine) == {"medium", "high"}
    anyhow, high = mine["medium"], mine["high"]
    assert (anyhow.version, anyhow.children_flagged, anyhow.referred_later, anyhow.referred_before,
            anyhow.never_referred) == (evidence.version, 4, 2, 1, 1)
    assert (anyhow.judged, anyhow.percent) == (3, 67)
    assert (high.children_flagged, high.referred_later, high.never_referred, high.percent) == (1, 1, 0, 100)
    assert anyhow.as_of == AS_OF and (AS_OF - anyhow.since).days == 730
    # Every switched-on rule has its figures; a rule switched off is not back-tested.
    assert {row.rule.code for row in rows} == set(Rule.objects.filter(enabled=True).values_list("code", flat=True))
    audit = AuditEvent.objects.get(event_type=AuditEventType.RULE_PRECISION_BACKTESTED)
    assert audit.actor_label == "safeguarding backtest"
    assert audit.detail["rules"][f"exploitation-evidence v{evidence.version} medium"] == [2, 3]


def test_a_changed_rule_is_back_tested_for_its_new_version(histories: dict[str, History], make_user) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)
    rule = Rule.objects.get(code="exploitation-evidence")
    rule_save(acting_user=admin, rule=rule, code=rule.code, name=rule.name, description=rule.description,
              kind=rule.kind, level=rule.level, params={**rule.params, "threshold": 8, "high_threshold": 12}, enabled=True,
              change_note="Only the strongest signs")
    rows = RulePrecision.objects.filter(rule=rule)
    assert {(row.version, row.level) for row in rows} == {(2, "medium"), (2, "high")}
    # Now only the child whose signs reached 10 is flagged at all, and none reached the new high mark.
    assert rows.get(level="medium").children_flagged == 1
    assert rows.get(level="high").children_flagged == 0


def test_the_backtest_command_prints_every_rule_and_only_an_administrator_may_ask(
    histories: dict[str, History], capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("backtest", as_of="2026-06-01")
    printed = capsys.readouterr().out
    assert "exploit" in printed and "67%" in printed and "100%" in printed
    with pytest.raises(ServiceError, match="You cannot back-test"):
        rule_precision_refresh(acting_user=UserFactory(role=Role.MACE_COORDINATOR))


def test_the_backtest_command_refuses_a_date_before_any_history_in_one_line() -> None:
    with pytest.raises(CommandError, match=r"^--as-of must be 1900-01-01 or later$"):
        call_command("backtest", as_of="0001-01-01", quiet=True)


def test_a_draft_is_tested_on_what_every_agency_shares_never_on_what_the_police_hold_back(
    agencies: dict[str, Any]
) -> None:
    """An administrator (not the police) writes a draft and reads its figures: a draft firing on
    intelligence alone counted the children the police hold intelligence on under conditions."""
    from safeguarding.earlywarning.backtest import backtests
    from safeguarding.earlywarning.rules import clean_rule

    held_back = [History(agencies, name=f"Held{n}") for n in range(3)]
    held_back[0].add(EventType.INTELLIGENCE, at("02-01"))  # intelligence not marked P: the police's
    held_back[1].add(EventType.INTELLIGENCE, at("02-01"), handling="C")
    held_back[2].add(EventType.GIFTS_OR_MONEY, at("02-01"), handling="C")  # anything marked C
    shared = History(agencies, name="Shared")
    shared.add(EventType.INTELLIGENCE, at("02-03"), handling="P")
    draft = clean_rule(code="probe", name="Probe", kind="under_age", level="high",
                       params={"event_types": ["intelligence", "gifts_or_money"], "under_age": 18})
    [result] = backtests([draft], as_of=AS_OF)
    assert result.children_flagged == 1  # the child whose intelligence the police share, alone
    assert result.events_read == 1
