"""What early warning asks of the rooms above it: which children are under an active plan (the scan
adds new evidence to such a child's alert instead of raising another), when each child was first
referred (back-tests compare a rule's flags with it), and which children were referred to the panel
(the missed-opportunity report reviews each). Those rooms (the front door, the panel, and any
that hold plans later) stand above this one, so they register what they know when the hub starts
(their AppConfig.ready), instead of this room importing them. Every id answered is a person as the
identity room knows them now (a root)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

PlanSource = Callable[[], set[int]]
ReferralSource = Callable[[], Iterable[tuple[int, dt.datetime]]]
_plans: dict[str, PlanSource] = {}
_referrals: dict[str, ReferralSource] = {}
_panel: dict[str, ReferralSource] = {}


def register_plan_source(name: str, source: PlanSource) -> None:
    """``source()`` answers the children under an active plan held by the registering room."""
    _plans[name] = source


def register_referral_source(name: str, source: ReferralSource) -> None:
    """``source()`` answers (child, moment) for each referral the registering room holds."""
    _referrals[name] = source


def register_panel_referral_source(name: str, source: ReferralSource) -> None:
    """``source()`` answers (child, moment) for each referral to the panel the registering room holds."""
    _panel[name] = source


def children_under_plan() -> set[int]:
    children: set[int] = set()
    for source in _plans.values():
        children |= source()
    return children


def referrals() -> Iterable[tuple[int, dt.datetime]]:
    for source in _referrals.values():
        yield from source()


def panel_referrals() -> Iterable[tuple[int, dt.datetime]]:
    for source in _panel.values():
        yield from source()
