"""Benchmark: the panel's agenda and the work lists at 10,000 open actions, rendered as a user
gets them (Django's test client: middleware, the access gateway, the audit row, the template).

    DATABASE_URL=postgres://... .venv/bin/python bench/bench_mace_pages.py --actions 10000
    .venv/bin/python bench/bench_mace_pages.py            # SQLite in a temp folder

Builds --children children with open plans (through the hub's services), spreads --actions open
actions over them (owned by one police officer, so their own work list holds every one), puts
--agenda children on a meeting's agenda, then times each page --repeat times after a warm-up and
reports the median and the slowest (the query counts are held constant by tests/mace/test_views.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scan_speed import _setup


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actions", type=int, default=10_000)
    parser.add_argument("--children", type=int, default=2_500)
    parser.add_argument("--agenda", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    _setup(Path(tempfile.mkdtemp(prefix="mace-bench-")))

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from safeguarding.accounts.models import Agency, AgencyKind, Role, User
    from safeguarding.mace.models import Plan, PlanAction
    from safeguarding.mace.services import agenda_build, meetings_schedule, plan_open
    from safeguarding.panel.services import panel_refer
    from safeguarding.people import identity

    call_command("migrate", verbosity=0)
    tick = time.perf_counter()
    police = Agency.objects.create(code="police", name="Eastshire Police", kind=AgencyKind.POLICE)
    council = Agency.objects.create(code="council", name="Eastwood Council", kind=AgencyKind.COUNCIL)

    def user(name: str, role: str, agency: Agency) -> User:
        return User.objects.create_user(
            username=name, password=None, role=role, agency=agency,
            first_name=name.title(), last_name="Bench",
        )

    coordinator = user("coordinator", Role.MACE_COORDINATOR, council)
    officer = user("officer", Role.INTELLIGENCE_OFFICER, police)
    manager = user("manager", Role.AGENCY_MANAGER, police)
    plans = []
    with transaction.atomic():
        for n in range(args.children):
            child = identity.person_create(given_name="Child", family_name=f"Bench{n}", role="child")
            plans.append(plan_open(acting_user=coordinator, child=child))
    today = timezone.localdate()
    now = timezone.now()
    PlanAction.objects.bulk_create([
        PlanAction(plan=plans[n % len(plans)], description=f"Action {n} of the bench", owner=officer,
                   owner_agency=police, due_on=today + dt.timedelta(days=(n % 60) - 20), created_by=coordinator,
                   created_at=now)
        for n in range(args.actions)
    ], batch_size=2000)
    with transaction.atomic():
        for plan in plans[: args.agenda // 2]:  # half of the agenda: reviews due
            Plan.objects.filter(pk=plan.pk).update(review_due_on=today)
        for n in range(args.agenda - args.agenda // 2):
            child = identity.person_create(given_name="Referred", family_name=f"Bench{n}", role="child")
            panel_refer(child=child, referred_by=coordinator, reason="bench")
    police_chair = user("chair", Role.INTELLIGENCE_OFFICER, police)
    [meeting] = meetings_schedule(acting_user=coordinator, first_at=now + dt.timedelta(days=1), place="Bench",
                                  police_chair=police_chair, council_chair=coordinator)
    agenda_build(acting_user=coordinator, meeting=meeting)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"built {PlanAction.objects.count():,} open actions, {len(plans):,} plans, "
          f"{meeting.items.count()} agenda items in {time.perf_counter() - tick:.0f} s", file=sys.stderr)

    def timed(label: str, who: User, url: str) -> None:
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(who)
        for _ in range(3):
            first = client.get(url)
            assert first.status_code == 200, (url, first.status_code)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        print(f"{label:<44} median {statistics.median(times):6.1f} ms, slowest {max(times):6.1f} ms")

    print(f"database            {connection.vendor}")
    timed(f"agenda ({meeting.items.count()} items)", coordinator, reverse("mace:meeting", args=[meeting.pk]))
    timed(f"my work ({args.actions:,} open actions owned)", officer, reverse("mace:my-work"))
    timed(f"our agency's work ({args.actions:,} open actions)", manager, reverse("mace:agency-work"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
