"""The board's quarterly report: what the partnership did in a quarter beside the quarter before,
read from every room's records as counts (no child, adult or worker is named), for the partnership
manager, the independent scrutineer and the board (DOMAIN.md: scale, trends, timeliness per agency,
outcomes, progress of the strategy; board reports)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field, replace

from django.db.models import Count, F, Q
from django.utils import timezone

from safeguarding.accounts.access import Capability, require
from safeguarding.accounts.models import User
from safeguarding.clocks.models import ClockKind, StatutoryClock
from safeguarding.clocks.selectors import ProtectionPlan, police_only_clocks, protection_plans
from safeguarding.core.calendar import ENGLAND, add_months, local_date
from safeguarding.earlywarning.models import Alert, AlertStatus
from safeguarding.frontdoor.models import Concern
from safeguarding.insight.models import Comparison, StrategyTarget
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
from safeguarding.screening.models import ApprovalStatus, RiskLevelChange, ScreeningAssessment
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


def quarters_to_target(today: dt.date | None = None) -> list[Quarter]:
    """The quarters a target may start from: the one under way and the next four, then those the
    report offers before it (a strategy adopted earlier, recorded late)."""
    current = Quarter.containing(today or timezone.localdate())
    ahead = [current]
    while len(ahead) < 5:
        ahead.append(Quarter(add_months(ahead[-1].first_day, 3)))
    return [*ahead, *quarters_offered(today)[:-1]]


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
    target: str = ""  # the board's target for the quarter shown ("At least 95%"), if it set one
    met: bool | None = None  # whether the quarter shown meets it; None where nothing was due


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

    @property
    def targeted(self) -> list[Measure]:
        return [m for section in self.sections for m in section.measures if m.target]

    @property
    def targets_met(self) -> int:
        return sum(1 for m in self.targeted if m.met)

    @property
    def targets_judged(self) -> int:
        return sum(1 for m in self.targeted if m.met is not None)

    @property
    def targets_summary(self) -> str:
        """"Targets met: 2 of 3 (4 in force; 1 had nothing due)", the page's and the PDF's words."""
        unjudged = len(self.targeted) - self.targets_judged
        aside = f"{len(self.targeted)} in force; {unjudged} had nothing due" if unjudged else ""
        return (f"Targets met{'' if self.complete else ' so far'}: {self.targets_met} of {self.targets_judged}"
                + (f" ({aside})" if aside else ""))


# --- the figures a target may be set for ----------------------------------------------------------

# Each section's keyed figures: (name, key, hint). Shares are met-in-time figures, a (part, whole) pair.
_LAYOUT: list[tuple[str, str, list[tuple[str, str, str]]]] = [
    ("front-door", "The front door", [
        ("Concerns raised", "concerns", ""),
        ("of which urgent", "urgent", ""),
        ("Decided within 1 working day", "decided_within", "of the concerns raised in the quarter and decided"),
        ("Past their working day undecided at the quarter's end", "undecided_late",
         "concerns whose decision was due by then (or by now, in a quarter under way) and not made"),
    ]),
    ("early-warning", "Early warning", [
        ("Alerts raised by the scans", "alerts",
         "by the day the hub raised them; the alerts queue dates each by the record that tipped it, often earlier"),
        ("Alerts turned into a concern or a referral to the panel", "alerts_acted", ""),
        ("Alerts dismissed, with a reason", "alerts_dismissed", ""),
        ("Children referred to the panel", "referrals", ""),
    ]),
    ("risk-levels", "Risk levels", [
        ("Screenings completed", "screenings", ""),
        ("Risk levels raised", "levels_raised", "a child's first level above none counts as raised"),
        ("Risk levels lowered", "levels_lowered", "against the child's level before it"),
        ("Judgements below the level in force or the tool's, refused by the second person", "lowerings_refused", ""),
        ("Judgements below the level in force or the tool's, awaiting a second person at the quarter's end",
         "lowerings_waiting", "or now, in a quarter under way"),
    ]),
    ("clocks", "Statutory timescales", []),  # one figure per kind of clock due (below)
    ("child-protection", "Child protection plans", [
        ("Children made subject to a child protection plan", "cp_made", ""),
        ("Child protection plans ended", "cp_ended", ""),
        ("Children subject to a child protection plan at the quarter's end", "cp_in_force",
         "or now, in a quarter under way"),
    ]),
    ("panel", "The panel and its plans", [
        ("Panel meetings held", "meetings", ""),
        ("Plans opened", "plans_opened", ""),
        ("Plans closed", "plans_closed", ""),
        ("Plans open at the quarter's end", "plans_open_at_end", ""),
        ("Plan actions done by their due date", "actions_in_time",
         "of the actions due in the quarter (before today, in a quarter under way)"),
    ]),
    ("justice", "Disrupting the adults, and justice", []),  # counts by kind (below)
    ("survivors", "Survivors", [
        ("Support plans opened", "support_opened", ""),
        ("Support plans open at the quarter's end", "support_open_at_end", ""),
    ]),
]
_CLOCK_HINT = "met in time, of those due in the quarter (so far, in a quarter under way)"
_SHARES = frozenset({"decided_within", "actions_in_time"})


def is_share(key: str) -> bool:
    """Whether a figure is a share met in time (its target is a percentage), not a count."""
    return key in _SHARES or key.startswith("clock:")


def target_measures() -> list[tuple[str, str]]:
    """Every figure of the report a target may be set for, as (key, name), in the report's order."""
    found: list[tuple[str, str]] = []
    for section, _, measures in _LAYOUT:
        if section == "clocks":
            found += [(f"clock:{kind}", str(label)) for kind, label in ClockKind.choices]
        found += [(key, name[0].upper() + name[1:]) for name, key, _ in measures]
    return found


def target_text(comparison: str, value: int, key: str) -> str:
    return f"{Comparison(comparison).label} {value:,}{'%' if is_share(key) else ''}"


def target_met(figure: object, comparison: str, value: int) -> bool | None:
    """Whether a figure meets a target: a share by its percentage (exactly, not rounded), a count as
    it is. None for a share of nothing (nothing was due, so nothing to judge)."""
    if isinstance(figure, tuple):
        part, whole = figure
        if not whole:
            return None
        mine, bound = 100 * part, value * whole
    else:
        mine, bound = figure if isinstance(figure, int) else 0, value
    return mine >= bound if comparison == Comparison.AT_LEAST else mine <= bound


def targets_in_force(quarter: Quarter) -> dict[str, StrategyTarget]:
    """The board's target for each figure in a quarter: the row starting latest on or before it, the
    last set where two start together; a withdrawal leaves the figure without one."""
    rows = StrategyTarget.objects.filter(from_quarter__lte=quarter.first_day).select_related("set_by")
    latest: dict[str, StrategyTarget] = {}
    for row in rows.order_by("from_quarter", "set_at", "pk"):
        latest[row.measure] = row
    return {key: row for key, row in latest.items() if row.value is not None}


def _share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}% ({part:,} of {whole:,})" if whole else "none due"


def _plans_open_at(moment: dt.datetime) -> int:
    """Plans opened before the moment, and reopened, less those closed: as the plans figures count."""
    opened = Plan.objects.filter(opened_at__lt=moment).count()
    history = PlanHistory.objects.filter(at__lt=moment).aggregate(
        closed=Count("pk", filter=Q(what__startswith=PLAN_CLOSED)), reopened=Count("pk", filter=Q(what=PLAN_REOPENED)))
    return int(opened + history["reopened"] - history["closed"])


def _level_moves(before_moment: dt.datetime) -> list[tuple[dt.datetime, int]]:
    """Every change of a child's risk level: when, and +1 raised or -1 lowered against the child's
    level before it (by the child's id now, so a merged child's levels read as one history), by the
    rank each level had when it was put in force. A level put in force again at the same rank is 0.
    Only those before ``before_moment`` (the end of the quarter shown) are read."""
    moves: list[tuple[dt.datetime, int]] = []
    before: dict[int, int] = {}
    for root, rank, at in (RiskLevelChange.objects.filter(effective_at__lt=before_moment).order_by("effective_at", "pk")
                           .values_list("child__root_id", "level_rank", "effective_at")):
        was = before.get(root, 0)
        moves.append((at, (rank > was) - (rank < was)))
        before[root] = rank
    return moves


def _period(quarter: Quarter, plans: list[ProtectionPlan], moves: list[tuple[dt.datetime, int]]) -> dict[str, object]:
    """Every figure of one quarter, by key: a count, a (part, whole) pair, or counts by kind.
    ``plans``: every child protection plan the conferences made; ``moves``: every change of a risk
    level (both read once for both quarters)."""
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
    # Risk levels: what the screenings put in force, and lowerings a second person must approve (DOMAIN.md:
    # children were once taken off monitoring to push the numbers down).
    figures["screenings"] = ScreeningAssessment.objects.filter(completed_at__gte=start, completed_at__lt=end).count()
    figures["levels_raised"] = sum(1 for at, move in moves if start <= at < end and move > 0)
    figures["levels_lowered"] = sum(1 for at, move in moves if start <= at < end and move < 0)
    figures["lowerings_refused"] = ScreeningAssessment.objects.filter(
        approval=ApprovalStatus.REFUSED, approval_at__gte=start, approval_at__lt=end).count()
    figures["lowerings_waiting"] = ScreeningAssessment.objects.filter(completed_at__lt=judged).exclude(
        approval=ApprovalStatus.NOT_NEEDED).filter(Q(approval_at__isnull=True) | Q(approval_at__gte=judged)).count()
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


@dataclass(frozen=True)
class TargetRow:
    name: str
    target: str  # "At least 95%", or "Withdrawn"
    from_quarter: str
    reason: str
    set_by: str
    set_at: dt.datetime


@dataclass
class Targets:
    in_force: list[TargetRow]  # this quarter's, in the report's order
    later: list[TargetRow]  # set to start in a quarter to come
    history: list[TargetRow]  # every setting and withdrawal, the latest first


def strategy_targets(*, user: User, today: dt.date | None = None) -> Targets:
    """The board's targets: those in force in the quarter under way, those set for later quarters,
    and every one the board has set or withdrawn (the workers who recorded them named: the page
    names no child)."""
    require(user, Capability.VIEW_AGGREGATES)
    names = dict(target_measures())
    current = Quarter.containing(today or timezone.localdate())

    def row(target: StrategyTarget) -> TargetRow:
        text = "Withdrawn" if target.value is None else target_text(target.comparison, target.value, target.measure)
        return TargetRow(names.get(target.measure, target.measure), text, Quarter(target.from_quarter).name,
                         target.reason, str(target.set_by), target.set_at)

    in_force = targets_in_force(current)
    everything = list(StrategyTarget.objects.select_related("set_by").order_by("-set_at", "-pk"))
    order = {key: n for n, key in enumerate(names)}
    return Targets(
        in_force=[row(t) for t in sorted(in_force.values(), key=lambda t: order.get(t.measure, len(order)))],
        later=[row(t) for t in sorted(everything, key=lambda t: (t.from_quarter, t.set_at))
               if t.from_quarter > current.first_day],
        history=[row(t) for t in everything],
    )


def board_report(*, user: User, quarter: Quarter) -> BoardReport:
    """The quarter's figures beside the quarter before's, section by section (counts only), each with
    the board's target for the quarter shown and whether it is met."""
    require(user, Capability.VIEW_AGGREGATES)
    plans = [plan for child in protection_plans().values() for plan in child]
    moves = _level_moves(quarter.end)
    this, before = _period(quarter, plans, moves), _period(quarter.before, plans, moves)
    targets = targets_in_force(quarter)

    def measure(name: str, key: str, hint: str = "", default: object = 0) -> Measure:
        figure = this.get(key, default)
        shown = Measure(name, _text(figure), _text(before.get(key, default)), hint)
        target = targets.get(key)
        if target is None or target.value is None:  # (a withdrawal is never in force)
            return shown
        return replace(shown, target=target_text(target.comparison, target.value, key),
                       met=target_met(figure, target.comparison, target.value))

    def by_kind(key: str, labels: list[tuple[str, str]]) -> list[Measure]:
        mine, theirs = this[key], before[key]
        assert isinstance(mine, Counter) and isinstance(theirs, Counter)
        return [Measure(label, f"{mine[code]:,}", f"{theirs[code]:,}") for code, label in labels
                if mine[code] or theirs[code]]

    sections = []
    for key, title, measures in _LAYOUT:
        if key == "clocks":
            # A kind of clock shows where one was due in either quarter, or the board set it a target.
            shown = [measure(str(label), f"clock:{kind}", _CLOCK_HINT, (0, 0)) for kind, label in ClockKind.choices
                     if {f"clock:{kind}"} & (this.keys() | before.keys() | targets.keys())]
            sections.append(Section(key, title, shown, empty="No statutory clock was due in either quarter."))
        elif key == "justice":
            shown = [*by_kind("disruptions", list(DisruptionKind.choices)), *by_kind("outcomes", list(OutcomeKind.choices))]
            sections.append(Section(key, title, shown,
                                    empty="No disruption or justice outcome was recorded in either quarter."))
        else:
            sections.append(Section(key, title, [measure(*m) for m in measures]))
    return BoardReport(quarter=quarter, sections=sections, complete=quarter.end <= timezone.now())
