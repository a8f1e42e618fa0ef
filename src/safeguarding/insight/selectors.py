"""The board's quarterly report: what the partnership did in a quarter beside the quarter before,
read from every room's records as counts (no child, adult or worker is named), for the partnership
manager, the independent scrutineer and the board (DOMAIN.md: scale, trends, timeliness per agency,
outcomes, progress of the strategy; board reports)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count, F, Q
from django.utils import timezone

from safeguarding.accounts.access import Capability, require
from safeguarding.accounts.models import User
from safeguarding.clocks.models import ClockKind, StatutoryClock
from safeguarding.clocks.selectors import ProtectionPlan, police_only_clocks, protection_plans
from safeguarding.core.calendar import ENGLAND, add_months, local_date
from safeguarding.earlywarning.models import Alert, AlertStatus
from safeguarding.frontdoor.models import Concern
from safeguarding.justice.models import Disruption, DisruptionKind, JusticeOutcome, OutcomeKind
from safeguarding.mace.models import (
    PLAN_CLOSED,
    PLAN_REOPENED,
    ActionStatus,
    PanelMeeting,
    Plan,
    PlanAction,
    PlanHistory,
)
from safeguarding.panel.models import PanelReferral
from safeguarding.support.models import SupportPlan

QUARTERS_OFFERED = 8


@dataclass(frozen=True)
class Quarter:
    """Three calendar months, from midnight in England on the first day."""

    first_day: dt.date

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first_day, dt.time(), tzinfo=ENGLAND)

    @property
    def end(self) -> dt.datetime:
        return Quarter(add_months(self.first_day, 3)).start

    @property
    def last_day(self) -> dt.date:
        return add_months(self.first_day, 3) - dt.timedelta(days=1)

    @property
    def before(self) -> Quarter:
        return Quarter(add_months(self.first_day, -3))

    @property
    def code(self) -> str:
        return f"{self.first_day:%Y-%m}"

    @property
    def name(self) -> str:
        return f"{self.first_day:%B} to {self.last_day:%B %Y}"

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1))

    @classmethod
    def from_code(cls, code: str) -> Quarter | None:
        """``2026-07`` (the quarter's first month), or None for anything else."""
        try:
            day = dt.datetime.strptime(code, "%Y-%m").date()
        except ValueError:
            return None
        return cls(day) if day.month in (1, 4, 7, 10) and 2000 <= day.year <= 2100 else None


def quarters_offered(today: dt.date | None = None) -> list[Quarter]:
    """The last complete quarter first (the one a board reports on), then those before it, then the
    quarter under way."""
    current = Quarter.containing(today or timezone.localdate())
    done = [current.before]
    while len(done) < QUARTERS_OFFERED:
        done.append(done[-1].before)
    return [*done, current]


@dataclass(frozen=True)
class Measure:
    name: str
    this: str
    before: str
    hint: str = ""  # what the figure counts, where its name alone could mislead


@dataclass
class Section:
    key: str
    title: str
    measures: list[Measure] = field(default_factory=list)
    empty: str = ""  # said instead of a table when there is nothing to count


@dataclass
class BoardReport:
    quarter: Quarter
    sections: list[Section]
    complete: bool  # False while the quarter is still under way (its figures will grow)


def _share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}% ({part:,} of {whole:,})" if whole else "none due"


def _plans_open_at(moment: dt.datetime) -> int:
    """Plans opened before the moment, and reopened, less those closed: as the plans figures count."""
    opened = Plan.objects.filter(opened_at__lt=moment).count()
    history = PlanHistory.objects.filter(at__lt=moment).aggregate(
        closed=Count("pk", filter=Q(what__startswith=PLAN_CLOSED)), reopened=Count("pk", filter=Q(what=PLAN_REOPENED)))
    return int(opened + history["reopened"] - history["closed"])


def _period(quarter: Quarter, plans: list[ProtectionPlan]) -> dict[str, object]:
    """Every figure of one quarter, by key: a count, a (part, whole) pair, or counts by kind.
    ``plans``: every child protection plan the conferences made (read once for both quarters)."""
    start, end, first, last = quarter.start, quarter.end, quarter.first_day, quarter.last_day
    # What was due "by the quarter's end" is judged at its end, or now while it is under way: a
    # clock or action due next week is not yet late.
    judged = min(end, timezone.now())
    due_by = min(last, timezone.localdate() - dt.timedelta(days=1))  # an action due today is not late yet
    figures: dict[str, object] = {}
    # The front door: concerns raised in the quarter, and those past their working day at its end.
    front = Concern.objects.filter(raised_at__gte=start, raised_at__lt=end).aggregate(
        n=Count("pk"), urgent=Count("pk", filter=Q(urgent=True)),
        decided=Count("pk", filter=Q(decision__isnull=False)),
        within=Count("pk", filter=Q(decision__within_timescale=True)))
    figures["concerns"] = front["n"]
    figures["urgent"] = front["urgent"]
    figures["decided_within"] = (front["within"], front["decided"])
    figures["undecided_late"] = Concern.objects.filter(raised_at__lt=judged, decision_due_at__lt=judged).filter(
        Q(decision__isnull=True) | Q(decision__decided_at__gte=judged)).count()
    # Early warning: alerts the hub raised, what people did with alerts, referrals to the panel.
    figures["alerts"] = Alert.objects.filter(created_at__gte=start, created_at__lt=end).count()
    acted = Counter(Alert.objects.filter(actioned_at__gte=start, actioned_at__lt=end).values_list("status", flat=True))
    figures["alerts_acted"] = acted[AlertStatus.CONCERN_RAISED] + acted[AlertStatus.REFERRED]
    figures["alerts_dismissed"] = acted[AlertStatus.DISMISSED]
    figures["referrals"] = PanelReferral.objects.filter(referred_at__gte=start, referred_at__lt=end).count()
    # Statutory clocks due in the quarter (the police's own stay out, as on every figures page).
    due = (StatutoryClock.objects.filter(due_at__gte=start, due_at__lt=judged).exclude(police_only_clocks())
           .values("kind").annotate(n=Count("pk"), in_time=Count("pk", filter=Q(met_at__lte=F("due_at")))))
    for row in due:
        figures[f"clock:{row['kind']}"] = (row["in_time"], row["n"])
    # Child protection plans, as the conferences recorded in the hub made and ended them.
    figures["cp_made"] = sum(1 for p in plans if start <= p.made_at < end)
    figures["cp_ended"] = sum(1 for p in plans if p.ended_at is not None and start <= p.ended_at < end)
    figures["cp_in_force"] = sum(1 for p in plans if p.made_at < judged and (p.ended_at is None or p.ended_at >= judged))
    # The panel and its plans.
    figures["meetings"] = PanelMeeting.objects.filter(held_at__gte=start, held_at__lt=end).count()
    figures["plans_opened"] = Plan.objects.filter(opened_at__gte=start, opened_at__lt=end).count()
    figures["plans_closed"] = PlanHistory.objects.filter(at__gte=start, at__lt=end, what__startswith=PLAN_CLOSED).count()
    figures["plans_open_at_end"] = _plans_open_at(end)
    actions = list(PlanAction.objects.filter(due_on__gte=first, due_on__lte=due_by)
                   .values_list("status", "completed_at", "due_on"))
    figures["actions_in_time"] = (
        sum(1 for status, done, due_on in actions
            if status == ActionStatus.COMPLETED and done is not None and local_date(done) <= due_on),
        len(actions),
    )
    # Disrupting the adults around the children, and bringing them to justice.
    figures["disruptions"] = Counter(Disruption.objects.filter(served_on__gte=first, served_on__lte=last)
                                     .values_list("kind", flat=True))
    figures["outcomes"] = Counter(JusticeOutcome.objects.filter(on__gte=first, on__lte=last)
                                  .values_list("kind", flat=True))
    # Survivors.
    figures["support_opened"] = SupportPlan.objects.filter(opened_at__gte=start, opened_at__lt=end).count()
    figures["support_open_at_end"] = SupportPlan.objects.filter(opened_at__lt=end).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=end)).count()
    return figures


def _text(value: object) -> str:
    if isinstance(value, tuple):
        return _share(*value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def board_report(*, user: User, quarter: Quarter) -> BoardReport:
    """The quarter's figures beside the quarter before's, section by section: counts only."""
    require(user, Capability.VIEW_AGGREGATES)
    plans = [plan for child in protection_plans().values() for plan in child]
    this, before = _period(quarter, plans), _period(quarter.before, plans)

    def measure(name: str, key: str, hint: str = "") -> Measure:
        return Measure(name, _text(this.get(key, 0)), _text(before.get(key, 0)), hint)

    def by_kind(key: str, labels: list[tuple[str, str]]) -> list[Measure]:
        mine, theirs = this[key], before[key]
        assert isinstance(mine, Counter) and isinstance(theirs, Counter)
        return [Measure(label, f"{mine[code]:,}", f"{theirs[code]:,}") for code, label in labels
                if mine[code] or theirs[code]]

    clocks = [Measure(label, _text(this.get(f"clock:{kind}", (0, 0))), _text(before.get(f"clock:{kind}", (0, 0))),
                      "met in time, of those due in the quarter (so far, in a quarter under way)")
              for kind, label in ClockKind.choices if f"clock:{kind}" in this or f"clock:{kind}" in before]
    disruptions = by_kind("disruptions", list(DisruptionKind.choices))
    outcomes = by_kind("outcomes", list(OutcomeKind.choices))
    sections = [
        Section("front-door", "The front door", [
            measure("Concerns raised", "concerns"),
            measure("of which urgent", "urgent"),
            measure("Decided within 1 working day", "decided_within", "of the concerns raised in the quarter and decided"),
            measure("Past their working day undecided at the quarter's end", "undecided_late",
                    "concerns whose decision was due by then (or by now, in a quarter under way) and not made"),
        ]),
        Section("early-warning", "Early warning", [
            measure("Alerts raised by the scans", "alerts"),
            measure("Alerts turned into a concern or a referral to the panel", "alerts_acted"),
            measure("Alerts dismissed, with a reason", "alerts_dismissed"),
            measure("Children referred to the panel", "referrals"),
        ]),
        Section("clocks", "Statutory timescales", clocks, empty="No statutory clock was due in either quarter."),
        Section("child-protection", "Child protection plans", [
            measure("Children made subject to a child protection plan", "cp_made"),
            measure("Child protection plans ended", "cp_ended"),
            measure("Children subject to a child protection plan at the quarter's end", "cp_in_force",
                    "or now, in a quarter under way"),
        ]),
        Section("panel", "The panel and its plans", [
            measure("Panel meetings held", "meetings"),
            measure("Plans opened", "plans_opened"),
            measure("Plans closed", "plans_closed"),
            measure("Plans open at the quarter's end", "plans_open_at_end"),
            measure("Plan actions done by their due date", "actions_in_time",
                    "of the actions due in the quarter (before today, in a quarter under way)"),
        ]),
        Section("justice", "Disrupting the adults, and justice", [*disruptions, *outcomes],
                empty="No disruption or justice outcome was recorded in either quarter."),
        Section("survivors", "Survivors", [
            measure("Support plans opened", "support_opened"),
            measure("Support plans open at the quarter's end", "support_open_at_end"),
        ]),
    ]
    return BoardReport(quarter=quarter, sections=sections, complete=quarter.end <= timezone.now())
