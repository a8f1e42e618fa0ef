# ruff: noqa: S608 -- the only values written into the SQL are file paths, quoted (see load_extract).
"""How well the rules do on a partnership whose truth is known (the demo generator writes it).

- **recall** (flagged share): of the children known to be exploited, how many had an alert raised on
  or after the day their exploitation began;
- **precision**: of the children with any alert, how many were in fact exploited;
- **lead time**: for exploited children a professional raised a concern about, the days from the
  first alert (on or after the exploitation began) to that first concern; positive means the hub
  saw it first.

Two ways in: ``quality_against_truth`` reads the alerts a real scan wrote into the hub (after the
hub's own import and record linkage); ``load_extract`` and ``quality_of_episodes`` evaluate rules
straight over an extract's files with every record given its true person, so that many rule sets
can be measured on many generated partnerships quickly, with linkage taken out of the figures.
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.utils import timezone

from safeguarding.earlywarning.models import Alert
from safeguarding.people.models import SourceRecord


@dataclass
class Quality:
    exploited: int
    flagged_exploited: int
    flagged_children: int
    flagged_correct: int
    lead_days: list[int] = field(default_factory=list)
    by_rule: dict[str, tuple[int, int]] = field(default_factory=dict)  # rule -> (children flagged, correct)

    @property
    def flagged_share(self) -> float:
        return self.flagged_exploited / self.exploited if self.exploited else 0.0

    @property
    def recall(self) -> float:
        return self.flagged_share

    @property
    def precision(self) -> float:
        return self.flagged_correct / self.flagged_children if self.flagged_children else 0.0

    @property
    def median_lead_days(self) -> float | None:
        return statistics.median(self.lead_days) if self.lead_days else None

    def as_json(self) -> dict[str, Any]:
        return {
            "exploited": self.exploited, "flagged_exploited": self.flagged_exploited,
            "flagged_children": self.flagged_children, "flagged_correct": self.flagged_correct,
            "precision": round(self.precision, 4), "recall": round(self.recall, 4),
            "median_lead_days": self.median_lead_days, "leads": len(self.lead_days),
        }


@dataclass(frozen=True)
class Truth:
    """The generator's truth: which record is which true person, and who was exploited."""

    person_of_record: dict[tuple[str, str], str]
    exploited: dict[str, tuple[dt.date, dt.date | None]]  # true person -> (began, first concern or None)

    @classmethod
    def read(cls, truth_dir: Path) -> Truth:
        person_of_record: dict[tuple[str, str], str] = {}
        with (truth_dir / "persons.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                person_of_record[(row["source_system"], row["record_id"])] = row["true_person_id"]
        exploited: dict[str, tuple[dt.date, dt.date | None]] = {}
        with (truth_dir / "exploited.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                first = dt.date.fromisoformat(row["first_concern_on"]) if row["first_concern_on"] else None
                exploited[row["true_person_id"]] = (dt.date.fromisoformat(row["began_on"]), first)
        return cls(person_of_record, exploited)


def _score(exploited: dict[str, tuple[dt.date, dt.date | None]],
           flags: Iterable[tuple[str, frozenset[str], dt.date]]) -> Quality:
    """Quality from flags as (rule, the true people the flagged person stands for, day raised)."""
    first_alert: dict[str, dt.date] = {}  # exploited child -> first alert on or after it began
    flagged: dict[frozenset[str], bool] = {}
    rule_children: dict[str, dict[frozenset[str], bool]] = defaultdict(dict)
    for rule, truths, day in flags:
        correct = False
        for truth in truths:
            if truth in exploited:
                correct = True
                began, _ = exploited[truth]
                if day >= began and (truth not in first_alert or day < first_alert[truth]):
                    first_alert[truth] = day
        flagged[truths] = flagged.get(truths, False) or correct
        rule_children[rule][truths] = correct
    leads = [
        (first - day).days
        for truth, day in first_alert.items()
        if (first := exploited[truth][1]) is not None
    ]
    return Quality(
        exploited=len(exploited),
        flagged_exploited=len(first_alert),
        flagged_children=len(flagged),
        flagged_correct=sum(flagged.values()),
        lead_days=sorted(leads),
        by_rule={rule: (len(children), sum(children.values())) for rule, children in rule_children.items()},
    )


def quality_against_truth(truth_dir: Path) -> Quality:
    """Compare the alerts in the hub with the generator's ground truth in ``truth_dir``."""
    truth = Truth.read(truth_dir)
    # Each hub person stands for the true people whose records it holds (usually exactly one).
    truths: dict[int, set[str]] = defaultdict(set)
    for system, record_id, person_id in SourceRecord.objects.values_list(
        "source_system__code", "record_id", "person_id"
    ).iterator(chunk_size=20_000):
        true_person = truth.person_of_record.get((system, record_id))
        if true_person:
            truths[person_id].add(true_person)
    frozen = {person: frozenset(people) for person, people in truths.items()}
    flags = (
        (rule, frozen.get(person, frozenset({f"hub-{person}"})), timezone.localtime(raised_at).date())
        for person, rule, raised_at in Alert.objects.values_list(
            "person__root_id", "rule__code", "raised_at"
        ).iterator()
    )
    return _score(truth.exploited, flags)


# --- rules straight over an extract's files, every record given its true person ---------------------


def true_person_number(tpid: str) -> int:
    """``T000123`` -> 123: the true person as the engine's person id."""
    return int(tpid.lstrip("T"))


def load_extract(con: duckdb.DuckDBPyConnection, extract_dir: Path, truth_dir: Path,
                 agency_of_system: dict[str, str]) -> int:
    """Fill the engine's ``ev`` and ``person`` tables from an extract's files as the loader fills them
    from the hub, but with each record's true person as its person: identifiers normalised the same
    way for linking children (registration and postcode upper case without spaces, phone by its last
    ten digits), local times in England made UTC. Returns the number of events."""
    agencies = sorted(set(agency_of_system.values()))
    con.register("systems", pa.table({
        "source_system": list(agency_of_system),
        "agency_id": [agencies.index(agency_of_system[s]) + 1 for s in agency_of_system],
    }))
    files = {name: str(folder / f"{name}.csv").replace("'", "''")
             for folder, names in ((extract_dir, ("people", "events")), (truth_dir, ("persons",))) for name in names}
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE truth AS
        SELECT source_system, record_id, CAST(ltrim(true_person_id, 'T') AS BIGINT) AS person_id
        FROM read_csv('{files["persons"]}', all_varchar = true, header = true)""")
    con.execute(f"""
        CREATE OR REPLACE TABLE person AS
        SELECT t.person_id,
               -- the date of birth most records agree on; a partial one counts as its last day
               mode(CASE WHEN length(p.date_of_birth) = 10 THEN try_strptime(p.date_of_birth, '%Y-%m-%d')::DATE
                         WHEN length(p.date_of_birth) = 7
                              THEN last_day(try_strptime(p.date_of_birth || '-01', '%Y-%m-%d')::DATE)
                         WHEN length(p.date_of_birth) = 4
                              THEN try_strptime(p.date_of_birth || '-12-31', '%Y-%m-%d')::DATE END) AS dob,
               mode(nullif(p.role, '')) AS role
        FROM read_csv('{files["people"]}', all_varchar = true, header = true) p
        JOIN truth t USING (source_system, record_id)
        GROUP BY t.person_id""")
    con.execute(f"""
        CREATE OR REPLACE TABLE ev AS
        WITH raw AS (
            SELECT row_number() OVER () AS event_pk, *
            FROM read_csv('{files["events"]}', all_varchar = true, header = true)
        ), named AS (
            SELECT r.event_pk, list(DISTINCT t.person_id) AS others
            FROM (SELECT event_pk, source_system, trim(unnest(string_split(other_record_ids, ';'))) AS record_id
                  FROM raw WHERE coalesce(other_record_ids, '') <> '') r
            JOIN truth t USING (source_system, record_id)
            GROUP BY r.event_pk
        )
        SELECT r.event_pk, t.person_id, s.agency_id, r.event_type,
               timezone('UTC', timezone('Europe/London', CAST(r.occurred_at AS TIMESTAMP))) AS ts,
               timezone('UTC', timezone('Europe/London', CAST(nullif(r.ended_at, '') AS TIMESTAMP))) AS ended,
               upper(regexp_replace(coalesce(r.vehicle_registration, ''), '[^A-Za-z0-9]', '', 'g')) AS vehicle,
               right(regexp_replace(coalesce(r.phone, ''), '[^0-9]', '', 'g'), 10) AS phone,
               upper(regexp_replace(coalesce(r.location_postcode, ''), '[^A-Za-z0-9]', '', 'g')) AS place,
               coalesce(n.others, []::BIGINT[]) AS others
        FROM raw r JOIN truth t USING (source_system, record_id)
        JOIN systems s USING (source_system)
        LEFT JOIN named n USING (event_pk)""")
    con.unregister("systems")
    return int(con.execute("SELECT count(*) FROM ev").fetchall()[0][0])


def quality_of_episodes(episodes: pa.Table, truth: Truth, rules: Iterable[str] | None = None) -> Quality:
    """Quality of the given rules' episodes (all of them when ``rules`` is None), from an extract
    loaded with ``load_extract`` (the person ids are true people)."""
    wanted = set(rules) if rules is not None else None
    exploited = {str(true_person_number(tpid)): value for tpid, value in truth.exploited.items()}
    flags = (
        (row["rule_code"], frozenset({str(row["person_id"])}), row["first_at"].date())
        for row in episodes.select(["rule_code", "person_id", "first_at"]).to_pylist()
        if wanted is None or row["rule_code"] in wanted
    )
    return _score(exploited, flags)
