"""Pages of the statutory clocks: one clock with its history, and recording a return home interview
or a casework step from the child's single view."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from safeguarding.accounts.access import Capability, current_user, has, persons_shown, require
from safeguarding.accounts.downloads import list_download
from safeguarding.clocks import selectors, services
from safeguarding.clocks.forms import InterviewForm, StepForm
from safeguarding.core import once
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error
from safeguarding.core.once import AlreadySent
from safeguarding.people.selectors import person_for_user_or_404


def clock_detail(request: HttpRequest, clock_id: int) -> HttpResponse:
    user = current_user(request)
    clock = selectors.clock_for_user_or_404(user, clock_id)
    return render(request, "clocks/clock.html", {
        "clock": clock, "history": selectors.clock_history(user=user, clock=clock),
        "escalations": list(clock.escalations.select_related("agency")),
        "can_open_child": has(user, Capability.VIEW_PERSON),
    })


@require_http_methods(["GET", "POST"])
def interview_record(request: HttpRequest, person_id: int) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RECORD_CASEWORK)
    person = person_for_user_or_404(user, person_id, purpose="recording a return home interview")
    episodes = selectors.missing_episodes_for(user=user, person=person)
    if not episodes:
        return render(request, "clocks/interview.html", {"form": None, "person": person})
    form = InterviewForm(request.POST or None, episodes=episodes)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.return_home_interview_record(
                acting_user=user, child=person, missing_episode=form.episodes[d["missing_episode"]],
                outcome=d["outcome"], held_at=form.held_at(), interviewer=d["interviewer"], child_said=d["child_said"],
                places_named=d["places_named"], people_named=d["people_named"], reason_not_held=d["reason_not_held"],
                form_token=once.token_of(form),
            )
        except AlreadySent as exc:  # a double click: the first send recorded it
            messages.info(request, str(exc))
            return redirect("people:detail", person.pk)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Return home interview recorded")
            return redirect("people:detail", person.pk)
    return render(request, "clocks/interview.html", {"form": form, "person": person})


@require_http_methods(["GET", "POST"])
def step_record(request: HttpRequest, person_id: int) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RECORD_CASEWORK)
    person = person_for_user_or_404(user, person_id, purpose="recording casework")
    form = StepForm(request.POST or None, steps=services.steps_recordable_by(user))
    if request.method == "POST" and form.is_valid():
        try:
            services.casework_step_record(
                acting_user=user, child=person, kind=form.cleaned_data["kind"], occurred_at=form.occurred_at(),
                positive=form.positive_value(), note=form.cleaned_data["note"], form_token=once.token_of(form),
            )
        except AlreadySent as exc:  # a double click: the first send recorded it
            messages.info(request, str(exc))
            return redirect("people:detail", person.pk)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Recorded: the child's statutory clocks are up to date")
            return redirect("people:detail", person.pk)
    return render(request, "clocks/step.html", {"form": form, "person": person})


def figures(request: HttpRequest) -> HttpResponse:
    rows = selectors.interview_timeliness(user=current_user(request))
    total = sum(r.clocks for r in rows)
    in_time = sum(r.met_in_time for r in rows)
    return render(request, "clocks/figures.html", {"rows": rows, "total": total, "in_time": in_time,
                                                   "share": in_time / total if total else 0.0})


def casework(request: HttpRequest, person_id: int) -> HttpResponse:
    """The casework recorded in the hub about the child: return home interviews (what the child said,
    the places and people named) and strategy discussions, conferences, assessments and NRM steps."""
    user = current_user(request)
    require(user, Capability.VIEW_PLANS)
    person = person_for_user_or_404(user, person_id, purpose="reading the casework recorded")
    steps, interviews = selectors.casework_for_person(user=user, person=person)
    return render(request, "clocks/casework.html", {"person": person, "steps": steps, "interviews": interviews})


def protection_plans(request: HttpRequest) -> HttpResponse:
    """The children subject to a child protection plan, with their NHS numbers, to flag in an agency's
    own systems (DOMAIN.md: health staff's "flags for children on plans"); downloadable, audited."""
    user = current_user(request)
    rows = selectors.protection_plans_listing(user=user, query=request.GET)
    if rows.wants_download:
        return list_download(user=user, listing=rows, columns=selectors.PROTECTED_COLUMNS,
                             page="child protection plans", filename="child-protection-plans",
                             person_of=lambda r: r.person.pk)
    persons_shown(user=user, page="child protection plans", person_ids=[r.person.pk for r in rows.items])
    return render(request, "clocks/protection_plans.html", {"rows": rows})
