"""What a rule would have done: run it over all the history the hub holds, and compare whom it
flags with who was in fact referred, and when.

A child counts as *referred* from the first concern anyone recorded about them: a concern in an
agency's extract (event type ``concern``), a concern raised in the hub, or a referral to the panel.

Two uses: an administrator's *Test against history* of a draft (``backtests``), and each rule's
precision as alerts show it (``rules_precision``): every switched-on rule evaluated together, as a
scan evaluates them, and for each the children it flagged in the past two years and how many of
those not yet referred were referred later.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
from django.utils import timezone

from safeguarding.earlywarning import engine, loader, sources
from safeguarding.earlywarning.models import PRECISION_YEARS, RAISED_ELSEWHERE, AlertLevel, Rule, RuleKind
from safeguarding.earlywarning.rules import RuleSpec, rule_spec
from safeguarding.earlywarning.scan import evaluate


@dataclass
class Backtest:
    rule: str
    children_flagged: int
    alerts: int
    referred_later: int  # flagged before anyone referred them
    referred_before: int  # already referred when the rule would have fired
    never_referred: int
    days_before_referral: list[int] = field(default_factory=list)
    events_read: int = 0
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Backtest:
        return cls(**data)

    @property
    def percent(self) -> int | None:
        """Of the children flagged who had not been referred yet, the share referred later, as alerts show
        their rule's precision (``RulePrecision.percent``)."""
        judged = self.referred_later + self.never_referred
        return round(100 * self.referred_later / judged) if judged else None

    @property
    def median_days_before_referral(self) -> float | None:
        return statistics.median(self.days_before_referral) if self.days_before_referral else None

    @property
    def quartiles(self) -> tuple[int, int] | None:
        days = self.days_before_referral
        if len(days) < 4:
            return None
        q = statistics.quantiles(days, n=4)
        return round(q[0]), round(q[2])


def _first_referrals(con: duckdb.DuckDBPyConnection) -> dict[int, dt.datetime]:
    """Each child's first referral: a concern in an agency's extract, or what the rooms that take
    referrals (the front door, the panel) register (``earlywarning.sources``)."""
    first: dict[int, dt.datetime] = {}

    def note(person_id: int, moment: dt.datetime) -> None:
        if person_id not in first or moment < first[person_id]:
            first[person_id] = moment

    for person_id, moment in con.execute(
        "SELECT person_id, min(ts) FROM ev WHERE event_type = 'concern' GROUP BY person_id"
    ).fetchall():
        note(int(person_id), moment.replace(tzinfo=dt.UTC))
    for person_id, moment in sources.referrals():
        note(person_id, moment)
    return first


Stage = Callable[[int, int | None], None]


def backtests(
    drafts: Sequence[RuleSpec], *, as_of: dt.datetime | None = None, on_stage: Stage | None = None
) -> list[Backtest]:
    """Run each rule of ``drafts`` (a draft and the rule as it is, say) over all history, reading
    the history once. Rules that link children to others at risk read who was at risk from the
    other switched-on rules, as a real scan would.

    ``on_stage(n, events)`` is told as each stage starts: 0 reading the history (told again as
    each batch of events is read), then ``n`` for the n-th of ``drafts``; ``events`` is how many
    events have been read so far (None before the first batch)."""
    moment = as_of or timezone.now()
    enabled = list(Rule.objects.filter(enabled=True))
    results = []
    con = engine.connect()
    try:
        started = time.perf_counter()
        read = 0

        def count_read(rows: int) -> None:
            nonlocal read
            read += rows
            if on_stage:
                on_stage(0, read)

        if on_stage:
            on_stage(0, None)
        # Administrators write drafts and read their figures, and are not the police: a draft is
        # tested on what every agency shares, so that no draft can count what the police hold back
        # (a draft firing on intelligence alone would count the children the police hold it on).
        events = loader.load_events(con, progress=count_read, shared_only=True)
        referrals = _first_referrals(con)
        reading = time.perf_counter() - started
        for number, draft in enumerate(drafts, start=1):
            if on_stage:
                on_stage(number, events)
            started = time.perf_counter()
            others = [rule_spec(r) for r in enabled if r.code != draft.code]
            episodes = evaluate(con, [*others, draft], moment).to_pylist()
            result = _compare(draft, episodes, referrals)
            result.events_read = events
            result.seconds = reading + time.perf_counter() - started
            results.append(result)
    finally:
        con.close()
    return results


@dataclass(frozen=True)
class LevelPrecision:
    """One rule's back-test at one level of its alerts."""

    code: str
    level: str
    backtest: Backtest


def rules_precision(
    specs: Sequence[RuleSpec], *, as_of: dt.datetime | None = None, years: int = PRECISION_YEARS
) -> tuple[list[LevelPrecision], dt.datetime, dt.datetime]:
    """How precise each rule of ``specs`` has been: the rules evaluated together over all the history
    (as a scan evaluates them, so a rule linking children reads who the others flag), and for each,
    the children it flagged from ``years`` before ``as_of`` to ``as_of`` against who was referred.
    A rule weighing signs is measured twice: every child it flagged (at its own level), and the
    children whose signs reached its high mark, from the moment they did. Returns the figures, the
    start of the period and ``as_of``."""
    moment = as_of or timezone.now()
    since = moment - dt.timedelta(days=round(365.2425 * years))
    con = engine.connect()
    try:
        events = loader.load_events(con)
        referrals = _first_referrals(con)
        started = time.perf_counter()
        episodes = evaluate(con, list(specs), moment).to_pylist()
        seconds = time.perf_counter() - started
    finally:
        con.close()
    results: list[LevelPrecision] = []
    for spec in specs:
        if spec.kind in RAISED_ELSEWHERE:
            continue  # raised as links are built, not by the events replayed here: no figure rather than 0
        marks = [(spec.level, "first_at")]
        if spec.kind == RuleKind.SCORE and spec.params.get("high_threshold") and spec.level != AlertLevel.HIGH:
            marks.append((str(AlertLevel.HIGH), "high_at"))
        for level, moment_key in marks:
            result = _compare(spec, episodes, referrals, since=since, moment_key=moment_key)
            result.events_read = events
            result.seconds = seconds
            results.append(LevelPrecision(spec.code, level, result))
    return results, since, moment


def _compare(
    draft: RuleSpec,
    episodes: list[dict[str, Any]],
    referrals: dict[int, dt.datetime],
    *,
    since: dt.datetime | None = None,
    moment_key: str = "first_at",
) -> Backtest:
    """Whom the draft's alerts flag, against whom was referred and when. With ``since``, only the
    children it first flagged from then on count; ``moment_key`` says which moment of an episode is
    the flag (``high_at``: when a rule weighing signs reached its high mark)."""
    first_alert: dict[int, dt.datetime] = {}
    alerts = 0
    for row in episodes:
        if row["rule_code"] != draft.code or row.get(moment_key) is None:
            continue
        raised = row[moment_key].replace(tzinfo=dt.UTC)
        if since is not None and raised < since:
            continue
        alerts += 1
        person = int(row["person_id"])
        if person not in first_alert or raised < first_alert[person]:
            first_alert[person] = raised
    later, before, never, days = 0, 0, 0, []
    for person, raised in first_alert.items():
        referred = referrals.get(person)
        if referred is None:
            never += 1
        elif referred < raised:
            before += 1
        else:
            later += 1
            days.append((referred - raised).days)
    return Backtest(
        rule=draft.name,
        children_flagged=len(first_alert),
        alerts=alerts,
        referred_later=later,
        referred_before=before,
        never_referred=never,
        days_before_referral=sorted(days),
    )
