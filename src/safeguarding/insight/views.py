"""The board report: a page for the quarter chosen, and the same as a PDF for the board's papers."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from safeguarding.accounts.access import Capability, current_user, has, require
from safeguarding.audit.models import AuditEventType
from safeguarding.audit.services import audit_record
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error
from safeguarding.insight import pdf
from safeguarding.insight.forms import WITHDRAW, StrategyTargetForm
from safeguarding.insight.selectors import (
    Quarter,
    board_report,
    quarters_offered,
    quarters_to_target,
    strategy_targets,
)
from safeguarding.insight.services import strategy_target_set


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


@require_http_methods(["GET", "POST"])
def targets(request: HttpRequest) -> HttpResponse:
    """The board's strategy targets: read by all who read its report, recorded by the partnership
    manager as the board decides them."""
    user = current_user(request)
    require(user, Capability.VIEW_AGGREGATES)
    can_set = has(user, Capability.SET_STRATEGY_TARGETS)
    quarters = quarters_to_target()
    form = StrategyTargetForm(request.POST if request.method == "POST" else None, quarters=quarters) if can_set else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            comparison = "" if data["comparison"] == WITHDRAW else data["comparison"]
            try:
                strategy_target_set(acting_user=user, measure=data["measure"], comparison=comparison,
                                    value=data["value"], from_quarter=data["from_quarter"], reason=data["reason"])
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "The board's target is recorded" if comparison
                                 else "The board's target is withdrawn")
                return redirect("insight:targets")
    return render(request, "insight/targets.html", {"targets": strategy_targets(user=user), "form": form,
                                                    "partnership": settings.PARTNERSHIP_NAME})
