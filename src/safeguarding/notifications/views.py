"""Each user's page of what the hub sent them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from safeguarding.accounts.access import current_user
from safeguarding.notifications.selectors import notifications_for


def mine(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    return render(request, "notifications/mine.html", {"notifications": list(notifications_for(user=user))})
