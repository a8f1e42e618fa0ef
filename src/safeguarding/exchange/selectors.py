"""Reading what the exchange holds: the record of imports."""

from __future__ import annotations

from django.db.models import QuerySet

from safeguarding.exchange.models import ImportRun


def import_runs_recent(*, limit: int = 20) -> QuerySet[ImportRun]:
    """The latest imports, newest first (call ``runs.import_runs_mark_interrupted`` before, so
    that a run whose process is gone does not show as running)."""
    return ImportRun.objects.order_by("-started_at", "-pk")[:limit]
