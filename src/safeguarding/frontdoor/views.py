"""Pages of the front door: raise a concern, the triage queue, decisions, the referrer's list."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from safeguarding.accounts.access import Capability, current_user, has, persons_shown, require
from safeguarding.accounts.downloads import list_download
from safeguarding.core import normalise
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error, answers
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


# --- check your answers before a concern is sent (issue 16) ----------------------------------------
# What was typed waits in the session, not in hidden fields the user could change to name another
# child (the child is named by the raise token in the address), until "Send concern".

_PENDING = "frontdoor.pending"  # journey -> {"answers": what was typed, "after": latest concern id}
_SENT = "frontdoor.sent"  # journey -> the concern it sent, so a second "Send" shows the first
_NEW_CHILD = "new-child"
_KEPT = 5  # journeys kept at once (tabs), the oldest let go first


def _journey(token: str) -> str:
    return f"child:{token}"


def _typed(request: HttpRequest) -> dict[str, list[str]]:
    return {name: request.POST.getlist(name) for name in request.POST if name != "csrfmiddlewaretoken"}


def _keep(request: HttpRequest, key: str, name: str, value: object) -> None:
    kept = {k: v for k, v in request.session.get(name, {}).items() if k != key}
    kept[key] = value
    request.session[name] = dict(list(kept.items())[-_KEPT:])


def _pending(request: HttpRequest, key: str) -> tuple[QueryDict, int | None] | None:
    stored = request.session.get(_PENDING, {}).get(key)
    if not isinstance(stored, dict):
        return None
    answers = QueryDict(mutable=True)
    for name, values in stored.get("answers", {}).items():
        answers.setlist(name, [str(v) for v in values])
    return answers, stored.get("after")


def _sent(request: HttpRequest, key: str, concern_id: int) -> HttpResponse:
    request.session[_PENDING] = {k: v for k, v in request.session.get(_PENDING, {}).items() if k != key}
    _keep(request, key, _SENT, concern_id)
    return redirect("frontdoor:raised", concern_id=concern_id)


def _already_sent(request: HttpRequest, key: str) -> HttpResponse | None:
    concern_id = request.session.get(_SENT, {}).get(key)
    return redirect("frontdoor:raised", concern_id=concern_id) if concern_id else None


def _raise_url(name: str, token: str) -> str:
    return f"{reverse(name)}?{urlencode({'child': token})}"


@require_http_methods(["GET", "POST"])
def raise_concern(request: HttpRequest) -> HttpResponse:
    """Step 2: the concern about a child found in step 1 (or from the single view); when it is
    complete, the user checks their answers before sending (``raise_check``)."""
    user = current_user(request)
    require(user, Capability.RAISE_CONCERN)
    token = request.GET.get("child", "")
    child = selectors.child_for_raise_or_none(user=user, token=token)
    if child is None:
        raise Http404
    if request.method == "GET":
        persons_shown(user=user, page="raise a concern", person_ids=[child.pk])
        pending = _pending(request, _journey(token))
        form = ConcernForm(pending[0] if pending else None)  # "Change": every answer as it was
    else:
        form = ConcernForm(request.POST)
        if form.is_valid():
            _keep(request, _journey(token), _PENDING, {"answers": _typed(request), "after": None})
            return redirect(_raise_url("frontdoor:raise-check", token))
    return render(request, "frontdoor/raise_concern.html", {"form": form, "child": child})


@require_http_methods(["GET", "POST"])
def raise_check(request: HttpRequest) -> HttpResponse:
    """Check your answers, then "Send concern": only this sends it, once."""
    user = current_user(request)
    require(user, Capability.RAISE_CONCERN)
    token = request.GET.get("child", "")
    key = _journey(token)
    child = selectors.child_for_raise_or_none(user=user, token=token)
    if child is None:
        already = _already_sent(request, key) if request.method == "POST" else None
        if already is None:
            raise Http404
        return already
    change_url = _raise_url("frontdoor:raise", token)
    pending = _pending(request, key)
    form = ConcernForm(pending[0] if pending else None)
    if not form.is_valid():  # nothing to check, or no longer valid (a day has passed): the form says
        return redirect(change_url)
    problem = None
    if request.method == "POST":
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
                raised_after=selectors.raise_token_used_after(user=user, token=token),
                context=form.context(),
            )
        except ServiceError as exc:
            problem = exc
        else:
            return _sent(request, key, concern.pk)
    else:
        persons_shown(user=user, page="check a concern before sending", person_ids=[child.pk])
    return render(request, "frontdoor/raise_check.html", {
        "child": child, "sections": [(None, answers(form), change_url)], "problem": problem,
        "problem_url": change_url,
    })


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
    """Step 2, for a child the hub does not hold: their details and the concern on one page; when
    both are complete, the user checks their answers before sending (``raise_new_child_check``)."""
    user = current_user(request)
    require(user, Capability.RAISE_CONCERN)
    pending = _pending(request, _NEW_CHILD) if request.method == "GET" and "change" in request.GET else None
    typed = request.POST if request.method == "POST" else (pending[0] if pending else None)
    child_form = NewChildForm(typed, prefix="child", initial=_carried_from_search(request) if not pending else {})
    form = ConcernForm(typed)
    if request.method == "POST" and child_form.is_valid() and form.is_valid():
        _keep(request, _NEW_CHILD, _PENDING, {"answers": _typed(request), "after": selectors.latest_concern_id(user=user)})
        return redirect("frontdoor:raise-new-child-check")
    return render(
        request, "frontdoor/raise_new_child.html", {"form": form, "child_form": child_form, "both_forms": [child_form, form]}
    )


@require_http_methods(["GET", "POST"])
def raise_new_child_check(request: HttpRequest) -> HttpResponse:
    """Check your answers about the new child and the concern, then "Send concern": only this
    records the child and sends the concern, once."""
    user = current_user(request)
    require(user, Capability.RAISE_CONCERN)
    change_url = f"{reverse('frontdoor:raise-new-child')}?change=1"
    pending = _pending(request, _NEW_CHILD)
    if pending is None:
        already = _already_sent(request, _NEW_CHILD) if request.method == "POST" else None
        return already or redirect("frontdoor:raise-new-child")
    typed, after = pending
    child_form, form = NewChildForm(typed, prefix="child"), ConcernForm(typed)
    if not (child_form.is_valid() and form.is_valid()):
        return redirect(change_url)
    problem = None
    if request.method == "POST":
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
                raised_after=after,
            )
        except ServiceError as exc:
            problem = exc
        else:
            return _sent(request, _NEW_CHILD, concern.pk)
    return render(request, "frontdoor/raise_check.html", {
        "child": None, "sections": [("The child", answers(child_form), change_url),
                                    ("Your concern", answers(form), change_url)],
        "problem": problem, "problem_url": change_url,
    })


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
