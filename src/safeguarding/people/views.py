"""Finding a person, and the child's single view."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from safeguarding.accounts.access import Capability, current_user, has, person_for_user_or_404, require
from safeguarding.frontdoor.selectors import raise_token
from safeguarding.people.forms import PersonSearchForm
from safeguarding.people.models import PersonRole
from safeguarding.people.selectors import SearchCriteria, people_search, single_view


def search(request: HttpRequest) -> HttpResponse:
    require(request.user, Capability.SEARCH_PEOPLE)
    form = PersonSearchForm(request.GET or None)
    results = None
    if request.GET and form.is_valid():
        criteria = SearchCriteria(**{k: v for k, v in form.cleaned_data.items() if v})
        if criteria.is_empty:
            form.add_error(None, "Enter at least one detail to search for")
        else:
            results = people_search(user=current_user(request), criteria=criteria, request=request)
    return render(request, "people/search.html", {"form": form, "results": results})


def _purpose(request: HttpRequest) -> str:
    """Why the record was opened, for the audit trail: the page that linked here says so."""
    came_from = request.GET.get("from", "")
    if came_from.startswith("concern-") and came_from[8:].isdigit():
        return f"front-door triage of concern C{int(came_from[8:]):06d}"
    if came_from == "search":
        return "opened from a search"
    return "opened the single view"


def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    user = current_user(request)
    person = person_for_user_or_404(user, person_id, purpose=_purpose(request), request=request)
    if person.merged_into_id is not None:
        messages.info(request, f"{person.reference} was found to be the same person as this one, and joined to it.")
        return redirect("people:detail", person_id=person.merged_into_id)
    view = single_view(user=user, person=person)
    context = {"view": view, "person": person, "user_can_raise": False, "raise_url": ""}
    if has(user, Capability.RAISE_CONCERN) and person.role != PersonRole.ADULT:
        context["user_can_raise"] = True
        context["raise_url"] = (
            f"{reverse('frontdoor:raise')}?{urlencode({'child': raise_token(user=user, person=person)})}"
        )
    return render(request, "people/single_view.html", context)
