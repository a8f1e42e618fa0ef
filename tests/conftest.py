"""Shared fixtures: the partnership's agencies, a user for every role, and database set-up."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.db import connection
from django.test import override_settings

from safeguarding.accounts.models import Agency, AgencyKind, Role, User
from safeguarding.audit import triggers
from tests.factories import AgencyFactory, UserFactory


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: object) -> None:
    """Drop the audit trail's append-only triggers in the throwaway test database only, so that tests
    which reset the database between them (browser tests) may empty the audit table. Tests of the
    append-only rule put the triggers back inside their own transaction (``append_only``)."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        triggers.run(connection, triggers.REMOVE)


@pytest.fixture(autouse=True)
def background_jobs_inline(request: pytest.FixtureRequest) -> Iterator[None]:
    """Work a page starts in the background runs inside the request, so a test can check what it
    produced; browser tests run it in the background, and see its progress as a user would.
    (Not pytest-django's ``settings`` fixture: some test modules have a fixture of that name.)"""
    if request.node.get_closest_marker("browser") is not None:
        # The live server's in-memory database cannot be opened by a worker process: the background
        # thread stands in for the worker, so the pages still show a job's progress as it runs.
        with override_settings(HUB_BACKGROUND_JOBS="thread"):
            yield
        return
    with override_settings(HUB_BACKGROUND_JOBS="inline"):
        yield


@pytest.fixture(autouse=True)
def linkage_store_per_test(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test keeps linkage's stored pairs in a folder of its own."""
    with override_settings(LINKAGE_STORE_DIR=tmp_path_factory.mktemp("linkage-store")):
        yield


@pytest.fixture(autouse=True)
def audit_anchors_per_test(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test keeps the audit trail's anchors (heads written outside the database) apart."""
    with override_settings(AUDIT_ANCHOR_FILE=tmp_path_factory.mktemp("audit") / "anchors.jsonl"):
        yield


@pytest.fixture
def agencies(db: None) -> dict[str, Agency]:
    """One agency of each kind, keyed by kind."""
    return {
        kind: AgencyFactory(code=f"{kind}-agency", name=f"{label} agency", kind=kind)
        for kind, label in AgencyKind.choices
    }


@pytest.fixture
def make_user(agencies: dict[str, Agency]) -> Callable[..., User]:
    def make(role: str = Role.REFERRER, agency_kind: str = AgencyKind.EDUCATION, **kwargs: object) -> User:
        return UserFactory(role=role, agency=agencies[agency_kind], **kwargs)

    return make
