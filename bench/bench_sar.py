"""Benchmark: assembling the subject access request of a person with 5,000 events (their records in
four agencies, 200 other people named in their events and relationships, a support plan), proposing
redactions and producing the bundle (PDF with contents page and JSON). Target: 10 s for the whole.

    .venv/bin/python bench/bench_sar.py --events 5000

It uses a throwaway SQLite database in a temporary folder (or DATABASE_URL if set).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args(argv)
    os.environ.setdefault("SAFEGUARDING_DATA_DIR", tempfile.mkdtemp(prefix="bench-sar-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguarding.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    call_command("migrate", interactive=False, verbosity=0)
    from safeguarding.accounts.models import Agency, AgencyKind, Role, User
    from safeguarding.dataprotection import services
    from safeguarding.people import identity
    from safeguarding.people.models import Event, EventType, Handling, Relationship, SourceRecord, SourceSystem
    from safeguarding.support import services as support

    council = Agency.objects.create(code="council", name="Council", kind=AgencyKind.COUNCIL)
    project = Agency.objects.create(code="project", name="Youth project", kind=AgencyKind.VOLUNTARY)
    dpo = User.objects.create(username="dpo", role=Role.DATA_PROTECTION_OFFICER, agency=council)
    worker = User.objects.create(username="worker", role=Role.SUPPORT_WORKER, agency=project)
    kinds = [k for k in EventType.values if k != EventType.INTELLIGENCE]
    with transaction.atomic():
        person = identity.person_create(given_name="Chloe", family_name="Barker", date_of_birth="2008-03-14",
                                        role="child")
        systems, records = [], []
        for i, kind in enumerate((AgencyKind.POLICE, AgencyKind.HEALTH, AgencyKind.EDUCATION, AgencyKind.COUNCIL)):
            agency = Agency.objects.get_or_create(code=f"a{i}", defaults={"name": f"Agency {i}", "kind": kind})[0]
            system = SourceSystem.objects.create(code=f"system-{i}", name=f"System {i}", agency=agency)
            systems.append(system)
            records.append(SourceRecord.objects.create(source_system=system, record_id=f"R{i}", person=person,
                                                       given_name="Chloe", family_name="Barker", role="child",
                                                       date_of_birth="2008-03-14", phones="+447700900123"))
        others = []
        for j in range(200):
            other = identity.person_create(given_name=f"Other{j}", family_name="Person", role="adult")
            others.append(SourceRecord.objects.create(
                source_system=systems[j % 4], record_id=f"O{j}", person=other, given_name=f"Other{j}",
                family_name="Person", role="adult", address=f"{j} Oak Road"))
        for j, other in enumerate(others[:50]):
            Relationship.objects.create(source_system=other.source_system, from_record=other,
                                        to_record=records[j % 4], relationship="associate")
        start = timezone.now() - dt.timedelta(days=3 * 365)
        Event.objects.bulk_create([
            Event(source_system=systems[n % 4], event_id=f"E{n}", source_record=records[n % 4],
                  event_type=EventType.INTELLIGENCE if n % 50 == 0 else kinds[n % len(kinds)],
                  handling=Handling.CONDITIONS if n % 100 == 0 else (Handling.SHAREABLE if n % 50 == 0 else ""),
                  occurred_at=start + dt.timedelta(hours=5 * n),
                  other_record_ids=f"O{(n // 4) % 200}" if n % 10 == 0 and (n // 4) % 200 % 4 == n % 4 else "",
                  detail=f"Seen with Other{n % 200} Person near the takeaway" if n % 7 == 0 else "Reported by carer",
                  vehicle_registration="AB12CDE" if n % 13 == 0 else "")
            for n in range(args.events)
        ])
    plan = support.support_plan_open(acting_user=worker, person=person)
    for n in range(20):
        support.survivor_words_record(acting_user=worker, plan=plan, kind="feelings", words=f"Words {n}",
                                      said_on=timezone.localdate())
    sar = services.sar_log(acting_user=dpo, person=person, requester_name="Chloe Barker",
                           requester_relationship="herself", received_on=timezone.localdate())
    services.sar_verify_identity(acting_user=dpo, sar=sar, verified_on=timezone.localdate(), evidence="passport")

    t0 = time.perf_counter()
    services.sar_assemble(acting_user=dpo, sar=sar)
    t1 = time.perf_counter()
    accepted = services.sar_redactions_accept_all(acting_user=dpo, sar=sar)
    t2 = time.perf_counter()
    bundle = services.sar_bundle_produce(acting_user=dpo, sar=sar)
    t3 = time.perf_counter()
    print(f"events of the person      {args.events:>8,}")
    print(f"items assembled           {sar.items.count():>8,}")
    print(f"redactions proposed       {accepted:>8,}")
    print(f"pages                     {bundle.pages:>8,}")
    print(f"assemble and propose      {t1 - t0:>8.2f} s")
    print(f"accept every proposal     {t2 - t1:>8.2f} s")
    print(f"produce PDF and JSON      {t3 - t2:>8.2f} s")
    print(f"assemble + produce        {t1 - t0 + t3 - t2:>8.2f} s   (target 10 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
