"""Seeded synthetic partnership for Eastwood: agencies' extracts in the exchange format and the truth behind them.

The generator invents one borough's children, their families and a few exploitation networks,
then writes what each agency's system would hold about them, with the noise real systems have
(typos, nicknames, moved addresses, partial dates, missing identifiers). Beside the extract it
writes the ground truth, so linkage, early-warning rules and network analysis can be scored.

It is plain Python over ``random.Random(seed)`` and streams its rows to disk, so that a million
people rows take minutes and little memory, and the same seed always gives the same bytes. Its
parts, each in a module of its own:

- ``world``: the borough's time, streets and people, with the identifiers they really have;
- ``networks``: the planted exploitation networks, the children they exploit and their trail;
- ``households``: families, and the ordinary run of childhood in agencies' records;
- ``agencies``: each agency's systems, how they number and write what they hold (the noise);
- ``writer``: the extract (columns from ``exchange.format``) and the truth, written to disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from safeguarding.demo.agencies import AGENCY_OF_SYSTEM, RECORDING_VARIANTS, SYSTEMS, Agencies, Recording
from safeguarding.demo.households import Everyday, Households
from safeguarding.demo.networks import ExploitedChildren, Networks
from safeguarding.demo.world import World, e164, upn_check_letter
from safeguarding.demo.writer import (
    TRUTH_EXPLOITED_COLUMNS,
    TRUTH_NETWORK_COLUMNS,
    TRUTH_PERSONS_COLUMNS,
    ExtractWriter,
    ProgressCallback,
)
from safeguarding.exchange.format import EVENT_TYPES as _EVENT_TYPES
from safeguarding.exchange.format import EVENTS, PEOPLE, RELATIONSHIPS

# The exchange format's own, as the generator writes them (``handling`` last in events.csv: the
# format's extra column for the police handling code of intelligence).
PEOPLE_COLUMNS: tuple[str, ...] = PEOPLE.names
EVENT_COLUMNS: tuple[str, ...] = EVENTS.names
RELATIONSHIP_COLUMNS: tuple[str, ...] = RELATIONSHIPS.names
EVENT_TYPES: frozenset[str] = frozenset(_EVENT_TYPES)

__all__ = [
    "AGENCY_OF_SYSTEM", "EVENT_COLUMNS", "EVENT_TYPES", "PEOPLE_COLUMNS", "RECORDING_VARIANTS", "RELATIONSHIP_COLUMNS",
    "SYSTEMS", "TRUTH_EXPLOITED_COLUMNS", "TRUTH_NETWORK_COLUMNS", "TRUTH_PERSONS_COLUMNS", "GenerationSummary",
    "Recording", "e164", "generate_partnership", "upn_check_letter",
]


@dataclass(frozen=True)
class GenerationSummary:
    """What a generation run wrote: where, and how many of each."""

    extract_dir: Path  # out_dir / "extract": people.csv, events.csv, relationships.csv
    truth_dir: Path  # out_dir / "truth"
    children: int  # true child persons
    adults: int  # true adult persons
    people_rows: int
    event_rows: int
    relationship_rows: int
    exploited_children: int
    networks: int


def generate_partnership(
    out_dir: Path,
    *,
    children: int = 2000,
    seed: int = 20251122,
    target_records: int | None = None,
    end_date: date = date(2026, 10, 31),
    years: int = 2,
    progress: ProgressCallback | None = None,
    everyday: Everyday | None = None,
    exploited: ExploitedChildren | None = None,
    recording: Recording | None = None,
) -> GenerationSummary:
    """Write a synthetic partnership's extract and its truth under ``out_dir``.

    ``everyday`` and ``exploited`` are the behavioural assumptions (``households.Everyday``,
    ``networks.ExploitedChildren``; ``demo.behaviours`` names some partnerships built with them):
    left out, the generator is as it always was.

    ``target_records`` (if given) overrides ``children``: a small dry run measures how many people
    rows a child brings with this seed, and the child count is scaled to give about that many rows.
    ``recording``: how the agencies record people, where it differs from the default (agencies.Recording;
    named variants in RECORDING_VARIANTS).
    """
    if years < 1:
        raise ValueError("years must be at least 1")
    if target_records is not None:
        if target_records < 100:
            raise ValueError("target_records must be at least 100")
        if progress:
            progress("calibrate", 0, 1)
        pilot_children = 6000
        pilot = _run(None, children=pilot_children, seed=seed, end_date=end_date, years=years, progress=None,
                     everyday=everyday, exploited=exploited, recording=recording)
        rows_per_child = pilot.people_rows / pilot_children
        children = max(20, round(target_records / rows_per_child))
        if progress:
            progress("calibrate", 1, 1)
    if children < 1:
        raise ValueError("children must be at least 1")
    return _run(Path(out_dir), children=children, seed=seed, end_date=end_date, years=years, progress=progress,
                everyday=everyday, exploited=exploited, recording=recording)


def _run(out_dir: Path | None, *, children: int, seed: int, end_date: date, years: int,
         progress: ProgressCallback | None, everyday: Everyday | None = None,
         exploited: ExploitedChildren | None = None, recording: Recording | None = None) -> GenerationSummary:
    """One run: the borough's streets, the networks, then household after household."""
    world = World(children=children, seed=seed, end_date=end_date, years=years)
    out = ExtractWriter(out_dir, SYSTEMS)
    agencies = Agencies(world, out, recording=recording, seed=seed)
    networks = Networks(world, agencies, out, progress, exploited)
    households = Households(world, agencies, networks, out, everyday)

    networks.plan_networks()
    exploited_at = networks.plan_exploited()
    made = 0
    next_report = 0
    while made < children:
        made += households.household(made, exploited_at)
        if progress and (made >= next_report or made >= children):
            progress("people", min(made, children), children)
            next_report = made + 1000
    out.close(progress)
    out.networks_truth(networks.truth_rows())
    folder = out_dir or Path()
    return GenerationSummary(
        extract_dir=folder / "extract", truth_dir=folder / "truth",
        children=agencies.children_recorded, adults=agencies.adults_recorded,
        people_rows=out.people_rows, event_rows=out.event_rows,
        relationship_rows=out.relationship_rows, exploited_children=networks.exploited,
        networks=len(networks.planted),
    )
