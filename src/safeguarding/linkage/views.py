"""Match review pages: the queue, one pair side by side with the model's reasons, and undo."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from safeguarding.accounts.access import current_user, persons_shown
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error
from safeguarding.linkage import decisions, selectors
from safeguarding.linkage.models import MatchVerdict, ReviewStatus


class MatchDecisionForm(forms.Form):
    verdict = forms.ChoiceField(
        label="Are these the same person?",
        choices=MatchVerdict.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose same person, different people or unsure"},
    )
    reason = forms.CharField(
        label="Why?",
        required=False,
        widget=forms.Textarea,
        max_length=4000,
        help_text="Required for different people. Say what you checked, for example with the school or GP.",
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("verdict") == MatchVerdict.DIFFERENT and not str(data.get("reason") or "").strip():
            self.add_error("reason", "Say why these are different people")
        return data


def queue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    reviews = selectors.reviews_listing(user=user, query=request.GET)
    summary = selectors.review_queue_summary(user=user)
    recent = selectors.decisions_listing(user=user, query=request.GET)
    persons_shown(
        user=user,
        page="match review queue",
        person_ids=[pk for pair in reviews.items for pk in (pair.record_l.person_id, pair.record_r.person_id)]
        + [pk for d in recent.items for pk in (d.record_l.person_id, d.record_r.person_id)],
    )
    return render(request, "linkage/queue.html", {"reviews": reviews, "summary": summary, "decisions": recent})


@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, review_id: int) -> HttpResponse:
    user = current_user(request)
    pair = selectors.review_for_user_or_404(user=user, review_id=review_id)
    form = MatchDecisionForm(request.POST or None) if pair.status == ReviewStatus.PENDING else None
    if request.method == "POST":
        if form is None:  # decided meanwhile, by someone else or in another tab: say so, not "not found"
            messages.error(request, "This pair has already been decided, so your decision was not recorded")
            return redirect("linkage:review", review_id=pair.pk)
        if form.is_valid():
            try:
                decisions.match_decide(
                    acting_user=user,
                    review=pair,
                    verdict=form.cleaned_data["verdict"],
                    reason=form.cleaned_data["reason"],
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "Decision recorded. Every later linkage run keeps to it.")
                return redirect("linkage:queue")
    context = {
        "pair": pair,
        "form": form,
        "fields": selectors.side_by_side(pair.record_l, pair.record_r),
        "reasons": selectors.reasons_in_words(pair),
        "overall": selectors.evidence_in_words(sum(c["match_weight"] for c in pair.explanation)),
    }
    return render(request, "linkage/review.html", context)


@require_POST
def undo(request: HttpRequest, decision_id: int) -> HttpResponse:
    user = current_user(request)
    decision = selectors.decision_for_user_or_404(user=user, decision_id=decision_id)
    try:
        decisions.match_decision_undo(acting_user=user, decision=decision)
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Decision undone. The pair is back in the review queue.")
    return redirect("linkage:queue")
