"""Administrators' page of the background worker: jobs waiting, failed after their retries, and the
schedules with their next run."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from safeguarding.accounts.access import current_user
from safeguarding.workflows.jobs import first_line, jobs_for_admin


def jobs(request: HttpRequest) -> HttpResponse:
    page = jobs_for_admin(user=current_user(request))
    failures = [(f, first_line(f.result)) for f in page.failures]
    return render(request, "workflows/jobs.html", {"page": page, "failures": failures})
