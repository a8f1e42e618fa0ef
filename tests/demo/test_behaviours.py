"""The generator's behavioural knobs (households.Everyday, networks.ExploitedChildren, the named
partnerships in demo.behaviours): each changes what the children do as it says, and the default
changes nothing (tests/demo/test_generator.py keeps the default's bytes)."""

from __future__ import annotations

import csv
import statistics
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest

from safeguarding.demo.behaviours import BEHAVIOURS
from safeguarding.demo.generator import GenerationSummary, generate_partnership
from safeguarding.demo.households import Everyday
from safeguarding.demo.networks import ExploitedChildren


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class Area:
    """A generated area read back: each true person's events, and who was exploited."""

    def __init__(self, summary: GenerationSummary) -> None:
        person_of = {(r["source_system"], r["record_id"]): r["true_person_id"]
                     for r in _read(summary.truth_dir / "persons.csv")}
        self.events: dict[str, list[dict[str, str]]] = defaultdict(list)
        for event in _read(summary.extract_dir / "events.csv"):
            self.events[person_of[(event["source_system"], event["record_id"])]].append(event)
        self.exploited = {r["true_person_id"]: r for r in _read(summary.truth_dir / "exploited.csv")}
        self.summary = summary

    def others(self) -> list[str]:
        return [p for p in self.events if p not in self.exploited]

    def count(self, people: list[str], event_type: str) -> int:
        return sum(1 for p in people for e in self.events[p] if e["event_type"] == event_type)


@pytest.fixture(scope="module")
def areas(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Area]:
    made = {}
    for name in ("default", "other-reasons", "rarely-missing", "independent-style"):
        behaviour = BEHAVIOURS[name]
        made[name] = Area(generate_partnership(tmp_path_factory.mktemp(name), children=3000, seed=5,
                                               everyday=behaviour.everyday, exploited=behaviour.exploited))
    return made


def test_the_default_knobs_are_the_generator_as_it_was(tmp_path: Path) -> None:
    plain = generate_partnership(tmp_path / "plain", children=300, seed=8)
    knobs = generate_partnership(tmp_path / "knobs", children=300, seed=8, everyday=Everyday(),
                                 exploited=ExploitedChildren())
    for name in ("events.csv", "people.csv"):
        assert (plain.extract_dir / name).read_bytes() == (knobs.extract_dir / name).read_bytes()


def test_children_who_go_missing_for_other_reasons_are_not_exploited(areas: dict[str, Area]) -> None:
    default, other = areas["default"], areas["other-reasons"]
    assert len(other.exploited) == len(default.exploited)  # as many exploited: only the others differ
    missing = {name: area.count(area.others(), "missing_episode") for name, area in areas.items()}
    assert missing["other-reasons"] > 3 * missing["default"]
    # Children in care run from placements: several children share a children's home's postcode.
    homes = Counter(e["location_postcode"] for p in other.others() for e in other.events[p]
                    if e["event_type"] == "missing_episode" and e["location_name"].startswith("Children's home"))
    children_per_home = Counter()
    for p in other.others():
        for postcode in {e["location_postcode"] for e in other.events[p] if e["location_name"].startswith("Children's home")}:
            children_per_home[postcode] += 1
    assert homes and max(children_per_home.values()) >= 2
    # Young carers and anxious children miss school often without going missing.
    absent_only = [p for p in other.others()
                   if sum(e["event_type"] == "absent_from_school" for e in other.events[p]) >= 30
                   and not any(e["event_type"] == "missing_episode" for e in other.events[p])]
    default_absent_only = [p for p in default.others()
                           if sum(e["event_type"] == "absent_from_school" for e in default.events[p]) >= 30]
    assert len(absent_only) > 2 * len(default_absent_only)
    assert other.count(other.others(), "found_with_adult") > 2 * default.count(default.others(), "found_with_adult")


def test_exploited_children_rarely_missing_show_it_in_health_and_in_police_stops_with_adults(
    areas: dict[str, Area],
) -> None:
    default, rarely = areas["default"], areas["rarely-missing"]
    exploited = list(rarely.exploited)

    def never_missing(area: Area) -> float:
        kids = list(area.exploited)
        return sum(not any(e["event_type"] == "missing_episode" for e in area.events[k]) for k in kids) / len(kids)

    assert never_missing(default) < 0.1 and never_missing(rarely) > 0.3  # some are missing in the ordinary run
    assert rarely.count(exploited, "missing_episode") < default.count(list(default.exploited), "missing_episode") / 3
    health = ("sexual_health_attendance", "ae_attendance", "substance_misuse")
    assert sum(rarely.count(exploited, t) for t in health) > 1.5 * sum(
        default.count(list(default.exploited), t) for t in health)
    stops_with_adults = [e for k in exploited for e in rarely.events[k]
                         if e["event_type"] == "police_stop" and e["detail"].startswith("Stopped in the company")]
    assert stops_with_adults and any(e["other_record_ids"] for e in stops_with_adults)


def test_professionals_name_it_later_where_concern_delay_says_so(areas: dict[str, Area]) -> None:
    def median_delay(area: Area) -> float:
        return statistics.median(
            (date.fromisoformat(r["first_concern_on"]) - date.fromisoformat(r["began_on"])).days
            for r in area.exploited.values() if r["first_concern_on"]
        )

    assert median_delay(areas["independent-style"]) > 1.4 * median_delay(areas["rarely-missing"])


def test_a_county_has_the_prevalence_it_is_given(tmp_path: Path) -> None:
    county = BEHAVIOURS["county"]
    summary = generate_partnership(tmp_path, children=20_000, seed=2, everyday=county.everyday,
                                   exploited=county.exploited)
    # About one child in four hundred exploited, against one in 36 in the default area.
    assert 0.0015 < summary.exploited_children / 20_000 < 0.004
    assert summary.networks == 5
