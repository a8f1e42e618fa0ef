"""Pages of the exploitation panel (MACE): the referrals, and one referral with its close form."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from safeguarding.accounts.access import Capability, current_user, has, persons_shown, sees_panel
from safeguarding.accounts.downloads import list_download
from safeguarding.core.confirm import Confirmation, confirm_first
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error
from safeguarding.panel import selectors, services
from safeguarding.panel.forms import CloseReferralForm
from safeguarding.screening.selectors import screening_summary


def referral_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    referrals = selectors.referrals_listing(user=user, query=request.GET)
    if referrals.wants_download:
        return list_download(user=user, listing=referrals, columns=selectors.REFERRAL_COLUMNS, page="panel referrals",
                             filename="panel-referrals", person_of=lambda r: r.child_id)
    persons_shown(user=user, page="panel referrals", person_ids=[r.child_id for r in referrals.items])
    return render(
        request, "panel/list.html", {"referrals": referrals, "can_open_child": has(user, Capability.VIEW_PERSON)}
    )


@require_http_methods(["GET", "POST"])
def referral_detail(request: HttpRequest, referral_id: int) -> HttpResponse:
    user = current_user(request)
    referral = selectors.panel_referral_for_user_or_404(user, referral_id)
    can_close = referral.is_open and has(user, Capability.RUN_PANEL)
    form = CloseReferralForm(request.POST or None) if can_close else None
    if request.method == "POST":
        if form is None:
            raise Http404
        asked = None
        if form.is_valid():
            asked = confirm_first(request, Confirmation(
                question="Are you sure you want to close this referral?",
                caption=f"Panel referral {referral.reference}, {referral.child.full_name or referral.child.reference}",
                confirm_label="Yes, close the referral",
                cancel_url=reverse("panel:detail", args=[referral.pk]),
                cancel_label="No, go back to the referral",
                answers=[("Why the referral is being closed", form.cleaned_data["reason"])],
                happens=["the panel's work with the child ends and the referral leaves the open referrals",
                         "early-warning rules can alert on the child again",
                         "your name and reason are kept with the referral and in the audit trail"],
                warning="You cannot reopen a closed referral. If the panel needs to consider the child again, "
                        "they must be referred again.",
            ))
        if asked is not None:
            return asked
        if form.is_valid():
            try:
                services.panel_referral_close(
                    referral=referral, acting_user=user, reason=form.cleaned_data["reason"]
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"Referral {referral.reference} closed")
                return redirect("panel:list")
    alerts, concerns = selectors.referral_sources(user=user, referral=referral)
    return render(
        request,
        "panel/referral_detail.html",
        {
            "referral": referral,
            "form": form,
            "alerts": alerts,
            "concerns": concerns,
            "can_open_child": has(user, Capability.VIEW_PERSON),
            # The child's risk level in force, as their single view shows it (issue 16).
            "screening": screening_summary(user=user, person=referral.child),
            "back": (reverse("panel:list"), "Back to panel referrals") if sees_panel(user) else None,
        },
    )
