"""An account with no second factor yet gets no password from any administrator: the hub e-mails the
person a single-use set-up link (signed, 72 hours) to choose their own, then sends them to set up their
authenticator. Who may and may not use a link, that no administrator sees a password, and that the
e-mail, which leaves the hub, says nothing of its records."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguarding.accounts import selectors, services
from safeguarding.accounts.mfa import code_at
from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.accounts.security.models import AccessChange, SetUpLink, TemporaryPassword
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.errors import ServiceError
from tests.conftest import Inbox
from tests.factories import PASSWORD, PersonFactory, authenticator_for, sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "quiet-harbour-lantern-5"


def _link_in(body: str) -> str:
    found = re.search(r"https?://\S+/sign-in/set-up/\S+/", body)
    assert found, body
    return found.group(0)


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _last_link() -> str:
    return _path(_link_in(mail.outbox[-1].body))


def _choose(client: Client, link: str, password: str = NEW_PASSWORD) -> Any:
    opened = client.get(link)
    if opened.status_code != 302:
        return opened
    if opened["Location"] != reverse("accounts:set-up-password"):  # refused: a page without the token
        assert opened["Location"].startswith(reverse("accounts:set-up-refused")), opened["Location"]
        return client.get(opened["Location"])
    return client.post(opened["Location"], {"new_password": password, "new_password_again": password})


def _new_account(first: User, second: User, agency: Any, *, email: str = "new.worker@example.org") -> User:
    """Made by one administrator, approved by another: the approval sends the link."""
    user = services.user_create(acting_user=first, username="new.worker", email=email, agency=agency,
                                role=Role.TRIAGE_WORKER, first_name="Nia", last_name="Worker")
    services.access_change_approve(acting_user=second, change=AccessChange.objects.get(subject=user))
    user.refresh_from_db()
    return user


@pytest.fixture
def admins(make_user: Any) -> tuple[User, User]:
    return (make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL, username="first.admin"),
            make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL, username="second.admin"))


def test_a_new_account_chooses_its_own_password_through_the_link_and_then_sets_up_its_authenticator(
    admins: tuple[User, User], agencies: Any
) -> None:
    first, second = admins
    user = _new_account(first, second, agencies[AgencyKind.COUNCIL])
    assert [m.to for m in mail.outbox] == [["new.worker@example.org"]]
    client = Client()
    opened = client.get(_last_link())
    # The token leaves the address bar at once (as Django's password reset does).
    assert opened.status_code == 302 and opened["Location"] == reverse("accounts:set-up-password")
    page = client.get(opened["Location"]).content.decode()
    assert "Choose your password" in page and "new.worker" in page
    chosen = client.post(reverse("accounts:set-up-password"),
                         {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    assert chosen.status_code == 302 and chosen["Location"] == reverse("accounts:second-factor-setup")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # Signed in, and nothing but the authenticator's set-up until it is done.
    assert client.get(reverse("frontdoor:queue"))["Location"].startswith(reverse("accounts:second-factor-setup"))
    assert "Set up your authenticator app" in client.get(reverse("accounts:second-factor-setup")).content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    client.post(reverse("accounts:second-factor-setup"), {"token": code_at(device)})
    assert client.get(reverse("frontdoor:queue")).status_code == 200
    assert AuditEvent.objects.filter(event_type=AuditEventType.SET_UP_LINK_SENT, actor=second).exists()
    assert AuditEvent.objects.filter(event_type=AuditEventType.SET_UP_LINK_USED, actor=user).exists()


@pytest.mark.parametrize("weak", ["short-one", "aaaaaaaaaaaa", "Eastwood2026!"])
def test_the_link_takes_only_a_password_the_validators_accept_and_still_works_after_a_refusal(
    admins: tuple[User, User], agencies: Any, weak: str
) -> None:
    _new_account(*admins, agencies[AgencyKind.COUNCIL])
    client = Client()
    refused = _choose(client, _last_link(), weak)
    body = refused.content.decode()
    assert refused.status_code == 200 and "There is a problem" in body
    assert "at least 12 characters" in body or "harder to guess" in body
    done = client.post(reverse("accounts:set-up-password"),
                       {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    assert done.status_code == 302


def test_no_administrator_sees_or_chooses_a_password_for_an_account_without_a_second_factor(
    admins: tuple[User, User], agencies: Any
) -> None:
    first, second = admins
    first_client, second_client = sign_in(Client(), first), sign_in(Client(), second)
    form = first_client.get(reverse("accounts:user-new")).content.decode()
    assert 'type="password"' not in form
    made = first_client.post(reverse("accounts:user-new"), {
        "username": "new.worker", "first_name": "Nia", "last_name": "Worker", "email": "nia@example.org",
        "agency": agencies[AgencyKind.COUNCIL].pk, "role": Role.TRIAGE_WORKER, "is_active": "on",
        "password": "admin-chosen-walrus-7",  # a field the page no longer has: ignored
    })
    assert made.status_code == 302
    user = User.objects.get(username="new.worker")
    assert not user.has_usable_password() and not user.check_password("admin-chosen-walrus-7")
    change = AccessChange.objects.get(subject=user)
    approval = second_client.get(reverse("accounts:access-approval", args=[change.pk])).content.decode()
    assert "nia@example.org" in approval  # the second administrator sees where the way in will go
    second_client.post(reverse("accounts:access-approval", args=[change.pk]), {"decision": "approve"})
    link = _last_link()
    token = link.rstrip("/").rsplit("/", 1)[1]
    pages = [second_client.get(reverse("accounts:user-edit", args=[user.pk])),
             second_client.get(reverse("accounts:user-set-up-link", args=[user.pk])),
             second_client.get(reverse("accounts:user-password", args=[user.pk])),
             second_client.get(reverse("accounts:access-approval", args=[change.pk]))]
    for page in pages:
        assert token not in page.content.decode() and 'type="password"' not in page.content.decode()
    # Nor can one choose one by another route: a temporary password is refused, in the service and the page.
    with pytest.raises(ServiceError, match="no second factor yet"):
        services.password_set_temporary(acting_user=second, user=user, password="admin-chosen-walrus-7")
    second_client.post(reverse("accounts:user-password", args=[user.pk]), {"password": "admin-chosen-walrus-7"})
    with pytest.raises(ServiceError, match="does not choose a new account's password"):
        services.user_create(acting_user=first, username="other", password="admin-chosen-walrus-7",
                             email="o@example.org", agency=agencies[AgencyKind.COUNCIL], role=Role.REFERRER)
    user.refresh_from_db()
    assert not user.has_usable_password() and not TemporaryPassword.objects.filter(user=user).exists()
    # The token is kept nowhere: not on the link's row, the audit trail or the job queue.
    assert token not in str(list(SetUpLink.objects.values()))
    assert token not in str(list(AuditEvent.objects.values("detail", "actor_label", "target_id")))


def test_a_link_works_once(admins: tuple[User, User], agencies: Any) -> None:
    user = _new_account(*admins, agencies[AgencyKind.COUNCIL])
    link = _last_link()
    assert _choose(Client(), link).status_code == 302
    again = _choose(Client(), link, "another-quiet-orbit-9")
    assert again.status_code == 410 and "already been used" in again.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(event_type=AuditEventType.SET_UP_LINK_REFUSED).exists()


def test_a_link_opened_but_used_in_another_browser_first_no_longer_sets_a_password(
    admins: tuple[User, User], agencies: Any
) -> None:
    user = _new_account(*admins, agencies[AgencyKind.COUNCIL])
    link = _last_link()
    slow = Client()
    slow.get(link)  # the form is open here...
    assert _choose(Client(), link).status_code == 302  # ...and the link is used there
    late = slow.post(reverse("accounts:set-up-password"),
                     {"new_password": "another-quiet-orbit-9", "new_password_again": "another-quiet-orbit-9"})
    assert late.status_code == 410
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not user.check_password("another-quiet-orbit-9")


def test_an_expired_link_does_not_work(admins: tuple[User, User], agencies: Any, monkeypatch: Any) -> None:
    user = _new_account(*admins, agencies[AgencyKind.COUNCIL])
    link = _last_link()
    # 72 hours later, by the signature's own timestamp...
    later = time.time() + 72 * 3600 + 60
    monkeypatch.setattr(signing.time, "time", lambda: later)
    refused = _choose(Client(), link)
    assert refused.status_code == 410 and "expired" in refused.content.decode()
    monkeypatch.undo()
    # ...and by the link's row, whatever the signature says.
    SetUpLink.objects.filter(user=user).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    refused = _choose(Client(), link)
    assert refused.status_code == 410 and "expired" in refused.content.decode()
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_sending_a_new_link_makes_the_earlier_one_stop_working(admins: tuple[User, User], agencies: Any) -> None:
    first, second = admins
    user = _new_account(first, second, agencies[AgencyKind.COUNCIL])
    old = _last_link()
    services.set_up_link_send(acting_user=first, user=user)
    new = _last_link()
    assert old != new and len(mail.outbox) == 2
    refused = _choose(Client(), old)
    assert refused.status_code == 410 and "newer link" in refused.content.decode()
    assert _choose(Client(), new).status_code == 302
    assert AuditEvent.objects.filter(event_type=AuditEventType.SET_UP_LINK_SENT, actor=first,
                                     detail__links_replaced=1).exists()


def test_a_link_names_its_own_account_only_and_a_forged_or_altered_one_does_nothing(
    admins: tuple[User, User], agencies: Any, make_user: Any
) -> None:
    first, second = admins
    user = _new_account(first, second, agencies[AgencyKind.COUNCIL])
    other = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, email="other@example.org")
    other.set_unusable_password()
    other.save()
    services.set_up_link_send(acting_user=first, user=other)
    others_link = SetUpLink.objects.get(user=other)
    users_link = SetUpLink.objects.get(user=user)
    # A link for the other account, signed any way but the hub's (another salt, another key), is refused.
    elsewhere = signing.dumps({"link": others_link.pk}, key="not-the-hubs-key", salt=services.SET_UP_LINK_SALT)
    own = services.set_up_link_token(users_link)
    altered = ":".join([elsewhere.split(":")[0], *own.split(":")[1:]])  # the other's id, this link's signature
    forged = [signing.dumps({"link": others_link.pk}, salt="something else"), elsewhere, altered,
              "not-a-token-at-all"]
    for token in forged:
        refused = _choose(Client(), reverse("accounts:set-up", args=[token]))
        assert refused.status_code == 410
    # The person's own link sets their password, never another's; a session of someone else is ended first.
    someone = sign_in(Client(), other)
    assert _choose(someone, _path(_link_in(mail.outbox[0].body))).status_code == 302
    user.refresh_from_db()
    other.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and not other.has_usable_password()
    assert int(someone.session["_auth_user_id"]) == user.pk


def test_a_deactivated_account_s_link_stops_working_and_letting_it_back_in_does_not_revive_it(
    admins: tuple[User, User], agencies: Any
) -> None:
    first, second = admins
    user = _new_account(first, second, agencies[AgencyKind.COUNCIL])
    link = _last_link()
    services.user_update(acting_user=first, user=user, agency=user.agency, role=user.role, is_active=False,
                         first_name=user.first_name, last_name=user.last_name, email=user.email, job_title="")
    assert _choose(Client(), link).status_code == 410
    with pytest.raises(ServiceError, match="cannot sign in"):
        services.set_up_link_send(acting_user=first, user=user)
    pending = services.user_update(acting_user=first, user=user, agency=user.agency, role=user.role, is_active=True,
                                   first_name=user.first_name, last_name=user.last_name, email=user.email,
                                   job_title="")
    assert pending is not None
    services.access_change_approve(acting_user=second, change=pending)
    assert _choose(Client(), link).status_code == 410  # the old link stays dead...
    assert _choose(Client(), _last_link()).status_code == 302  # ...the approval sent a new one


def test_closing_an_agency_withdraws_its_staffs_links(admins: tuple[User, User], agencies: Any) -> None:
    first, second = admins
    user = _new_account(first, second, agencies[AgencyKind.POLICE])
    link = _last_link()
    agency = agencies[AgencyKind.POLICE]
    services.agency_update(acting_user=first, agency=agency, name=agency.name, kind=agency.kind, is_active=False)
    assert _choose(Client(), link).status_code == 410
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_a_single_sign_on_account_gets_no_set_up_link(admins: tuple[User, User], agencies: Any) -> None:
    first, _ = admins
    user = services.sso_sign_in(provider="entra", provider_name="Entra ID", subject="s-1", username_hint="sam.reid",
                                role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.COUNCIL], email="sam@example.org")
    with pytest.raises(ServiceError, match="single sign-on"):
        services.set_up_link_send(acting_user=first, user=user)
    # A link sent before the account came to sign in through its organisation no longer works.
    SetUpLink.objects.create(user=user, sent_by=first, created_at=timezone.now(), address="sam@example.org",
                             expires_at=timezone.now() + dt.timedelta(hours=1))
    token = services.set_up_link_token(SetUpLink.objects.get(user=user))
    assert _choose(Client(), reverse("accounts:set-up", args=[token])).status_code == 410
    assert not mail.outbox


def test_an_account_with_a_second_factor_keeps_the_temporary_password_and_gets_no_link(
    admins: tuple[User, User], make_user: Any
) -> None:
    first, _ = admins
    user = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, email="has.app@example.org")
    authenticator_for(user)
    with pytest.raises(ServiceError, match="already has a second factor"):
        services.set_up_link_send(acting_user=first, user=user)
    services.password_set_temporary(acting_user=first, user=user, password="temporary-walrus-lamp-7")
    assert TemporaryPassword.objects.filter(user=user).exists()
    # A link made before the authenticator was set up no longer works once it is.
    SetUpLink.objects.create(user=user, sent_by=first, created_at=timezone.now(), address=user.email,
                             expires_at=timezone.now() + dt.timedelta(hours=1))
    token = services.set_up_link_token(SetUpLink.objects.get(user=user))
    assert _choose(Client(), reverse("accounts:set-up", args=[token])).status_code == 410


def test_who_may_send_a_link(admins: tuple[User, User], make_user: Any) -> None:
    first, _ = admins
    worker = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, email="w@example.org")
    no_address = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, email="")
    manager = make_user(role=Role.AGENCY_MANAGER, agency_kind=AgencyKind.COUNCIL)
    with pytest.raises(ServiceError, match="Only an administrator"):
        services.set_up_link_send(acting_user=manager, user=worker)
    with pytest.raises(ServiceError, match="yourself"):
        services.set_up_link_send(acting_user=first, user=first)
    with pytest.raises(ServiceError, match="No e-mail address"):
        services.set_up_link_send(acting_user=first, user=no_address)
    # Through the page: a confirmation first, then the link is sent and audited.
    page = sign_in(Client(), first)
    assert "w@example.org" in page.get(reverse("accounts:user-set-up-link", args=[worker.pk])).content.decode()
    sent = page.post(reverse("accounts:user-set-up-link", args=[worker.pk]))
    assert sent.status_code == 302 and [m.to for m in mail.outbox] == [["w@example.org"]]
    assert AuditEvent.objects.filter(event_type=AuditEventType.SET_UP_LINK_SENT, actor=first,
                                     target_id=str(worker.pk)).exists()
    refused = sign_in(Client(), manager).post(reverse("accounts:user-set-up-link", args=[worker.pk]))
    assert refused.status_code == 403 and len(mail.outbox) == 1


def test_an_administrator_who_changes_the_address_cannot_send_the_link_to_it(
    admins: tuple[User, User], agencies: Any
) -> None:
    """Else changing a new colleague's address to one's own, then sending, would hold their account."""
    first, second = admins
    user = _new_account(first, second, agencies[AgencyKind.COUNCIL])
    link = _last_link()
    services.user_update(acting_user=first, user=user, agency=user.agency, role=user.role, is_active=True,
                         first_name=user.first_name, last_name=user.last_name, email="first.admin@example.org",
                         job_title="")
    assert _choose(Client(), link).status_code == 410  # the link to the old address stops working
    with pytest.raises(ServiceError, match="another administrator must send"):
        services.set_up_link_send(acting_user=first, user=user)
    assert services.set_up_link_send(acting_user=second, user=user).address == "first.admin@example.org"


def test_a_second_factor_reset_voids_a_password_an_administrator_set_and_sends_a_link(
    admins: tuple[User, User], make_user: Any
) -> None:
    first, second = admins
    user = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, email="lost.phone@example.org")
    authenticator_for(user)
    services.password_set_temporary(acting_user=first, user=user, password="temporary-walrus-lamp-7")
    change = services.second_factor_reset_request(acting_user=first, user=user, reason="Lost phone")
    services.access_change_approve(acting_user=second, change=change)
    user.refresh_from_db()
    assert not user.check_password("temporary-walrus-lamp-7")
    assert Client().post(reverse("accounts:sign-in"),
                         {"username": user.username, "password": "temporary-walrus-lamp-7"}).status_code == 200
    assert [m.to for m in mail.outbox] == [["lost.phone@example.org"]]
    assert _choose(Client(), _last_link()).status_code == 302


def test_a_reset_leaves_a_password_the_person_chose_and_sends_nothing(admins: tuple[User, User], make_user: Any) -> None:
    first, second = admins
    user = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, email="lost.phone@example.org")
    authenticator_for(user)
    change = services.second_factor_reset_request(acting_user=first, user=user, reason="Lost phone")
    services.access_change_approve(acting_user=second, change=change)
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and not mail.outbox


def test_a_password_an_administrator_set_before_the_account_had_a_second_factor_no_longer_signs_in(
    admins: tuple[User, User], make_user: Any
) -> None:
    """Accounts given one before set-up links: the administrator who knows it could still sign in first."""
    first, _ = admins
    user = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    user.set_password("temporary-walrus-lamp-7")
    user.save()
    TemporaryPassword.objects.create(user=user, set_by=first, set_at=timezone.now())
    refused = Client().post(reverse("accounts:sign-in"), {"username": user.username, "password": "temporary-walrus-lamp-7"})
    assert refused.status_code == 200 and "set-up link" in refused.content.decode()
    # One the hub's operator set on the command line (the first administrators) still signs in.
    TemporaryPassword.objects.filter(user=user).update(set_by=None)
    assert Client().post(reverse("accounts:sign-in"),
                         {"username": user.username, "password": "temporary-walrus-lamp-7"}).status_code == 302


def test_the_e_mail_says_nothing_of_the_hubs_records(admins: tuple[User, User], agencies: Any) -> None:
    """It leaves the hub: the person's name and username, the link and until when, nothing else."""
    PersonFactory(given_name="Chloe", family_name="Barker")
    user = _new_account(*admins, agencies[AgencyKind.COUNCIL])
    [message] = mail.outbox
    text = f"{message.subject}\n{message.body}"
    for word in ("Chloe", "Barker", "child", "concern", "referral", "panel", "risk", "exploitation",
                 agencies[AgencyKind.COUNCIL].name, user.get_role_display(), "first.admin", "second.admin"):
        assert word.lower() not in text.lower(), word
    assert message.subject == "Set up your Safeguarding Hub account"
    assert "Nia" in message.body and "new.worker" in message.body and "works once" in message.body


def test_the_link_is_sent_over_smtp_to_the_address_on_the_account(
    smtp: Inbox, admins: tuple[User, User], agencies: Any
) -> None:
    user = _new_account(*admins, agencies[AgencyKind.COUNCIL], email="nia.worker@example.org")
    [(to, message)] = smtp.messages
    assert to == ["nia.worker@example.org"]
    body = message.get_payload(decode=True).decode()
    assert message["Subject"] == "Set up your Safeguarding Hub account"
    assert _choose(Client(), _path(_link_in(body))).status_code == 302
    assert SetUpLink.objects.get(user=user).sent_at is not None


# --- the address a link goes to: no single administrator chooses it and sends the way in there ---------------


def _edit(acting: User, user: User, **changes: Any) -> AccessChange | None:
    """``user_update`` with the account's own values but for ``changes``."""
    user.refresh_from_db()
    values: dict[str, Any] = {"agency": user.agency, "role": user.role, "is_active": user.is_active,
                              "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
                              "job_title": user.job_title}
    return services.user_update(acting_user=acting, user=user, **{**values, **changes})


@pytest.fixture
def third(make_user: Any) -> User:
    return make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL, username="third.admin")


def test_no_administrator_changes_a_pending_new_accounts_address_and_the_approval_goes_to_the_one_asked_with(
    admins: tuple[User, User], agencies: Any
) -> None:
    """The review's first finding: the approver changed the waiting account's address to their own, then approved."""
    first, second = admins
    user = services.user_create(acting_user=first, username="new.worker", email="nia@example.org",
                                agency=agencies[AgencyKind.POLICE], role=Role.INTELLIGENCE_OFFICER,
                                first_name="Nia", last_name="Worker")
    change = AccessChange.objects.get(subject=user)
    for who in (second, first):  # neither the approver nor the one who asked
        with pytest.raises(ServiceError, match="awaits approval"):
            _edit(who, user, email=f"{who.username}@evil.example")
    _edit(second, user, job_title="Analyst")  # anything but the address still changes
    user.refresh_from_db()
    change.refresh_from_db()
    assert user.email == change.address == "nia@example.org" and user.email_changed_by is None
    # However the address came to differ (here, not through the hub's services), the approval is refused.
    User.objects.filter(pk=user.pk).update(email="second.admin@evil.example")
    with pytest.raises(ServiceError, match="changed since this was asked for"):
        services.access_change_approve(acting_user=second, change=change)
    assert not mail.outbox and not SetUpLink.objects.exists()
    User.objects.filter(pk=user.pk).update(email="nia@example.org")
    services.access_change_approve(acting_user=second, change=change)
    assert [m.to for m in mail.outbox] == [["nia@example.org"]]


def test_an_approval_page_says_where_the_link_goes_and_the_approval_is_bound_to_it(
    admins: tuple[User, User], agencies: Any, make_user: Any
) -> None:
    first, second = admins
    page = sign_in(Client(), second)
    user = services.user_create(acting_user=first, username="new.worker", email="nia@example.org",
                                agency=agencies[AgencyKind.COUNCIL], role=Role.TRIAGE_WORKER)
    change = AccessChange.objects.get(subject=user)
    address = reverse("accounts:access-approval", args=[change.pk])
    shown = page.get(address).content.decode()
    assert "Set-up link will be e-mailed to <strong>nia@example.org</strong>" in shown
    assert "The address is as the account was made." in shown  # and who changed it, when someone has
    # A second-factor reset that sends a link says so too; one that sends none does not.
    lost = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, email="lost@example.org")
    authenticator_for(lost)
    reset = services.second_factor_reset_request(acting_user=first, user=lost, reason="Lost phone")
    reset_page = reverse("accounts:access-approval", args=[reset.pk])
    assert "Set-up link will be e-mailed" not in page.get(reset_page).content.decode()
    # The page was loaded saying no link goes anywhere; a temporary password set since makes the approval send one.
    services.password_set_temporary(acting_user=first, user=lost, password="temporary-walrus-lamp-7")
    stale = page.post(reset_page, {"decision": "approve", "set_up_link_to": ""})
    assert stale.status_code == 200 and "has changed since the page was loaded" in stale.content.decode()
    assert "Set-up link will be e-mailed to <strong>lost@example.org</strong>" in stale.content.decode()
    assert not mail.outbox and AccessChange.objects.get(pk=reset.pk).status == "pending"
    assert page.post(reset_page, {"decision": "approve", "set_up_link_to": "lost@example.org"}).status_code == 302
    assert page.post(address, {"decision": "approve", "set_up_link_to": "nia@example.org"}).status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["lost@example.org", "nia@example.org"]


def test_a_second_factor_reset_sends_no_link_to_an_address_its_asker_set(
    admins: tuple[User, User], make_user: Any, third: User
) -> None:
    """The review's second finding: an administrator changed the person's address to their own, set a temporary
    password (allowed: the person had a second factor), asked for a reset; the approver saw only 'Removed'."""
    first, second = admins
    victim = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE, email="pc@police.example")
    authenticator_for(victim)
    _edit(first, victim, email="first.admin@evil.example")
    services.password_set_temporary(acting_user=first, user=victim, password="tangerine-otter-violin-42")
    change = services.second_factor_reset_request(acting_user=first, user=victim, reason="Lost phone")
    approval = sign_in(Client(), second).get(reverse("accounts:access-approval", args=[change.pk])).content.decode()
    assert "Set-up link will be e-mailed to <strong>first.admin@evil.example</strong>" in approval
    assert "You cannot approve this" in approval and "first.admin changed" in approval
    for approver in (second, third):
        with pytest.raises(ServiceError, match=r"first\.admin changed .* e-mail address and asked for this change"):
            services.access_change_approve(acting_user=approver, change=change)
    victim.refresh_from_db()
    assert selectors.has_second_factor(victim) and not mail.outbox and not SetUpLink.objects.exists()
    # Nor does the asker change the address once asked: the approval is bound to the one asked with.
    services.access_change_refuse(acting_user=second, change=change, reason="Not their address")
    _edit(second, victim, email="pc@police.example")
    change = services.second_factor_reset_request(acting_user=first, user=victim, reason="Lost phone")
    with pytest.raises(ServiceError, match="awaits approval"):
        _edit(first, victim, email="first.admin@evil.example")
    # The address second.admin set: asked by first.admin, second.admin may not approve; third.admin may.
    with pytest.raises(ServiceError, match="You changed"):
        services.access_change_approve(acting_user=second, change=change)
    services.access_change_approve(acting_user=third, change=change)
    assert [m.to for m in mail.outbox] == [["pc@police.example"]]
    assert SetUpLink.objects.get(user=victim).sent_by == third


def test_a_reactivation_sends_no_link_to_an_address_its_asker_or_approver_set(
    admins: tuple[User, User], make_user: Any, third: User
) -> None:
    first, second = admins
    person = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE, email="pc@police.example")
    person.set_unusable_password()
    person.save()
    _edit(first, person, is_active=False)  # lowering: applies at once
    # The one who asks changes the address (in the same form, or before): no approval sends the link there.
    change = _edit(first, person, is_active=True, email="first.admin@evil.example")
    assert change is not None
    for approver in (second, third):
        with pytest.raises(ServiceError, match=r"first\.admin changed"):
            services.access_change_approve(acting_user=approver, change=change)
    services.access_change_refuse(acting_user=first, change=change, reason="Withdrawn")
    # The approver changed it: they may not approve; another, who did neither, may.
    change = _edit(first, person, is_active=True)
    assert change is not None
    services.access_change_refuse(acting_user=first, change=change, reason="The address first")
    _edit(second, person, email="second.admin@evil.example")
    change = _edit(first, person, is_active=True)
    assert change is not None
    with pytest.raises(ServiceError, match="You changed"):
        services.access_change_approve(acting_user=second, change=change)
    assert not mail.outbox
    services.access_change_approve(acting_user=third, change=change)
    assert [m.to for m in mail.outbox] == [["second.admin@evil.example"]]  # third.admin was shown it, and chose


def test_an_approval_that_would_send_a_link_to_no_address_is_refused(
    admins: tuple[User, User], make_user: Any
) -> None:
    first, second = admins
    person = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, email="", is_active=False)
    person.set_unusable_password()
    person.save()
    change = _edit(first, person, is_active=True)
    assert change is not None
    with pytest.raises(ServiceError, match="No e-mail address"):
        services.access_change_approve(acting_user=second, change=change)
    person.refresh_from_db()
    assert not person.is_active and not SetUpLink.objects.exists()


def test_changing_the_address_after_the_link_is_sent_withdraws_it_and_its_changer_cannot_send_another(
    admins: tuple[User, User], agencies: Any
) -> None:
    first, second = admins
    user = _new_account(first, second, agencies[AgencyKind.COUNCIL])
    link = _last_link()
    _edit(second, user, email="second.admin@evil.example")  # the approver, after approving
    assert _choose(Client(), link).status_code == 410
    with pytest.raises(ServiceError, match="You changed"):
        services.set_up_link_send(acting_user=second, user=user)
    assert len(mail.outbox) == 1
    user.refresh_from_db()
    assert user.email_changed_by == second
    # first.admin, shown the address on the page that sends it, may.
    assert services.set_up_link_send(acting_user=first, user=user).address == "second.admin@evil.example"


def test_who_changed_an_address_before_the_hub_recorded_it_is_read_from_the_audit_trail(
    admins: tuple[User, User], make_user: Any
) -> None:
    from importlib import import_module

    from django.apps import apps

    first, second = admins
    person = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, email="p@example.org")
    _edit(first, person, email="first@example.org")
    _edit(second, person, job_title="Analyst")  # not a change of address
    other = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, email="o@example.org")
    User.objects.update(email_changed_by=None, email_changed_at=None)
    import_module("safeguarding.accounts.migrations.0005_email_changed_by").fill_from_the_audit_trail(apps, None)
    person.refresh_from_db()
    other.refresh_from_db()
    assert person.email_changed_by == first and person.email_changed_at is not None
    assert other.email_changed_by is None


# --- a link withdrawn once a second factor is set up stays dead ----------------------------------------------


def test_a_link_stops_working_once_a_second_factor_is_set_up_and_a_reset_does_not_revive_it(
    admins: tuple[User, User], make_user: Any
) -> None:
    first, second = admins
    person = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, email="p@example.org")
    services.set_up_link_send(acting_user=first, user=person)  # a password, no second factor yet
    link = _last_link()
    device = services.authenticator_start(user=person)
    services.authenticator_confirm(user=person, device=device, token=code_at(device))
    assert SetUpLink.objects.get(user=person).withdrawn_why == "second factor set up"
    change = services.second_factor_reset_request(acting_user=first, user=person, reason="Lost phone")
    services.access_change_approve(acting_user=second, change=change)  # keeps the password they chose
    assert len(mail.outbox) == 1
    assert _choose(Client(), link).status_code == 410
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


# --- opening a link: what is written and logged --------------------------------------------------------------


def test_a_token_not_of_the_hubs_is_counted_in_a_log_line_not_audited_and_no_token_is_logged(
    admins: tuple[User, User], agencies: Any, caplog: Any
) -> None:
    _new_account(*admins, agencies[AgencyKind.COUNCIL])
    link = _last_link()
    token = link.rstrip("/").rsplit("/", 1)[1]
    if limiter := getattr(services, "_not_genuine_logged", None):
        limiter._last = -1e9  # as if none were logged in the last minute
    before = AuditEvent.objects.count()
    with caplog.at_level("WARNING"):
        for garbage in ("not-a-token-at-all", signing.dumps({"link": 999999}, salt=services.SET_UP_LINK_SALT),
                        token[:-2] + "xx"):
            refused = _choose(Client(), reverse("accounts:set-up", args=[garbage]))
            assert refused.status_code == 410
        assert AuditEvent.objects.count() == before
        assert caplog.text.count("refused: not signed by the hub") == 1  # three refused, one line in the minute
        assert _choose(Client(), link).status_code == 302
        used = _choose(Client(), link)  # a genuine link refused: audited, and logged without its token
    assert used.status_code == 410 and "already been used" in used.content.decode()
    assert AuditEvent.objects.filter(event_type=AuditEventType.SET_UP_LINK_REFUSED).count() == 1
    # A mail filter's HEAD, or a POST (no form token), is answered alike: with a redirect, never a logged refusal.
    with caplog.at_level("WARNING"):
        for method in ("head", "post", "put"):
            answer = getattr(Client(enforce_csrf_checks=True), method)(link)
            assert answer.status_code == 302 and token not in answer["Location"]
    assert "Gone" in caplog.text and token not in caplog.text


def test_the_session_keeps_the_links_id_not_its_token(admins: tuple[User, User], agencies: Any) -> None:
    from django.contrib.sessions.models import Session

    _new_account(*admins, agencies[AgencyKind.COUNCIL])
    link = _last_link()
    token = link.rstrip("/").rsplit("/", 1)[1]
    client = Client()
    assert client.get(link)["Location"] == reverse("accounts:set-up-password")
    assert client.get(reverse("accounts:set-up-password")).status_code == 200
    stored = [str(s.get_decoded()) for s in Session.objects.all()]
    assert stored and not any(token in text for text in stored)
    assert client.session["hub_set_up_link"]["link"] == SetUpLink.objects.get().pk
    # A session whose link id was not put there by opening a signed link sets nothing.
    other = Client()
    session = other.session
    session["hub_set_up_link"] = {"link": SetUpLink.objects.get().pk}
    session.save()
    assert other.get(reverse("accounts:set-up-password")).status_code == 410


def test_the_persons_page_says_when_the_link_was_e_mailed_or_that_sending_failed(
    admins: tuple[User, User], make_user: Any, monkeypatch: Any
) -> None:
    first, second = admins
    person = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, email="p@example.org")
    page = sign_in(Client(), second)
    services.set_up_link_send(acting_user=first, user=person)
    link = SetUpLink.objects.get(user=person)
    assert link.sent_at is not None
    shown = page.get(reverse("accounts:user-edit", args=[person.pk])).content.decode()
    assert f"e-mailed {timezone.localtime(link.sent_at):%-d %B %Y, %H:%M}" in shown

    def fails(*args: Any, **kwargs: Any) -> int:
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", fails)
    with pytest.raises(ConnectionRefusedError):
        services.set_up_link_send(acting_user=first, user=person)
    # Inline jobs fail with the sending; the worker runs the job after the link is made, as here.
    failed = SetUpLink.objects.create(user=person, sent_by=first, created_at=timezone.now(), address="p@example.org",
                                      expires_at=timezone.now() + dt.timedelta(hours=1))
    with pytest.raises(ConnectionRefusedError):
        services.set_up_link_email_send(failed.pk)
    failed.refresh_from_db()
    assert failed.sent_at is None and failed.send_failed_at is not None
    assert "sending it failed" in page.get(reverse("accounts:user-edit", args=[person.pk])).content.decode()


def test_an_approval_page_says_who_last_changed_the_address_a_link_would_go_to(
    admins: tuple[User, User], make_user: Any
) -> None:
    """The second administrator is the guard on where a link goes: the page tells them who set it."""
    first, second = admins
    lost = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, email="lost@example.org")
    authenticator_for(lost)
    _edit(first, lost, email="first.admin@evil.example")
    services.password_set_temporary(acting_user=first, user=lost, password="temporary-walrus-lamp-7")
    reset = services.second_factor_reset_request(acting_user=first, user=lost, reason="Lost phone")
    shown = sign_in(Client(), second).get(reverse("accounts:access-approval", args=[reset.pk])).content.decode()
    assert "Set-up link will be e-mailed to <strong>first.admin@evil.example</strong>" in shown
    assert f"The address was last changed by {first.username} on" in shown
