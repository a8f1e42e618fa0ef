"""`safeguarding totp` (the demo's second factor) and `safeguarding users add` (the first administrators)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse

from safeguarding.accounts.models import Agency, Role, User
from safeguarding.accounts.security.models import TemporaryPassword
from safeguarding.audit.models import AuditEvent
from safeguarding.demo.partnership import DEMO_PASSWORD, DEMO_USERS, demo_partnership_setup
from tests.factories import authenticator_for

pytestmark = pytest.mark.django_db


def _totp(username: str) -> str:
    out = io.StringIO()
    call_command("totp", username, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


@override_settings(LOCAL_DEMO=True)
def test_the_demo_accounts_sign_in_with_the_code_totp_prints() -> None:
    demo_partnership_setup()
    demo_partnership_setup()  # again: nothing is duplicated
    from safeguarding.accounts.selectors import demo_authenticator_keys

    keys = demo_authenticator_keys()
    assert set(keys) == {u.username for u in DEMO_USERS}
    client = Client()
    client.post(reverse("accounts:sign-in"), {"username": "triage.council", "password": DEMO_PASSWORD})
    code = _totp("triage.council")
    assert len(code) == 6 and code.isdigit()
    assert client.post(reverse("accounts:second-factor"), {"token": code}).status_code == 302
    assert client.get(reverse("frontdoor:queue")).status_code == 200


def test_totp_is_refused_outside_the_local_demo() -> None:
    demo_partnership_setup()
    with override_settings(LOCAL_DEMO=False, DEBUG=False), pytest.raises(CommandError, match="only for the local demo"):
        _totp("triage.council")


@override_settings(LOCAL_DEMO=True)
def test_totp_is_refused_for_an_authenticator_a_person_set_up(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.TRIAGE_WORKER)
    authenticator_for(user)
    with pytest.raises(CommandError, match="not one of the demo's accounts"):
        _totp(user.username)


def test_users_add_makes_a_first_administrator_with_a_temporary_password(agencies, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "first-admin-quiet-harbour-4")
    call_command("users", "add", "first.admin", agency="council-agency", role=Role.ADMINISTRATOR, stdout=io.StringIO())
    user = User.objects.get(username="first.admin")
    assert user.is_active and user.role == Role.ADMINISTRATOR
    assert TemporaryPassword.objects.filter(user=user).exists()


def test_users_add_can_make_the_first_agency(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "first-admin-quiet-harbour-4")
    call_command(
        "users", "add", "first.admin", agency="east-council", agency_name="Eastwood Council",
        role=Role.ADMINISTRATOR, stdout=io.StringIO(),
    )  # fmt: skip
    assert User.objects.get(username="first.admin").agency.name == "Eastwood Council"
    with pytest.raises(CommandError, match="No agency has the code"):
        call_command("users", "add", "second.admin", agency="nowhere", role=Role.ADMINISTRATOR, stdout=io.StringIO())
    with pytest.raises(CommandError, match="No role has the code chief"):
        call_command("users", "add", "second.admin", agency="east-council", role="chief", stdout=io.StringIO())
    assert not User.objects.filter(username="second.admin").exists()


def _no_prompt(prompt: str = "") -> str:
    raise AssertionError("the password was asked for, though the command was bound to fail")


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        ({"username": "x", "role": "nonsense"}, "No role has the code nonsense"),
        ({"username": ""}, "The username: This field cannot be blank"),
        ({"username": "bad name!"}, "The username: Enter a valid username"),
        ({"username": "x" * 300}, r"The username: Ensure this value has at most 150 characters \(it has 300\)"),
        ({"username": "x", "agency": "n" * 300}, r"The agency's code: Ensure this value has at most 60 characters"),
        ({"username": "x", "agency": "new agency"}, "The agency's code: Enter a valid"),
        ({"username": "x", "agency_name": "N" * 300}, r"The agency's name: Ensure this value has at most 200"),
        ({"username": "x", "first_name": "F" * 300}, r"The first name: Ensure this value has at most 150"),
    ],
)
def test_users_add_refuses_bad_input_before_the_password_and_makes_nothing(  # type: ignore[no-untyped-def]
    db, monkeypatch, arguments, reason
) -> None:
    monkeypatch.setattr("getpass.getpass", _no_prompt)
    options = {"agency": "new", "agency_name": "New agency", "role": Role.ADMINISTRATOR, **arguments}
    username = options.pop("username")
    with pytest.raises(CommandError, match=reason):
        call_command("users", "add", username, stdout=io.StringIO(), **options)
    assert not Agency.objects.exists() and not User.objects.exists()
    assert not AuditEvent.objects.exists()


def test_users_add_makes_no_agency_when_the_account_is_refused_after_the_password(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "short")  # refused by the password validators
    with pytest.raises(CommandError, match="too short"):
        call_command("users", "add", "first.admin", agency="new", agency_name="New agency", role=Role.ADMINISTRATOR,
                     stdout=io.StringIO())
    assert not Agency.objects.exists() and not User.objects.exists()


def test_users_add_with_the_input_ended_at_the_password_says_so_and_makes_nothing(db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def ended(prompt: str = "") -> str:
        raise EOFError

    for prompt in (ended, lambda prompt="": ""):
        monkeypatch.setattr("getpass.getpass", prompt)
        with pytest.raises(CommandError, match=r"^no password given$"):
            call_command("users", "add", "first.admin", agency="new", agency_name="New agency",
                         role=Role.ADMINISTRATOR, stdout=io.StringIO())
    assert not Agency.objects.exists() and not User.objects.exists()
