"""Finding a person, and the child's single view (composed by ``workflows.selectors.child_view``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from safeguarding.accounts.access import Capability, current_user, has, persons_shown, require
from safeguarding.core.forms import number_or_zero
from safeguarding.people.forms import CaseworkSearchForm
from safeguarding.people.selectors import SearchCriteria, people_listing, person_for_user_or_404
from safeguarding.workflows.selectors import child_view


def search(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.SEARCH_PEOPLE)
    form = CaseworkSearchForm(request.GET or None)
    results = None
    if request.GET and form.is_valid():
        criteria = SearchCriteria(**{k: v for k, v in form.cleaned_data.items() if v})
        if criteria.is_empty:
            form.add_error(None, "Enter at least one detail to search for")
        else:
            results = people_listing(user=user, criteria=criteria, query=request.GET)
    return render(request, "people/search.html", {"form": form, "results": results})


def _purpose(request: HttpRequest) -> str:
    """Why the record was opened, for the audit trail: the page that linked here says so."""
    came_from = request.GET.get("from", "")
    if came_from.startswith("concern-") and number_or_zero(came_from[8:]):
        return f"front-door triage of concern C{number_or_zero(came_from[8:]):06d}"
    if came_from == "search":
        return "opened from a search"
    return "opened the single view"


def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    user = current_user(request)
    person = person_for_user_or_404(user, person_id, purpose=_purpose(request))
    if person.root_id is not None and person.root_id != person.pk:
        messages.info(request, f"{person.reference} was found to be the same person as this one, and joined to it.")
        return redirect("people:detail", person_id=person.root_id)
    view = child_view(user=user, person=person, query=request.GET)
    # The page names the people around the person too (key adults, linked children, the other side of
    # agencies' relationships): one audit row says whom, beside the row for opening the person.
    around = {p.root_id for p in (view.glance.key_adults + view.glance.linked_children)} if view.glance else set()
    around |= {record.person.root_id for rel in view.relationships for record in (rel.from_record, rel.to_record)}
    around.discard(person.pk)
    if around:
        persons_shown(user=user, page=f"single view of {person.reference}", person_ids=around)
    came_from = request.GET.get("from", "")
    back = None
    if came_from.startswith("concern-") and number_or_zero(came_from[8:]):
        back = (reverse("frontdoor:detail", args=[number_or_zero(came_from[8:])]), "Back to the concern")
    elif has(user, Capability.SEARCH_PEOPLE):
        back = (reverse("people:search"), "Back to Find a person")
    return render(request, "people/single_view.html", {"view": view, "person": person, "back": back})
