"""`safeguarding demo` end to end on a small area: sign-ins, agencies' records, the front door."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from safeguarding.accounts.models import Agency, CustomRole, Role, User
from safeguarding.audit.services import audit_verify
from safeguarding.demo.partnership import DEMO_PASSWORD
from safeguarding.earlywarning.models import Alert, AlertStatus
from safeguarding.frontdoor.models import Concern
from safeguarding.insight.models import StrategyTarget
from safeguarding.panel.models import PanelReferral
from safeguarding.people.models import Event, Person, SourceRecord
from safeguarding.screening.models import ScreeningAssessment, ScreeningStatus


@pytest.mark.django_db
def test_demo_builds_a_partnership_and_running_it_again_changes_nothing(tmp_path: Path) -> None:
    call_command("demo", children=80, out=tmp_path, quiet=True)

    assert Agency.objects.count() == 6
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert list(CustomRole.objects.values_list("name", flat=True)) == ["Youth justice worker"]
    triage = User.objects.get(username="triage.council")
    assert triage.check_password(DEMO_PASSWORD) and triage.role == Role.TRIAGE_WORKER
    systems = SourceRecord.objects.values("source_system__code").annotate(n=Count("pk"))
    assert len(systems) >= 4
    assert Event.objects.count() > 200
    assert Concern.objects.count() > 0
    # The MACE coordinator's casework: alerted children referred to the panel, each screened.
    referred = set(PanelReferral.objects.values_list("child_id", flat=True))
    assert len(referred) == 2
    assert set(ScreeningAssessment.objects.filter(status=ScreeningStatus.COMPLETED).values_list("child_id", flat=True)) == referred
    assert Alert.objects.filter(status=AlertStatus.ACKNOWLEDGED).count() == 1
    assert (tmp_path / "truth" / "persons.csv").exists()
    # The panel at work: a meeting held and locked, plans with actions (some overdue, escalated),
    # and clocks met, late and overdue from the agencies' events.
    from safeguarding.clocks.models import StatutoryClock
    from safeguarding.mace.models import Escalation, MeetingStatus, PanelMeeting, PlanAction

    [held] = PanelMeeting.objects.filter(status=MeetingStatus.LOCKED)
    assert held.held_at is not None and held.held_at < timezone.now() - dt.timedelta(days=20)  # three weeks ago
    assert PlanAction.objects.filter(plan__child_id__in=referred).count() == 10
    # Owned across the partnership: health and the schools own actions through their safeguarding leads.
    assert set(PlanAction.objects.filter(plan__child_id__in=referred).values_list("owner_agency__code", flat=True)) == {
        "eastshire-police", "eastwood-council", "eastwood-youth-project", "eastwood-health", "eastwood-schools"}
    assert Escalation.objects.filter(action__isnull=False).exists()
    assert_the_panel_story_agrees_with_itself(held, referred)
    # A survivor's support plan is opened no later than the first thing it records.
    from safeguarding.support.models import SupportPlan

    for plan in SupportPlan.objects.all():
        recorded = [*plan.words.values_list("said_on", flat=True), *plan.goals.values_list("set_on", flat=True),
                    *plan.services.values_list("offered_on", flat=True)]
        assert recorded and timezone.localtime(plan.opened_at).date() <= min(recorded), plan
    assert {"met", "met_late", "overdue"} <= set(StatutoryClock.objects.values_list("status", flat=True))
    # A referred child's conference made a child protection plan: its core group and review are due.
    assert set(StatutoryClock.objects.filter(kind__in=["core_group", "review_child_protection_conference"])
               .values_list("child_id", "status")) <= {(c, "open") for c in referred}
    assert StatutoryClock.objects.filter(kind="core_group").count() == 1
    assert_interview_shares_match_the_extract(tmp_path)
    # The board's first strategy targets: the last complete quarter's report judges its figures.
    from safeguarding.insight.selectors import board_report, quarters_offered

    report = board_report(user=User.objects.get(username="scrutineer"), quarter=quarters_offered()[0])
    assert len(report.targeted) == 3 and report.targets_judged >= 1  # its imported return home interviews
    assert audit_verify().ok

    def counts() -> tuple[int, ...]:
        return tuple(m.objects.count() for m in (Person, SourceRecord, Event, Concern, PanelReferral, ScreeningAssessment,
                                                 StrategyTarget, CustomRole))

    before = counts()
    call_command("demo", children=80, out=tmp_path, quiet=True)
    assert counts() == before


def assert_interview_shares_match_the_extract(out: Path) -> None:
    """The share of return home interviews held within 72 hours, per agency, as the hub reports it,
    against a count made here straight from the extract files (events.csv), joined into persons by
    the hub's own persons.csv: the clocks' SQL and this plain Python must agree to the clock."""
    import csv
    import datetime as dt
    from collections import Counter, defaultdict

    from django.utils import timezone

    from safeguarding.accounts.models import User
    from safeguarding.clocks.selectors import interview_timeliness
    from safeguarding.core.calendar import ENGLAND
    from safeguarding.exchange.exporters import export_persons

    export_persons(out / "persons.csv")  # every record: the command's file leaves out the demo's sealed child
    person_of = {(r["source_system"], r["record_id"]): r["person_id"] for r in csv.DictReader((out / "persons.csv").open())}
    agency_of = {code: name for code, name, _ in [
        ("police-records", "Eastshire Police", 0), ("council-social-care", "Eastwood Council Children's Services", 0),
        ("nhs-community", "Eastwood NHS Community and Hospital Services", 0), ("school-sims", "Eastwood Schools", 0),
        ("voluntary-outreach", "Eastwood Youth Outreach Project", 0),
    ]}

    def moment(text: str) -> dt.datetime:
        value = dt.datetime.fromisoformat(text)
        return value if value.tzinfo else value.replace(tzinfo=ENGLAND)

    episodes: dict[str, list[tuple[dt.datetime, dt.datetime | None, str]]] = defaultdict(list)
    interviews: dict[str, list[dt.datetime]] = defaultdict(list)
    for row in csv.DictReader((out / "extract" / "events.csv").open(encoding="utf-8-sig")):
        person = person_of[(row["source_system"], row["record_id"])]
        if row["event_type"] == "missing_episode":
            ended = moment(row["ended_at"]) if row["ended_at"] else None
            episodes[person].append((moment(row["occurred_at"]), ended, row["source_system"]))
        elif row["event_type"] == "return_home_interview":
            interviews[person].append(moment(row["occurred_at"]))
    due, in_time = Counter(), Counter()
    now = timezone.now()
    for person, seen in episodes.items():
        seen.sort(key=lambda e: e[0])
        for number, (went, back, system) in enumerate(seen):
            if back is None or back + dt.timedelta(hours=72) > now:
                continue
            # The child next went missing: the first episode to start once this one ended (another
            # agency's record of the same episode, starting before, is not a next one).
            following = min((start for other, (start, _, _) in enumerate(seen) if other != number and start >= back),
                            default=None)
            held = [t for t in interviews[person] if t >= went and (following is None or t < following)]
            due[agency_of[system]] += 1
            if held and min(held) <= back + dt.timedelta(hours=72):
                in_time[agency_of[system]] += 1
    hub = {r.agency: (r.clocks, r.met_in_time) for r in interview_timeliness(user=User.objects.get(username="scrutineer"))}
    assert hub == {agency: (due[agency], in_time[agency]) for agency in due}
    assert sum(due.values()) > 0 and 0 < sum(in_time.values()) < sum(due.values())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "reason"),
    [({"children": 0}, "--children must be 1 or more"), ({"children": -5}, "--children must be 1 or more"),
     ({"records": -1}, "--records must be 100 or more"), ({"records": 99}, "--records must be 100 or more")],
)
def test_demo_refuses_a_bad_size_before_it_sets_anything_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: dict[str, int], reason: str
) -> None:
    from django.core.management import CommandError

    from safeguarding.demo.management.commands import demo

    def not_now(*args: object, **kwargs: object) -> None:
        raise AssertionError("migrated, though the demo was bound to fail")

    monkeypatch.setattr(demo, "call_command", not_now)
    with pytest.raises(CommandError, match=f"^{reason}$"):
        call_command("demo", out=tmp_path, quiet=True, **options)
    assert not Agency.objects.exists() and not any(tmp_path.iterdir())


def assert_the_panel_story_agrees_with_itself(held: Any, referred: set[int]) -> None:
    """The meeting is told as if held three weeks ago: what led to it and came of it is dated with it.
    Before, the referrals and levels were dated today, after the meeting (so building the next agenda
    put the children discussed back on it as new referrals, and the levels on the day after the
    meeting counted them not screened); plans' history said they opened today; and actions' due
    notes named dates three weeks after their due dates."""
    import re

    from safeguarding.mace.models import AgendaReason, MeetingStatus, PanelMeeting, Plan, PlanAction
    from safeguarding.mace.services import agenda_build
    from safeguarding.screening.selectors import levels_on

    mace = User.objects.get(username="mace.coordinator")
    assert held.held_at is not None
    assert all(r.referred_at < held.held_at for r in PanelReferral.objects.filter(child_id__in=referred))
    for plan in Plan.objects.all():
        opened = plan.history.order_by("at", "pk").first()
        assert opened is not None and opened.at.date() == plan.opened_at.date() <= held.held_at.date()
    for action in PlanAction.objects.all():
        named = re.findall(r"to \w+ (\d{1,2} \w+ \d{4})", action.due_note)
        assert named in ([], [f"{action.due_on.day} {action.due_on:%B %Y}"]), (action.due_note, action.due_on)
        assert action.due_on.weekday() < 5
    from safeguarding.clocks.models import ClockKind, StatutoryClock

    for review in StatutoryClock.objects.filter(kind=ClockKind.PANEL_REVIEW):  # started by the meeting
        assert review.started_at <= held.held_at, (review.started_at, held.held_at)
    day_after = timezone.localtime(held.held_at).date() + dt.timedelta(days=1)
    assert levels_on(user=User.objects.get(username="scrutineer"), on=day_after).screened == len(referred)
    following = PanelMeeting.objects.filter(status=MeetingStatus.SCHEDULED).order_by("scheduled_for").first()
    assert following is not None
    items = agenda_build(acting_user=mace, meeting=following)
    assert not [i for i in items if i.reason == AgendaReason.NEW_REFERRAL and i.person.root_id in referred]
