"""Pages of the justice room: investigations and operations, disruption and outcomes, and the
counts for the partnership's reports."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from safeguarding.accounts.access import Capability, current_user, has, require
from safeguarding.accounts.models import User
from safeguarding.contexts.selectors import person_by_reference
from safeguarding.core import once
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error, refused
from safeguarding.core.once import AlreadySent
from safeguarding.justice import forms, selectors, services
from safeguarding.people.models import Person


def _person(user: User, reference: str, field: str) -> Person:
    person = person_by_reference(user=user, reference=reference)
    if person is None:
        raise ServiceError("We could not find that person: check the hub reference", field=field)
    return person


def operations(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RECORD_DISRUPTION)
    disruptions = list(selectors.disruptions_list(user=user)[:100])
    selectors.disruptions_shown(user=user, disruptions=disruptions)
    return render(request, "justice/operations.html", {
        "operations": list(selectors.operations_list(user=user)),
        "disruptions": disruptions,
        "figures": selectors.outcome_figures(user=user),
    })


def figures(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not (has(user, Capability.RECORD_DISRUPTION) or has(user, Capability.VIEW_AGGREGATES)):
        raise PermissionDenied  # counts, naming no one: the page says the role may not use it
    return render(request, "justice/figures.html", {"figures": selectors.outcome_figures(user=user)})


@require_http_methods(["GET", "POST"])
def operation_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RECORD_DISRUPTION)
    form = forms.OperationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            operation = services.operation_open(acting_user=user, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{operation.get_kind_display()} {operation.name} opened")
            return redirect("justice:operation", operation_id=operation.pk)
    return render(request, "justice/operation_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
def operation_detail(request: HttpRequest, operation_id: int) -> HttpResponse:
    user = current_user(request)
    operation = selectors.operation_for_user_or_404(user, operation_id)
    subject_form = forms.SubjectForm(request.POST if "subject" in request.POST else None)
    outcome_form = forms.OutcomeForm(request.POST if "outcome" in request.POST else None)
    if request.method == "POST":
        try:
            if "subject" in request.POST and subject_form.is_valid():
                data = subject_form.cleaned_data
                services.operation_add_subject(acting_user=user, operation=operation,
                                               person=_person(user, data["person_ref"], "person_ref"), role=data["role"])
                messages.success(request, "Added")
                return redirect("justice:operation", operation_id=operation.pk)
            if "outcome" in request.POST and outcome_form.is_valid():
                data = outcome_form.cleaned_data
                services.justice_outcome_record(
                    acting_user=user, person=_person(user, data["person_ref"], "person_ref"), kind=data["kind"],
                    on=data["on"], offence=data["offence"], detail=data["detail"], operation=operation,
                    form_token=once.token_of(outcome_form),
                )
                messages.success(request, "Outcome recorded")
                return redirect("justice:operation", operation_id=operation.pk)
        except AlreadySent as exc:  # a double click: the first send recorded it
            messages.info(request, str(exc))
            return redirect("justice:operation", operation_id=operation.pk)
        except ServiceError as exc:
            add_service_error(subject_form if "subject" in request.POST else outcome_form, exc)
    page = selectors.operation_page(user=user, operation=operation)
    return render(request, "justice/operation_detail.html", {
        "page": page, "operation": operation, "subject_form": subject_form, "outcome_form": outcome_form,
        # The form sent and refused: the error summary says why (a refusal of the whole form, such as a
        # person already in it in that part, shows nowhere else).
        "form": refused(subject_form, outcome_form),
    })


@require_http_methods(["GET", "POST"])
def disruption_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RECORD_DISRUPTION)
    initial = {"child_ref": request.GET.get("child", ""), "adult_ref": request.GET.get("adult", "")}
    form = forms.DisruptionForm(request.POST or None, initial=initial, operations=selectors.operations_list(user=user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            disruption = services.disruption_record(
                acting_user=user, kind=data["kind"], adult=_person(user, data["adult_ref"], "adult_ref"),
                child=_person(user, data["child_ref"], "child_ref") if data["child_ref"] else None,
                served_on=data["served_on"], expires_on=data["expires_on"], detail=data["detail"],
                operation=data["operation"], form_token=once.token_of(form),
            )
        except AlreadySent as exc:  # a double click: the first send recorded it, and the list shows it
            messages.info(request, str(exc))
            return redirect("justice:operations")
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{disruption.get_kind_display()} recorded")
            return redirect("justice:disruption", disruption_id=disruption.pk)
    return render(request, "justice/disruption_new.html", {"form": form})


@require_http_methods(["GET", "POST"])
def disruption_detail(request: HttpRequest, disruption_id: int) -> HttpResponse:
    user = current_user(request)
    disruption = selectors.disruption_for_user_or_404(user, disruption_id)
    form = forms.DisruptionOutcomeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            data = dict(form.cleaned_data)
            data.pop("once")
            services.disruption_outcome_record(acting_user=user, disruption=disruption, form_token=once.token_of(form),
                                               **data)
        except AlreadySent as exc:  # a double click: the first send recorded it
            messages.info(request, str(exc))
            return redirect("justice:disruption", disruption_id=disruption.pk)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Outcome recorded")
            return redirect("justice:disruption", disruption_id=disruption.pk)
    return render(request, "justice/disruption_detail.html", {
        "disruption": disruption, "outcomes": list(disruption.outcomes.all()), "form": form,
    })
