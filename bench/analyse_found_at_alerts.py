"""Which *second child linked to the same place* alerts rested on missing-episode places alone, and
whether those children were flagged by another rule anyway.

    .venv/bin/python bench/bench_network_recovery.py --children 10000 --seed 7 --behaviour other-reasons \\
        --data-dir /tmp/bnet_db
    SAFEGUARDING_DATA_DIR=/tmp/bnet_db .venv/bin/python bench/analyse_found_at_alerts.py

Reads the hub and the generator's truth kept in that data directory (docs/benchmarks.md, "Children
found at the same place after going missing").
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.config.settings")
    import django

    django.setup()
    from safeguarding.contexts.evaluation import read_truth
    from safeguarding.earlywarning.models import Alert
    from safeguarding.people.models import SourceRecord

    truth = Path(os.environ["SAFEGUARDING_DATA_DIR"]) / "demo" / "truth"
    _, records = read_truth(truth)
    exploited = {row["true_person_id"] for row in csv.DictReader((truth / "exploited.csv").open(encoding="utf-8"))}
    truth_of: dict[int, str | None] = {}
    for system, record_id, root in SourceRecord.objects.values_list("source_system__code", "record_id",
                                                                    "person__root_id"):
        truth_of.setdefault(root, records.get((system, record_id)))
    alerts = Alert.objects.filter(rule__code="new-link-shared-entity").select_related("trigger_event")
    missing_only = []
    for alert in alerts:
        kinds = {alert.trigger_event.event_type,
                 *(e.event.event_type for e in alert.evidence.select_related("event"))}
        if kinds == {"missing_episode"}:
            missing_only.append(alert.person.root_id)
    flagged_by_scan = set(Alert.objects.exclude(rule__kind="new_link").values_list("person__root_id", flat=True))
    right = [p for p in missing_only if truth_of.get(p) in exploited]
    wrong = [p for p in missing_only if truth_of.get(p) not in exploited]
    print(f"second-child alerts {alerts.count():,}; on missing-episode places alone {len(missing_only):,}")
    print(f"  exploited {len(right):,}, of whom flagged by a scan rule too {sum(p in flagged_by_scan for p in right):,}")
    print(f"  not exploited {len(wrong):,}, of whom flagged by a scan rule too "
          f"{sum(p in flagged_by_scan for p in wrong):,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
