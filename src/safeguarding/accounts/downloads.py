"""A list downloaded as CSV: every row the list's filters keep (the reader's own view: the selector
that built the list applied the access policy), in the columns the list offers, written
spreadsheet-safe (``core.csvfile``), with one audit row naming the list, its filters, how many rows
and every person in them."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone

from safeguarding.accounts.models import User
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.csvfile import spreadsheet_safe_writer
from safeguarding.core.lists import Column, Listing, csv_values


def list_download(
    *,
    user: User,
    listing: Listing[Any],
    columns: Sequence[Column[Any]],
    page: str,
    filename: str,
    person_of: Callable[[Any], int | None] | None = None,
) -> HttpResponse:
    rows = listing.rows
    iterator = rows.iterator(chunk_size=2000) if isinstance(rows, QuerySet) else iter(rows)
    buffer = io.StringIO(newline="")
    writer = spreadsheet_safe_writer(buffer)
    writer.writerow([column.heading for column in columns])
    persons: set[int] = set()
    count = 0
    for row in iterator:
        writer.writerow([csv_values(column.value(row)) for column in columns])
        count += 1
        if person_of is not None:
            person = person_of(row)
            if person is not None:
                persons.add(person)
    filters = {name: str(value) for name, value in (listing.filters.values() if listing.filters else {}).items()}
    with transaction.atomic():
        audit_record(
            event_type=AuditEventType.LIST_DOWNLOADED,
            actor=user,
            target_kind="list",
            target_id=page[:120],
            detail={"rows": count, "filters": filters, "persons": sorted(persons)},
            shown=persons,
        )
    stamp = timezone.localtime().strftime("%Y-%m-%d-%H%M")
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}-{stamp}.csv"'
    return response
