"""E-mail through a real SMTP server started by the test on loopback (aiosmtpd): what is sent, to
whom, that no child's name is in it, and that each user sees what was sent to them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.notifications.models import Notification, NotificationKind
from safeguarding.notifications.services import NamedChildError, notify
from safeguarding.panel.services import panel_refer
from tests.conftest import Inbox
from tests.factories import PersonFactory, sign_in

pytestmark = pytest.mark.django_db


def test_a_referral_is_sent_to_the_coordinators_over_smtp_without_the_childs_name(smtp: Inbox, make_user) -> None:  # type: ignore[no-untyped-def]
    referrer = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL, email="triage@example.org")
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL, email="mace@example.org")
    make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL, email="", username="no-address")
    child = PersonFactory(given_name="Chloe", family_name="Barker")
    referral = panel_refer(child=child, referred_by=referrer, reason="Chloe Barker was seen with adults")
    [(to, message)] = smtp.messages
    assert to == ["mace@example.org"]
    body = message.get_payload(decode=True).decode()
    assert message["Subject"] == f"Referral {referral.reference} received by the panel"
    assert f"/panel/{referral.pk}/" in body
    assert "Chloe" not in body and "Barker" not in body and "Chloe" not in message["Subject"]
    sent = Notification.objects.get(recipient=coordinator)
    assert sent.sent_at is not None and sent.address == "mace@example.org"
    unsent = Notification.objects.get(recipient__username="no-address")
    assert unsent.sent_at is None and unsent.failure == "No e-mail address is recorded for this user"


def test_a_text_naming_the_child_is_never_sent(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    with pytest.raises(NamedChildError):
        notify(recipients=[user], kind=NotificationKind.ALLOCATED, subject="Work for you",
               body="Please see chloe  barker today".replace("  ", " "), keep_out=["Chloe Barker"])
    assert not Notification.objects.exists()


def test_each_user_sees_only_what_was_sent_to_them(make_user) -> None:  # type: ignore[no-untyped-def]
    me = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    other = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    notify(recipients=[me], kind=NotificationKind.ALLOCATED, subject="Mine to read", body="x", link="/mace/work/")
    notify(recipients=[other], kind=NotificationKind.ALLOCATED, subject="Someone else's", body="y")
    client = Client()
    sign_in(client, me)
    page = client.get(reverse("notifications:mine")).content.decode()
    assert "Mine to read" in page and "Someone else&#x27;s" not in page and "Someone else's" not in page


def test_a_given_name_that_is_an_ordinary_word_does_not_stop_a_referral(make_user) -> None:  # type: ignore[no-untyped-def]
    coordinator = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory(given_name="Will", family_name="Referred")
    panel_refer(child=child, referred_by=coordinator, reason="x")  # "will be on the agenda", "has been referred"
    assert Notification.objects.filter(kind=NotificationKind.REFERRAL_RECEIVED).count() == 1


def test_a_notice_about_a_child_under_no_seal_reads_the_seals_once_whoever_it_goes_to(make_user) -> None:  # type: ignore[no-untyped-def]
    """The seals are asked once for the notice, not for each recipient: a referral goes to every
    coordinator in the partnership."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    child = PersonFactory()

    def queries(recipients: int) -> int:
        users = [make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL) for _ in range(recipients)]
        with CaptureQueriesContext(connection) as captured:
            notify(recipients=users, kind=NotificationKind.ALLOCATED, subject="Work for you", body="x", about=child.pk)
        return sum("sealedrecord" in q["sql"] for q in captured.captured_queries)

    assert queries(1) == queries(6) == 1
    assert Notification.objects.count() == 7


def test_a_referral_to_licensing_is_read_whole_on_messages_sent_to_me_as_the_email_carries_it(  # type: ignore[no-untyped-def]
    smtp: Inbox, make_user
) -> None:
    """A referral to licensing has no page the licensing officer may open (the police's disruption
    record is not theirs): what it says, and whom to contact, is in its text, which the officer reads
    on *Messages sent to me* even when no e-mail could be sent; the text is the e-mail's, word for word.
    Another user's messages are not on the page."""
    import datetime as dt

    from safeguarding.justice.services import disruption_record
    from safeguarding.people.models import PersonRole

    officer = make_user(role=Role.INTELLIGENCE_OFFICER, agency_kind=AgencyKind.POLICE, email="intel@example.org")
    no_address = make_user(role=Role.REFERRER, agency_kind=AgencyKind.LICENSING, email="", username="taxi.licensing")
    with_address = make_user(role=Role.REFERRER, agency_kind=AgencyKind.LICENSING, email="lic@example.org")
    notify(recipients=[officer], kind=NotificationKind.ALLOCATED, subject="Work for the officer",
           body="Only the officer's to read", link="/mace/work/")
    adult = PersonFactory(role=PersonRole.ADULT, date_of_birth="1975-05-05")
    referral = disruption_record(acting_user=officer, kind="licensing_referral", adult=adult, child=None,
                                 served_on=dt.date(2025, 6, 1), detail="Drives for Star Cars")
    [message] = [m for to, m in smtp.messages if to == [with_address.email]]
    emailed = message.get_payload(decode=True).decode().replace("\r\n", "\n")
    assert f"{officer.display_name} (" in emailed and "contact them" in emailed

    page = sign_in(Client(), no_address).get(reverse("notifications:mine")).content.decode()
    assert f"Referral to licensing {referral.reference}" in page and "Not sent" in page
    told = Notification.objects.get(recipient=no_address)
    assert told.body.strip() == emailed.strip()  # the same words as the e-mail
    for line in told.body.strip().splitlines():
        assert escape(line) in page
    assert "Only the officer" not in page and "Star Cars" not in page
    assert "Open the link" not in emailed  # there is none: the text says all it has to say
