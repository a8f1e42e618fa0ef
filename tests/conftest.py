"""Shared fixtures: the partnership's agencies, a user for every role, and database set-up."""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.db import OperationalError, connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.test import override_settings

from safeguarding.accounts.models import Agency, AgencyKind, Role, User
from safeguarding.audit import triggers
from tests.factories import AgencyFactory, UserFactory

# SQLite's busy timeout does not cover the table locks of a shared-cache database (SQLITE_LOCKED: "database
# table is locked"), which is what the live server's in-memory test database is: a statement of the
# background thread failed at once while the web server's thread was still reading the same table
# (tests/browser/test_rule_change_journey.py, once). A file database, as the hub runs on, waits instead
# (settings: timeout). So in the test database a statement refused for a shared-cache lock is tried again
# for up to two seconds, as the timeout would have it wait.
SHARED_CACHE_WAIT_SECONDS = 2.0


def _wait_for_shared_cache_locks(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                                 context: dict[str, Any]) -> Any:
    deadline = time.monotonic() + SHARED_CACHE_WAIT_SECONDS
    while True:
        try:
            return execute(sql, params, many, context)
        except (OperationalError, sqlite3.OperationalError) as exc:
            if "table is locked" not in str(exc) and "schema is locked" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


@receiver(connection_created)
def _shared_cache_waits(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite" and connection.is_in_memory_db() \
            and _wait_for_shared_cache_locks not in connection.execute_wrappers:
        connection.execute_wrappers.append(_wait_for_shared_cache_locks)


# pytest-django's fixtures through which a test reaches the database its run is given. (Its own autouse
# fixture for unittest classes asks every test for ``django_db_blocker``: a fixture that unblocks the
# database itself is found by asking for it directly.)
DATABASE_FIXTURES = frozenset({"db", "transactional_db", "django_db_setup", "live_server",
                               "django_db_reset_sequences", "django_db_serialized_rollback"})


def reaches_a_database(item: pytest.Item) -> bool:
    """Whether a test reaches the database its run is given: marked for it, asking for pytest-django's
    fixtures (directly or through its own), or marked ``reaches_the_database`` (a process of its own
    given the run's database)."""
    if item.get_closest_marker("django_db") or item.get_closest_marker("reaches_the_database"):
        return True
    if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    definitions = getattr(item, "_fixtureinfo", None)
    for name, defs in (definitions.name2fixturedefs.items() if definitions else ()):
        if name != "_django_setup_unittest" and any("django_db_blocker" in d.argnames for d in defs):
            return True
    return False


def a_browser_journey(item: pytest.Item) -> bool:
    """A test that drives Chromium through a journey (marked ``browser``), but for one that divides its own
    work between the two databases when side by side (marked ``halves_itself``)."""
    return item.get_closest_marker("browser") is not None and item.get_closest_marker("halves_itself") is None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """When `make test` runs the suite on SQLite and on PostgreSQL side by side (HUB_TESTS_SIDE_BY_SIDE=1),
    the two runs share two kinds of work that would be the same on both, as two cores cannot do it twice
    within the suite's 20 minutes (docs/decisions.md, "The test suite within 20 minutes"):

    - a test that reaches no database (pure functions, linkage's engines over Arrow tables, the generator,
      a worker on a database of its own) runs on the SQLite side only;
    - the browser journeys are dealt out between the two, alternately in the order of their names, each
      run on one database: what a browser adds to a page (its scripts, focus, layout, axe's checks) does
      not depend on the database, and every page a journey opens is also opened on both databases by
      the crawls and the access matrix (tests/accounts), which run every query the pages make.

    - a case marked ``side_by_side_on(vendor)`` runs on that database only: the access matrix deals out the
      agencies whose staff the rules treat alike (tests/accounts/test_access_matrix.py).

    Every other test reaches a database and runs on both. Run alone, or one after the other
    (HUB_TESTS_IN_SERIES=1), each run runs everything."""
    if os.environ.get("HUB_TESTS_SIDE_BY_SIDE") != "1":
        return
    on_postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    journeys = sorted(item.nodeid for item in items if a_browser_journey(item))
    on_postgres_only = set(journeys[1::2])
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        one_database = item.get_closest_marker("side_by_side_on")
        if one_database is not None:
            keep = (one_database.args[0] == "postgresql") == on_postgres
        elif a_browser_journey(item):
            keep = (item.nodeid in on_postgres_only) == on_postgres
        else:
            keep = reaches_a_database(item) or not on_postgres
        (kept if keep else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


# The fixture a test asks for to be given a hub's database migrated once for the run (``migrated_hub``).
MIGRATED_HUB = "migrated_hub"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any, request: pytest.FixtureRequest,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Drop the audit trail's append-only triggers in the throwaway test database only, so that tests
    which reset the database between them (browser tests) may empty the audit table. Tests of the
    append-only rule put the triggers back inside their own transaction (``append_only``).

    Before that, when a test of the run asks for ``migrated_hub``, the test database as the migrations
    left it (triggers and all, before any test ran) is copied for it: a hub's database that processes of
    their own can open, without migrating another (which takes as long as the test database's own)."""
    kept: MigratedHub | None = None
    with django_db_blocker.unblock():
        if any(MIGRATED_HUB in getattr(item, "fixturenames", ()) for item in request.session.items):
            kept = _migrated_hub_keep(tmp_path_factory.mktemp("migrated-hub") / "hub.sqlite3")
        triggers.run(connection, triggers.REMOVE)
    request.config.stash[_MIGRATED_HUB_KEPT] = kept
    with pytest.MonkeyPatch.context() as patch:
        if connection.vendor == "postgresql":
            patch.setattr(type(connection.ops), "sql_flush", _sql_flush_deleting(type(connection.ops).sql_flush))
        yield
    if kept is not None and kept.vendor == "postgresql":
        with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{kept.location}" WITH (FORCE)')


def _sql_flush_deleting(truncating: Callable[..., list[str]]) -> Callable[..., list[str]]:
    """PostgreSQL's emptying of every table after each test that commits (browser tests, and others
    marked ``transaction=True``), as DELETE FROM each table, not Django's one TRUNCATE of them all: it
    leaves every table as empty, and takes a twentieth of the time, as those tests leave a few rows
    and a TRUNCATE of some 120 tables makes each one's files afresh (about 0.8 s a test). Every foreign
    key Django makes is checked at commit, so the order of the DELETEs does not matter. A flush that
    also restarts the tables' sequences (``safeguarding flush`` itself, as the modules that build a
    demo for their tests run it after them) truncates as before."""

    def sql_flush(self: Any, style: Any, tables: Any, *, reset_sequences: bool = False,
                  allow_cascade: bool = False) -> list[str]:
        if reset_sequences or not tables:
            return truncating(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return [f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables]

    return sql_flush


class MigratedHub(NamedTuple):
    """A hub's database migrated once for the run (``migrated_hub``)."""

    vendor: str  # "sqlite" or "postgresql", as Django's connection.vendor
    location: str  # the SQLite file to copy; or the PostgreSQL database (on the run's server) to copy


_MIGRATED_HUB_KEPT = pytest.StashKey[MigratedHub | None]()


def _migrated_hub_keep(sqlite_file: Path) -> MigratedHub:
    """A copy of the test database as it is now: on SQLite a file (``sqlite_file``, written with
    SQLite's backup of the in-memory test database), on PostgreSQL a database beside the test
    database on its server, to copy with CREATE DATABASE ... TEMPLATE."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(sqlite_file)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        return MigratedHub("sqlite", str(sqlite_file))
    name = f"{connection.settings_dict['NAME']}_migrated"
    test_database = connection.settings_dict["NAME"]
    connection.close()  # PostgreSQL copies a database only while no one is connected to it
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{test_database}"')
    return MigratedHub("postgresql", name)


@pytest.fixture(scope="session")
def migrated_hub(request: pytest.FixtureRequest) -> MigratedHub | None:
    """A hub's database migrated once for the run, to copy for processes of their own (a worker, an
    import killed part way): the test database as the migrations left it, before any test ran, so what
    ``safeguarding migrate`` makes of an empty database, on the run's kind of database. None when this
    run sets up no test database (it runs no test that reaches one): the test then migrates its own."""
    from pytest_django.fixtures import _get_databases_for_setup

    if not _get_databases_for_setup(request.session.items)[0]:
        return None
    request.getfixturevalue("django_db_setup")
    return request.config.stash.get(_MIGRATED_HUB_KEPT, None)


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2, as the hub hashes passwords, at the smallest cost: Django's default settings take a
    quarter of a second a password here, and the tests make and check hundreds. Each hash is still
    salted, and a wrong password still refused."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1


@pytest.fixture(scope="session", autouse=True)
def passwords_hashed_quickly() -> Iterator[None]:
    with override_settings(PASSWORD_HASHERS=["tests.conftest.QuickArgon2PasswordHasher",
                                             "django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
        yield


@pytest.fixture(scope="session", autouse=True)
def static_files_read_once() -> Iterator[None]:
    """Django's test client loads the hub's middleware afresh for each client, and WhiteNoise, loaded,
    reads every static file it serves and works out its headers (the GOV.UK Frontend's 900 files: about
    60 ms, for each test that makes a request), which the hub's server does once when it starts. The
    same folder holding the same files (each one's path, size and time), read by WhiteNoise set up
    alike (its settings and Django's static ones), gives the same answers: they are worked out the
    first time and kept for the run. A file added, removed or changed is read afresh."""
    from django.conf import settings
    from whitenoise.base import WhiteNoise, scantree

    read = WhiteNoise.update_files_dictionary
    kept: dict[tuple[Any, ...], dict[str, Any]] = {}

    def update_files_dictionary(self: Any, root: str, prefix: str) -> None:
        files = tuple(sorted((path, stat.st_size, stat.st_mtime_ns) for path, stat in scantree(root)))
        setup = tuple(sorted((name, repr(getattr(settings, name))) for name in dir(settings)
                             if name.startswith("WHITENOISE_") or name in ("STATIC_URL", "STORAGES", "FORCE_SCRIPT_NAME")))
        key = (type(self), root, prefix, setup, files, repr(vars(self).get("immutable_file_test")),
               *(repr(getattr(self, a, None)) for a in ("max_age", "allow_all_origins", "charset", "index_file",
                                                         "add_headers_function", "static_prefix")))
        if key not in kept:
            theirs, self.files = self.files, {}
            try:
                read(self, root, prefix)
                kept[key] = self.files
            finally:
                self.files = theirs
        self.files.update(kept[key])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WhiteNoise, "update_files_dictionary", update_files_dictionary)
        yield


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


@pytest.fixture(autouse=True)
def own_roles_read_afresh() -> Iterator[None]:
    """What a process has read of the partnership's own roles is kept (they never change once made,
    and are never deleted); a test's rolled-back database can make another role with the same code."""
    from safeguarding.accounts import access, models

    yield
    access._OWN_ROLES.clear()
    models._OWN_ROLE_NAMES.clear()


def one_agency_of_each_kind() -> dict[str, Agency]:
    """One agency of each kind, keyed by kind (found again by code when they exist)."""
    return {
        kind: AgencyFactory(code=f"{kind}-agency", name=f"{label} agency", kind=kind)
        for kind, label in AgencyKind.choices
    }


@pytest.fixture
def agencies(db: None) -> dict[str, Agency]:
    """One agency of each kind, keyed by kind."""
    return one_agency_of_each_kind()


@pytest.fixture
def make_user(agencies: dict[str, Agency]) -> Callable[..., User]:
    def make(role: str = Role.REFERRER, agency_kind: str = AgencyKind.EDUCATION, **kwargs: object) -> User:
        return UserFactory(role=role, agency=agencies[agency_kind], **kwargs)

    return make


class Inbox:
    """What a real SMTP server on loopback received: (envelope recipients, message) each."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    """A real SMTP server (aiosmtpd) on a free loopback port, and the hub's mail sent to it."""
    inbox = Inbox()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                               EMAIL_PORT=port, EMAIL_USE_TLS=False):
            yield inbox
    finally:
        controller.stop()
