"""The background worker's schedules and what administrators see of it: jobs waiting, failed
(after their retries), and the last runs of each schedule."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django_q.models import Failure, OrmQ, Schedule, Success

from safeguarding.accounts.access import Capability, has
from safeguarding.accounts.models import User
from safeguarding.workflows.scheduled import SCHEDULES


def schedules_install() -> list[str]:
    """Keep one schedule row for each of the hub's schedules (by name), as the code says."""
    names = []
    for item in SCHEDULES:
        Schedule.objects.update_or_create(
            name=item.name,
            defaults={"func": item.func, "schedule_type": Schedule.MINUTES, "minutes": item.minutes, "repeats": -1},
        )
        names.append(item.name)
    Schedule.objects.filter(func__startswith="safeguarding.").exclude(name__in=names).delete()
    return names


@dataclass
class JobsPage:
    waiting: int
    failures: list[Failure]
    recent: list[Success]
    schedules: list[Schedule]
    abouts: dict[str, str]


def jobs_for_admin(*, user: User) -> JobsPage:
    if not (has(user, Capability.CONFIGURE_TOOLS) or has(user, Capability.MANAGE_ACCOUNTS)):
        raise PermissionDenied
    return JobsPage(
        waiting=OrmQ.objects.filter(lock__lte=timezone.now()).count() + OrmQ.objects.filter(lock__isnull=True).count(),
        failures=list(Failure.objects.order_by("-stopped")[:50]),
        recent=list(Success.objects.order_by("-stopped")[:20]),
        schedules=list(Schedule.objects.order_by("name")),
        abouts={s.name: s.about for s in SCHEDULES},
    )


def first_line(text: object) -> str:
    """A failure's reason in one line (the traceback may hold data: administrators see its last line)."""
    lines = [line for line in str(text or "").strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""
