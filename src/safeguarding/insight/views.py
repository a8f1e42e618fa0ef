"""The board report: a page for the quarter chosen, and the same as a PDF for the board's papers."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from safeguarding.accounts.access import Capability, current_user, require
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.insight import pdf
from safeguarding.insight.selectors import Quarter, board_report, quarters_offered


def _quarter(request: HttpRequest) -> tuple[Quarter, list[Quarter]]:
    """The quarter asked for (any up to the one under way: an older one by its address), else the last
    complete one; and the quarters the page offers, the one shown among them."""
    offered = quarters_offered()
    chosen = Quarter.from_code(request.GET.get("quarter", ""))
    if chosen is None or chosen.first_day > offered[-1].first_day:
        return offered[0], offered
    return chosen, offered if chosen in offered else [chosen, *offered]


def board(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.VIEW_AGGREGATES)
    quarter, offered = _quarter(request)
    report = board_report(user=user, quarter=quarter)
    return render(request, "insight/board.html", {"report": report, "offered": offered,
                                                  "partnership": settings.PARTNERSHIP_NAME})


def board_pdf(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.VIEW_AGGREGATES)
    quarter, _ = _quarter(request)
    report = board_report(user=user, quarter=quarter)
    body = pdf.to_pdf(report, partnership=settings.PARTNERSHIP_NAME)
    with transaction.atomic():
        audit_record(event_type=AuditEventType.DATA_EXPORTED, actor=user, target_kind="board_report",
                     target_id=quarter.code, detail={"quarter": quarter.name, "format": "pdf"})
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="board-report-{quarter.code}.pdf"'
    return response
