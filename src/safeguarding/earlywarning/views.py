"""Pages of early warning: the alerts queue, one alert with its evidence, and what to do with it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from safeguarding.accounts.access import Capability, current_user, has, persons_shown, require, sees_panel
from safeguarding.accounts.downloads import list_download
from safeguarding.accounts.models import User
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error
from safeguarding.earlywarning import selectors, services
from safeguarding.earlywarning.forms import AcknowledgeForm, AlertToConcernForm, DismissAlertForm, ReferToPanelForm
from safeguarding.earlywarning.models import Alert
from safeguarding.workflows.selectors import sealed_person_ids
from safeguarding.workflows.services import alert_refer_to_panel, alert_to_concern


def queue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.WORK_ALERTS)
    alerts = selectors.alerts_listing(user=user, query=request.GET)
    if alerts.wants_download:
        return list_download(user=user, listing=alerts, columns=selectors.alert_columns(user=user),
                             page="alerts queue", filename="alerts", person_of=lambda a: a.person_id)
    persons_shown(user=user, page="alerts queue", person_ids=[a.person_id for a in alerts.items])
    precision = selectors.precision_of(alerts.items)
    rows = [(alert, precision.get(alert.pk)) for alert in alerts.items]
    return render(request, "earlywarning/queue.html", {"alerts": alerts, "rows": rows})


def missed(request: HttpRequest) -> HttpResponse:
    """The missed-opportunity report: counts for the partnership, each child for the panel's coordinator."""
    user = current_user(request)
    report = selectors.missed_opportunity_report(user=user)
    if report.identities:
        persons_shown(user=user, page="missed-opportunity report",
                      person_ids=[shown.child.person_id for shown in report.children])
    return render(request, "earlywarning/missed.html", {"r": report})


def _concern_text(alert: Alert) -> str:
    """A concern is read by every casework role whatever the agency of whoever raised it, so it is
    started from the alert's shared words, never from the text only the police may read, without the
    links to other children (network knowledge: the alert, which triage opens, has them), and names
    no one under a seal, whoever is raising it (another child in the same car: "a restricted record")."""
    shared = selectors.explanation_in_words(
        selectors.without_links(alert, selectors.shared_explanation(alert)), hidden=sealed_person_ids())
    return f"Early-warning alert {alert.reference} ({alert.rule.name}): {shared}"


@dataclass(frozen=True)
class HistoryEntry:
    when: dt.datetime
    what: str
    who: str = ""
    note: str = ""


def _history(alert: Alert) -> list[HistoryEntry]:
    """What has happened to the alert, oldest first, from the alert's own record."""
    entries = [HistoryEntry(alert.created_at, f"Raised by the rule (version {alert.rule_version})", "Early-warning scan")]
    if alert.evidence_updated_at > alert.created_at:
        entries.append(HistoryEntry(alert.evidence_updated_at, "More evidence added", "Early-warning scan"))
    if alert.actioned_at is not None:
        who = alert.actioned_by.display_name if alert.actioned_by is not None else ""
        entries.append(HistoryEntry(alert.actioned_at, alert.get_status_display(), who, alert.status_note))
    return sorted(entries, key=lambda e: e.when)


def _render_detail(
    request: HttpRequest, user: User, alert: Alert, *, failed: forms.Form | None = None, status: int = 200
) -> HttpResponse:
    can_act = alert.needs_action and has(user, Capability.WORK_ALERTS)
    action_forms: dict[str, forms.Form] = {}
    if can_act:
        action_forms = {
            "acknowledge": AcknowledgeForm(),
            "concern": AlertToConcernForm(initial={"description": _concern_text(alert)}),
            "refer": ReferToPanelForm(),
            "dismiss": DismissAlertForm(initial={"evidence_seen": alert.evidence_count}),
        }
        if failed is not None:
            action_forms[str(failed.prefix)] = failed
    context: dict[str, Any] = {
        "alert": alert,
        "raised": selectors.alert_raised_shown(user=user, alert=alert),
        "explanation_parts": selectors.alert_explanation_parts(user=user, alert=alert),
        "evidence": list(selectors.alert_evidence(user=user, alert=alert)),
        "hidden_evidence": selectors.hidden_evidence_count(user=user, alert=alert),
        "history": _history(alert),
        "precision": selectors.rule_precision(alert=alert),
        # Only for those who may open the panel's referrals (as the single view's row).
        "referral": alert.panel_referrals.first() if sees_panel(user) else None,
        "can_act": can_act,
        "can_open_child": has(user, Capability.VIEW_PERSON),
        "back": (reverse("earlywarning:queue"), "Back to alerts") if has(user, Capability.WORK_ALERTS)
        else (reverse("people:detail", args=[alert.person_id]), "Back to the single view")
        if has(user, Capability.VIEW_PERSON) else None,
        "form": failed,  # the error summary and the page title show this form's errors
        **{f"{name}_form": f for name, f in action_forms.items()},
    }
    return render(request, "earlywarning/alert_detail.html", context, status=status)


def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    user = current_user(request)
    alert = selectors.alert_for_user_or_404(user, alert_id)
    return _render_detail(request, user, alert)


def _alert_to_act_on(request: HttpRequest, alert_id: int) -> tuple[User, Alert]:
    """The alert, for someone who works the queue. Others who may read it cannot act on it, and
    the action's address answers not found to them, as the concern decision does."""
    user = current_user(request)
    alert = selectors.alert_for_user_or_404(user, alert_id)
    if not has(user, Capability.WORK_ALERTS):
        raise Http404
    return user, alert


@require_POST
def acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    user, alert = _alert_to_act_on(request, alert_id)
    form = AcknowledgeForm(request.POST)
    try:
        services.alert_acknowledge(alert=alert, acting_user=user)
    except ServiceError as exc:
        add_service_error(form, exc)
        return _render_detail(request, user, alert, failed=form)
    messages.success(request, f"Alert {alert.reference} acknowledged")
    return redirect("earlywarning:detail", alert_id=alert.pk)


@require_POST
def to_concern(request: HttpRequest, alert_id: int) -> HttpResponse:
    user, alert = _alert_to_act_on(request, alert_id)
    form = AlertToConcernForm(request.POST)
    if form.is_valid():
        try:
            concern = alert_to_concern(
                alert=alert, acting_user=user, description=form.cleaned_data["description"]
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, f"Concern {concern.reference} raised from alert {alert.reference}. It is in the triage queue."
            )
            return redirect("earlywarning:detail", alert_id=alert.pk)
    return _render_detail(request, user, alert, failed=form)


@require_POST
def refer(request: HttpRequest, alert_id: int) -> HttpResponse:
    user, alert = _alert_to_act_on(request, alert_id)
    form = ReferToPanelForm(request.POST)
    if form.is_valid():
        try:
            referral = alert_refer_to_panel(alert=alert, acting_user=user, reason=form.cleaned_data["reason"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            child = alert.person.full_name or alert.person.reference
            if referral.source_alert_id == alert.pk:
                messages.success(request, f"{child} referred to the panel ({referral.reference})")
            else:
                messages.success(
                    request,
                    f"{child} already has an open panel referral ({referral.reference}): alert {alert.reference} "
                    "was added to it",
                )
            return redirect("panel:list")
    return _render_detail(request, user, alert, failed=form)


@require_POST
def dismiss(request: HttpRequest, alert_id: int) -> HttpResponse:
    """The reason, then a confirmation page: only its "Yes, dismiss the alert" dismisses (issue 16)."""
    user, alert = _alert_to_act_on(request, alert_id)
    form = DismissAlertForm(request.POST)
    if form.is_valid() and alert.needs_action and request.POST.get("confirm") != "yes":
        return render(request, "earlywarning/dismiss_confirm.html",
                      {"alert": alert, "reason": form.cleaned_data["reason"],
                       "evidence_seen": form.cleaned_data["evidence_seen"]})
    if form.is_valid():
        try:
            services.alert_dismiss(alert=alert, acting_user=user, reason=form.cleaned_data["reason"],
                                   evidence_seen=form.cleaned_data["evidence_seen"])
        except services.EvidenceAddedMeanwhile as exc:
            # The reason kept, the page now showing the new evidence: dismissing from it goes ahead.
            form = DismissAlertForm({"dismiss-reason": form.cleaned_data["reason"],
                                     "dismiss-evidence_seen": exc.evidence_count})
            form.is_valid()
            add_service_error(form, exc)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Alert {alert.reference} dismissed")
            return redirect("earlywarning:queue")
    return _render_detail(request, user, alert, failed=form)
