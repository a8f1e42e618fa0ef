"""A GOV.UK confirmation page before an action that cannot be undone (issue 16): the form posts as
before; the view asks ``confirm_first`` and, until the user has said yes, shows what will happen,
a warning and "Yes, ..." / "No, go back". The yes posts what was sent again, with ``confirm=yes``,
to the same address, so the view checks everything again as for any post."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@dataclass(frozen=True)
class Confirmation:
    question: str  # the page's heading and title: "Are you sure you want to close this referral?"
    caption: str  # what it is about: "Panel referral R000012"
    confirm_label: str  # "Yes, close the referral"
    cancel_url: str
    happens: Sequence[str] = ()  # what will happen, each a line of a bulleted list
    warning: str = "You cannot undo this."
    cancel_label: str = "No, go back"
    answers: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (question, what the user gave)


def confirmed(request: HttpRequest) -> bool:
    return request.method == "POST" and request.POST.get("confirm") == "yes"


def confirm_first(request: HttpRequest, confirmation: Confirmation) -> HttpResponse | None:
    """None once the user has confirmed (go on and act); else the confirmation page."""
    if confirmed(request):
        return None
    carried = [(name, value) for name in request.POST if name not in ("csrfmiddlewaretoken", "confirm")
               for value in request.POST.getlist(name)]
    return render(request, "components/confirm.html",
                  {"confirmation": confirmation, "carried": carried, "action": request.get_full_path()})
