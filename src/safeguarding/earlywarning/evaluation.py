"""How well the rules do on a partnership whose truth is known (the demo generator writes it).

- **flagged share**: of the children known to be exploited, how many had an alert raised on or after
  the day their exploitation began;
- **precision**: of the children with any alert, how many were in fact exploited;
- **lead time**: for exploited children a professional raised a concern about, the days from the
  first alert (on or after the exploitation began) to that first concern; positive means the hub
  saw it first.
"""

from __future__ import annotations

import csv
import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

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
    def precision(self) -> float:
        return self.flagged_correct / self.flagged_children if self.flagged_children else 0.0

    @property
    def median_lead_days(self) -> float | None:
        return statistics.median(self.lead_days) if self.lead_days else None


def quality_against_truth(truth_dir: Path) -> Quality:
    """Compare the alerts in the hub with the generator's ground truth in ``truth_dir``."""
    truth_of_record: dict[tuple[str, str], str] = {}
    with (truth_dir / "persons.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            truth_of_record[(row["source_system"], row["record_id"])] = row["true_person_id"]
    exploited: dict[str, tuple[dt.date, dt.date | None]] = {}
    with (truth_dir / "exploited.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            first = dt.date.fromisoformat(row["first_concern_on"]) if row["first_concern_on"] else None
            exploited[row["true_person_id"]] = (dt.date.fromisoformat(row["began_on"]), first)

    # Each hub person stands for the true people whose records it holds (usually exactly one).
    truths: dict[int, set[str]] = defaultdict(set)
    for system, record_id, person_id in SourceRecord.objects.values_list(
        "source_system__code", "record_id", "person_id"
    ).iterator(chunk_size=20_000):
        truth = truth_of_record.get((system, record_id))
        if truth:
            truths[person_id].add(truth)

    first_alert: dict[str, dt.date] = {}  # exploited child -> first alert on or after it began
    flagged: dict[int, bool] = {}
    rule_children: dict[str, dict[int, bool]] = defaultdict(dict)
    for person, rule, raised_at in Alert.objects.values_list("person__root_id", "rule__code", "raised_at").iterator():
        day = timezone.localtime(raised_at).date()
        correct = False
        for truth in truths.get(person, ()):
            if truth in exploited:
                correct = True
                began, _ = exploited[truth]
                if day >= began and (truth not in first_alert or day < first_alert[truth]):
                    first_alert[truth] = day
        flagged[person] = flagged.get(person, False) or correct
        rule_children[rule][person] = correct
    leads = [
        (exploited[truth][1] - day).days  # type: ignore[operator]
        for truth, day in first_alert.items()
        if exploited[truth][1] is not None
    ]
    return Quality(
        exploited=len(exploited),
        flagged_exploited=len(first_alert),
        flagged_children=len(flagged),
        flagged_correct=sum(flagged.values()),
        lead_days=sorted(leads),
        by_rule={rule: (len(children), sum(children.values())) for rule, children in rule_children.items()},
    )
