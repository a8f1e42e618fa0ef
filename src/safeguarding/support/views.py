"""Pages for survivor support: a support worker's plans, a plan and everything it holds, the forms
that add to it, the transition at 18 (and a care leaver's 25), and the lived-experience reading."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from safeguarding.accounts.access import Capability, current_user, persons_shown, require
from safeguarding.accounts.models import User
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error
from safeguarding.people.selectors import person_for_user_or_404
from safeguarding.support import forms as support_forms
from safeguarding.support import selectors, services
from safeguarding.support.models import SupportPlan


def plan_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    plans = selectors.support_plans_listing(user=user, query=request.GET)
    persons_shown(user=user, page="support plans", person_ids=[p.person_id for p in plans.items])
    return render(request, "support/list.html", {"plans": plans})


@require_http_methods(["GET", "POST"])
def plan_open(request: HttpRequest, person_id: int) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.KEEP_SUPPORT_PLANS)
    person = person_for_user_or_404(user, person_id, purpose="opening a support plan")
    form = support_forms.OpenPlanForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.support_plan_open(acting_user=user, person=person, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Support plan {plan.reference} opened")
            return redirect("support:detail", plan_id=plan.pk)
    return render(request, "support/open.html", {"form": form, "person": person})


@require_http_methods(["GET", "POST"])
def adult_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.KEEP_SUPPORT_PLANS)
    form = support_forms.AdultSurvivorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.adult_survivor_plan_open(acting_user=user, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            person = plan.person
            messages.success(request, f"{person.full_name} recorded, and support plan {plan.reference} opened")
            return redirect("support:detail", plan_id=plan.pk)
    return render(request, "support/adult_new.html", {"form": form})


def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = current_user(request)
    plan = selectors.support_plan_for_user_or_404(user, plan_id)
    detail = selectors.plan_detail(plan=plan)
    return render(request, "support/detail.html", {"d": detail, "plan": plan, "can_keep": plan.is_open})


# --- adding to a plan: one view, one form and one service per kind of entry ---------------------


@dataclass(frozen=True)
class Entry:
    title: str
    form: type[forms.Form]
    save: Callable[[User, SupportPlan, dict[str, Any]], object]
    done: str


ENTRIES: dict[str, Entry] = {
    "service": Entry(
        "Record a service offered", support_forms.ServiceForm,
        lambda u, p, d: services.support_service_record(acting_user=u, plan=p, **d), "Service recorded",
    ),
    "referral": Entry(
        "Record a referral to a provider", support_forms.ReferralForm,
        lambda u, p, d: services.provider_referral_record(acting_user=u, plan=p, **d), "Referral recorded",
    ),
    "contact": Entry(
        "Record a contact or visit", support_forms.ContactForm,
        lambda u, p, d: services.support_contact_record(acting_user=u, plan=p, **d), "Contact recorded",
    ),
    "goal": Entry(
        "Set a goal", support_forms.GoalForm,
        lambda u, p, d: services.support_goal_set(acting_user=u, plan=p, **d), "Goal set",
    ),
    "words": Entry(
        "Record the survivor's words", support_forms.WordsForm,
        lambda u, p, d: services.survivor_words_record(acting_user=u, plan=p, **d), "Their words are recorded",
    ),
    "sharing": Entry(
        "Record what they want shared", support_forms.SharingWishForm,
        lambda u, p, d: services.sharing_wish_record(acting_user=u, plan=p, **{**d, "share": d["share"] == "yes"}),
        "Their wish about sharing is recorded",
    ),
    "feedback": Entry(
        "Record feedback on the service", support_forms.FeedbackForm,
        lambda u, p, d: services.feedback_record(acting_user=u, plan=p, **d), "Feedback recorded",
    ),
    "lived-experience": Entry(
        "Write a lived-experience summary", support_forms.LivedExperienceForm,
        lambda u, p, d: services.lived_experience_record(acting_user=u, plan=p, **d), "Summary recorded",
    ),
    "transition": Entry(
        "Record the transition", support_forms.TransitionForm,
        lambda u, p, d: services.support_plan_transition(acting_user=u, plan=p, **d), "Transition recorded",
    ),
    "close": Entry(
        "Close the support plan", support_forms.CloseForm,
        lambda u, p, d: services.support_plan_close(acting_user=u, plan=p, **d), "Support plan closed",
    ),
    "contact-wish": Entry(
        "Their wish about being contacted", support_forms.ContactWishForm,
        lambda u, p, d: services.contact_wish_record(
            acting_user=u, person=p.person, no_contact=d["no_contact"] == "no", their_words=d["their_words"]
        ),
        "Their wish about being contacted is recorded",
    ),
}


@require_http_methods(["GET", "POST"])
def plan_add(request: HttpRequest, plan_id: int, kind: str) -> HttpResponse:
    entry = ENTRIES.get(kind)
    if entry is None:
        raise Http404
    user = current_user(request)
    plan = selectors.support_plan_for_user_or_404(user, plan_id)
    form = entry.form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            entry.save(user, plan, form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, entry.done)
            return redirect("support:detail", plan_id=plan.pk)
    upcoming = selectors.transition_next(plan, on=timezone.localdate()) if kind == "transition" else None
    return render(
        request, "support/add.html", {"form": form, "plan": plan, "entry": entry, "kind": kind, "upcoming": upcoming}
    )


def _on_a_plans_record(
    request: HttpRequest, plan_id: int, find: Callable[[SupportPlan], Any], form_class: type[forms.Form],
    save: Callable[[User, Any, dict[str, Any]], object], done: str, title: Callable[[Any], str],
    **context: Any,
) -> HttpResponse:
    """A form about one record a plan holds (a goal, a referral, a summary): the plan opened through the
    access policy, the record found through the plan (not found otherwise), saved by its service."""
    user = current_user(request)
    plan = selectors.support_plan_for_user_or_404(user, plan_id)
    record = find(plan)
    if record is None:
        raise Http404
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            save(user, record, form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("support:detail", plan_id=plan.pk)
    entry = Entry(title(record), form_class, lambda u, p, d: None, "")
    return render(request, "support/add.html", {"form": form, "plan": plan, "entry": entry,
                                                **{k: (v(record) if callable(v) else v) for k, v in context.items()}})


@require_http_methods(["GET", "POST"])
def goal_progress(request: HttpRequest, plan_id: int, goal_id: int) -> HttpResponse:
    return _on_a_plans_record(
        request, plan_id, lambda plan: plan.goals.filter(pk=goal_id).first(), support_forms.GoalProgressForm,
        lambda u, goal, d: services.goal_progress_record(acting_user=u, goal=goal, **d), "Progress recorded",
        lambda _goal: "Record progress on a goal", goal=lambda goal: goal,
    )


@require_http_methods(["GET", "POST"])
def referral_outcome(request: HttpRequest, plan_id: int, referral_id: int) -> HttpResponse:
    return _on_a_plans_record(
        request, plan_id, lambda plan: plan.referrals.filter(pk=referral_id).first(), support_forms.ReferralOutcomeForm,
        lambda u, referral, d: services.provider_referral_outcome(acting_user=u, referral=referral, **d),
        "Outcome recorded", lambda referral: f"What came of the referral to {referral.provider}",
    )


@require_http_methods(["GET", "POST"])
def lived_experience_withdraw(request: HttpRequest, plan_id: int, entry_id: int) -> HttpResponse:
    return _on_a_plans_record(
        request, plan_id, lambda plan: plan.lived_experience.filter(pk=entry_id, consent_given=True).first(),
        support_forms.WithdrawConsentForm,
        lambda u, entry, d: services.lived_experience_withdraw(acting_user=u, entry=entry, **d),
        "Consent withdrawn: the summary is no longer shared",
        lambda entry: f"Withdraw consent to share the summary written on {entry.written_on:%-d %B %Y}",
    )


def lived_experience(request: HttpRequest) -> HttpResponse:
    reading = selectors.lived_experience_reading(user=current_user(request))
    return render(request, "support/lived_experience.html", {"reading": reading})
