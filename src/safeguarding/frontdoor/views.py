"""Pages of the front door: raise a concern, the triage queue, decisions, the referrer's list."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from safeguarding.accounts.access import Capability, current_user, has, persons_shown, require
from safeguarding.accounts.downloads import list_download
from safeguarding.core import normalise
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error
from safeguarding.frontdoor import selectors, services
from safeguarding.frontdoor.forms import ConcernForm, DecisionForm, NewChildForm
from safeguarding.people.forms import PersonSearchForm
from safeguarding.people.selectors import SearchCriteria, SearchRefused, people_search
from safeguarding.workflows.services import concern_raise_for_new_child, triage_decide_and_refer


def raise_find(request: HttpRequest) -> HttpResponse:
    """Step 1 of raising a concern: find the child, or say they are not in the hub."""
    user = current_user(request)
    require(user, Capability.RAISE_CONCERN)
    form = PersonSearchForm(request.GET or None)
    results = None
    if request.GET and form.is_valid():
        criteria = SearchCriteria(**{k: v for k, v in form.cleaned_data.items() if v})
        if criteria.is_empty:
            form.add_error(None, "Enter the child's details to search for them")
        elif not has(user, Capability.SEARCH_PEOPLE) and not criteria.specific_enough_for_referrer():
            form.add_error(
                None, "Enter the child's NHS number or pupil number, or their full last name and full date of birth"
            )
        else:
            try:
                found = people_search(user=user, criteria=criteria)
            except SearchRefused as refused:
                form.add_error(None, str(refused))
            else:
                results = [(p, selectors.raise_token(user=user, person=p)) for p in found]
    return render(request, "frontdoor/raise_find.html", {"form": form, "results": results})


@require_http_methods(["GET", "POST"])
def raise_concern(request: HttpRequest) -> HttpResponse:
    """Step 2: the concern about a child found in step 1 (or from the single view)."""
    user = current_user(request)
    require(user, Capability.RAISE_CONCERN)
    token = request.GET.get("child", "")
    child = selectors.child_for_raise_or_none(user=user, token=token)
    if child is None:
        raise Http404
    if request.method == "GET":
        persons_shown(user=user, page="raise a concern", person_ids=[child.pk])
    raised_after = selectors.raise_token_used_after(user=user, token=token)
    form = ConcernForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            concern = services.concern_raise(
                raised_by=user,
                child=child,
                seen_on=data["seen_on"],
                description=data["description"],
                location=data["location"],
                indicators=data["indicators"],
                immediate_danger=data["immediate_danger"],
                raised_after=raised_after,
                context=form.context(),
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            return redirect("frontdoor:raised", concern_id=concern.pk)
    return render(request, "frontdoor/raise_concern.html", {"form": form, "child": child})


def _carried_from_search(request: HttpRequest) -> dict[str, object]:
    """What was typed into the search that did not find the child, to start the new child's details
    with (the search page's link carries its query); only what the search form accepts, and not a
    part of an address or postcode, which a search takes and a new record does not."""
    if request.method != "GET" or not request.GET:
        return {}
    search = PersonSearchForm(request.GET)
    search.is_valid()
    cleaned = getattr(search, "cleaned_data", {})
    carried = {name: cleaned[name] for name in ("given_name", "family_name", "date_of_birth", "nhs_number", "upn")
               if cleaned.get(name)}
    if normalise.postcode(str(cleaned.get("postcode") or "")):
        carried["postcode"] = cleaned["postcode"]
    return carried


@require_http_methods(["GET", "POST"])
def raise_new_child(request: HttpRequest) -> HttpResponse:
    """Step 2, for a child the hub does not hold: their details and the concern on one page."""
    user = current_user(request)
    require(user, Capability.RAISE_CONCERN)
    child_form = NewChildForm(request.POST or None, prefix="child", initial=_carried_from_search(request))
    form = ConcernForm(request.POST or None)
    if request.method == "POST" and child_form.is_valid() and form.is_valid():
        c, data = child_form.cleaned_data, form.cleaned_data
        try:
            concern = concern_raise_for_new_child(
                raised_by=user,
                given_name=c["given_name"],
                family_name=c["family_name"],
                date_of_birth=c["date_of_birth"],
                sex=c["sex"],
                nhs_number=c["nhs_number"],
                upn=c["upn"],
                address=c["address"],
                postcode=c["postcode"],
                seen_on=data["seen_on"],
                description=data["description"],
                location=data["location"],
                indicators=data["indicators"],
                immediate_danger=data["immediate_danger"],
                context=form.context(),
            )
        except ServiceError as exc:
            add_service_error(form if exc.field in form.fields else child_form, exc)
        else:
            return redirect("frontdoor:raised", concern_id=concern.pk)
    return render(
        request, "frontdoor/raise_new_child.html", {"form": form, "child_form": child_form, "both_forms": [child_form, form]}
    )


def raised(request: HttpRequest, concern_id: int) -> HttpResponse:
    """Confirmation, with the reference and what happens next."""
    user = current_user(request)
    concern = selectors.concern_for_user_or_404(user, concern_id)
    if concern.raised_by_id != user.pk:
        raise Http404
    return render(request, "frontdoor/raised.html", {"concern": concern})


def mine(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RAISE_CONCERN)
    concerns = selectors.my_concerns_listing(user=user, query=request.GET)
    persons_shown(user=user, page="my concerns", person_ids=[c.child_id for c in concerns.items])
    return render(request, "frontdoor/mine.html", {"concerns": concerns})


def queue(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    waiting = selectors.triage_listing(user=user, query=request.GET)
    if waiting.wants_download:
        return list_download(user=user, listing=waiting, columns=selectors.TRIAGE_COLUMNS, page="triage queue",
                             filename="triage-queue", person_of=lambda c: c.child_id)
    decided = selectors.decided_listing(user=user, query=request.GET)
    persons_shown(user=user, page="triage queue", person_ids=[c.child_id for c in [*waiting.items, *decided.items]])
    return render(request, "frontdoor/queue.html", {"waiting": waiting, "decided": decided})


@require_http_methods(["GET", "POST"])
def concern_detail(request: HttpRequest, concern_id: int) -> HttpResponse:
    user = current_user(request)
    concern = selectors.concern_for_user_or_404(user, concern_id)
    can_decide = has(user, Capability.TRIAGE) and not hasattr(concern, "decision")
    form = DecisionForm(request.POST or None) if can_decide else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                triage_decide_and_refer(
                    acting_user=user,
                    concern=concern,
                    outcome=form.cleaned_data["outcome"],
                    reason=form.cleaned_data["reason"],
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"Decision recorded on concern {concern.reference}")
                return redirect("frontdoor:queue")
    child_url = None
    if has(user, Capability.VIEW_PERSON):
        child_url = f"{reverse('people:detail', args=[concern.child_id])}?from=concern-{concern.pk}"
    back = None
    if has(user, Capability.TRIAGE):
        back = (reverse("frontdoor:queue"), "Back to the triage queue")
    elif concern.raised_by_id == user.pk:
        back = (reverse("frontdoor:mine"), "Back to my concerns")
    return render(
        request,
        "frontdoor/concern_detail.html",
        {"concern": concern, "form": form, "child_url": child_url, "decision": getattr(concern, "decision", None),
         "back": back},
    )


def figures(request: HttpRequest) -> HttpResponse:
    data = selectors.front_door_figures(user=current_user(request))
    return render(request, "frontdoor/figures.html", {"figures": data})
