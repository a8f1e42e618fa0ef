"""The server log: a page refused is one line, a server error keeps its traceback."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role
from tests.factories import sign_in


@pytest.mark.django_db
def test_a_refused_page_is_one_line_in_the_log_not_a_traceback(make_user, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    """The audit saw six tracebacks in an afternoon, one for each page refused to someone who may not see it."""
    admin = sign_in(Client(), make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL))
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert admin.get(reverse("earlywarning:queue")).status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Forbidden (Permission denied): /alerts/"
    assert record.exc_info is None and "Traceback" not in caplog.text


def test_a_server_error_keeps_its_traceback() -> None:
    from safeguarding.core.logs import ClientErrorsInOneLine

    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error: /x/", (),
                                   sys.exc_info())
    record.status_code = 500
    assert ClientErrorsInOneLine().filter(record) and record.exc_info is not None
