"""The minutes' police-only part and the earlier drafts of both parts: who may and may not read and
write the police's words (on the meeting's page, through the services, in notices, the audit trail and
a subject access bundle), and that a redraft keeps what the minutes said before."""

from __future__ import annotations

import hashlib
import html

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role, User
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.errors import ServiceError
from safeguarding.mace import selectors, services
from safeguarding.mace.models import MinutesAddendum, MinutesVersion, PoliceMinutes
from safeguarding.notifications.models import Notification
from tests.factories import sign_in
from tests.mace.conftest import Panel
from tests.mace.test_services import discuss, held

pytestmark = pytest.mark.django_db

POLICE_WORDS = "Operation Kestrel: the driver of AB12 CDE is the suspect; arrest planned for Friday"
ABOUT_CHLOE = "Chloe was seen in the suspect's car twice last week (police intelligence, C)"


def page(user: User, panel: Panel) -> str:
    return html.unescape(sign_in(Client(), user).get(reverse("mace:meeting", args=[panel.meeting.pk])).content.decode())


def police_written(panel: Panel, by: User | None = None) -> None:
    item = panel.meeting.items.get()
    services.police_minutes_draft(acting_user=by or panel.police_chair, meeting=panel.meeting,
                                  texts={None: POLICE_WORDS, item.pk: ABOUT_CHLOE})


def seal_naming(panel: Panel, make_user, *named: User) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.dataprotection.sealing import record_seal

    dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL)
    with transaction.atomic():
        record_seal(acting_user=dpo, person=panel.child, reason="A witness", named_users=list(named))


# Who, of the panel's members, reads and writes the police-only part: the police's members only.
MATRIX = [
    ("police_chair", True),
    ("officer", True),  # a police intelligence officer on the panel
    ("police_manager", True),  # the police's manager on the panel
    ("council_chair", False),
    ("coordinator", False),  # the panel's coordinator, in the council
    ("practitioner", False),  # a council lead practitioner
    ("council_manager", False),
    ("health", False),
]


def member(panel: Panel, make_user, who: str) -> User:  # type: ignore[no-untyped-def]
    if who == "health":
        return make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.HEALTH, email="nurse@example.org")
    return getattr(panel, who)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("who", "police"), MATRIX)
def test_only_the_polices_members_of_the_panel_read_the_police_only_minutes(  # type: ignore[no-untyped-def]
    panel: Panel, make_user, who: str, police: bool
) -> None:
    held(panel)
    discuss(panel)
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="Plan agreed for Chloe.")
    police_written(panel)
    reader = member(panel, make_user, who)

    shown = page(reader, panel)

    assert "Plan agreed for Chloe." in shown  # everyone on the panel reads the minutes
    assert (POLICE_WORDS in shown) is police and (ABOUT_CHLOE in shown) is police
    assert ("Police-only minutes" in shown) is police  # nor is a non-police reader told there is a part
    assert bool(selectors.police_minutes(user=reader, meeting=panel.meeting)) is police
    viewed = AuditEvent.objects.filter(event_type=AuditEventType.POLICE_MINUTES_VIEWED, actor=reader)
    assert viewed.exists() is police


@pytest.mark.parametrize(("who", "police"), MATRIX)
def test_only_the_polices_members_of_the_panel_write_the_police_only_minutes(  # type: ignore[no-untyped-def]
    panel: Panel, make_user, who: str, police: bool
) -> None:
    held(panel)
    writer = member(panel, make_user, who)

    if police:
        police_written(panel, by=writer)
        assert set(PoliceMinutes.objects.values_list("text", flat=True)) == {POLICE_WORDS, ABOUT_CHLOE}
        assert "Save the police-only minutes" in page(writer, panel)
    else:
        with pytest.raises(ServiceError, match="Only the police co-chair or a police member"):
            police_written(panel, by=writer)
        # The page offers no form, and a form posted anyway is refused by the service.
        assert "Save the police-only minutes" not in page(writer, panel)
        client = sign_in(Client(), writer)
        client.post(reverse("mace:police-minutes", args=[panel.meeting.pk]), {"meeting": POLICE_WORDS})
        assert not PoliceMinutes.objects.exists()
        assert not AuditEvent.objects.filter(event_type=AuditEventType.POLICE_MINUTES_DRAFTED).exists()


def test_a_police_member_a_seal_keeps_out_neither_reads_nor_writes_the_police_only_minutes(  # type: ignore[no-untyped-def]
    panel: Panel, make_user
) -> None:
    held(panel)
    police_written(panel)
    seal_naming(panel, make_user, panel.police_chair)

    outside = page(panel.officer, panel)
    assert POLICE_WORDS not in outside and ABOUT_CHLOE not in outside and 'id="minutes-withheld"' in outside
    assert selectors.police_minutes(user=panel.officer, meeting=panel.meeting) == []
    with pytest.raises(ServiceError, match="sealed record that does not name you"):
        services.police_minutes_draft(acting_user=panel.officer, meeting=panel.meeting, texts={None: "Redrafted"})
    named = page(panel.police_chair, panel)
    assert POLICE_WORDS in named and ABOUT_CHLOE in named


def test_the_polices_words_reach_no_one_else_by_notice_audit_or_subject_access(panel: Panel, make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.dataprotection.assemble import gather

    held(panel)
    discuss(panel)
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="Plan agreed for Chloe.")
    police_written(panel)
    services.minutes_approve(acting_user=panel.council_chair, meeting=panel.meeting)
    page(panel.officer, panel)

    for words in (POLICE_WORDS, ABOUT_CHLOE, "Kestrel", "AB12 CDE"):
        assert not any(words in n.subject or words in n.body for n in Notification.objects.all())
        assert not any(words in m.subject or words in str(m.body) for m in mail.outbox)
        assert not any(words in str(e.detail) or words in e.reason for e in AuditEvent.objects.all())
        dpo = make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL, email=f"{words[:4]}@x.org")
        items, _ = gather(user=dpo, person=panel.child)
        assert not any(words in str(value) for i in items for _, value in i.fields)
        panel.meeting.refresh_from_db()
        assert words not in str(panel.meeting.approved_record)  # fingerprinted, not copied
    drafted = AuditEvent.objects.get(event_type=AuditEventType.POLICE_MINUTES_DRAFTED)
    assert drafted.actor == panel.police_chair and len(drafted.detail["parts"]) == 2
    # The bundle lists the part about the child as withheld police work, so the officer knows it is
    # there (as a police-owned action is); the part for the meeting as a whole is about no one child.
    withheld = [i for i in items if i.kind == "withheld_police" and "police-only minutes" in i.source]
    assert [i.title for i in withheld] == ["What the police told the panel (withheld)"]
    # Nor do the trail's rows of writing and reading the part show in it: they are police work too.
    assert not any("police-only part" in i.title for i in items), [i.title for i in items]


def test_the_police_only_minutes_are_locked_with_the_minutes_and_fingerprinted(panel: Panel) -> None:
    held(panel)
    discuss(panel)
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="Minutes")
    police_written(panel)
    meeting = services.minutes_approve(acting_user=panel.police_chair, meeting=panel.meeting)
    fingerprints = {p["sha256"] for p in meeting.approved_record["police_minutes"]}
    assert hashlib.sha256(POLICE_WORDS.encode()).hexdigest() in fingerprints

    with pytest.raises(ServiceError, match="approved and locked"):
        services.police_minutes_draft(acting_user=panel.police_chair, meeting=meeting, texts={None: "Rewritten"})
    # A change made behind the hub's back shows against the approved hash.
    PoliceMinutes.objects.filter(item__isnull=True).update(text="Rewritten behind the hub's back")
    assert services.record_hash(services.meeting_record(meeting)) != meeting.approved_hash


def test_a_meetings_minutes_approved_before_the_police_only_part_keep_their_hash(panel: Panel) -> None:
    held(panel)
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="Minutes")
    meeting = services.minutes_approve(acting_user=panel.police_chair, meeting=panel.meeting)
    assert "police_minutes" not in meeting.approved_record
    assert services.record_hash(services.meeting_record(meeting)) == meeting.approved_hash


def test_the_police_only_minutes_need_the_meeting_held_and_cannot_be_emptied(panel: Panel) -> None:
    services.agenda_build(acting_user=panel.coordinator, meeting=panel.meeting)
    with pytest.raises(ServiceError, match="not been held yet"):
        police_written(panel)
    held(panel)
    police_written(panel)
    with pytest.raises(ServiceError, match="cannot be emptied"):
        services.police_minutes_draft(acting_user=panel.officer, meeting=panel.meeting, texts={None: "  "})
    with pytest.raises(ServiceError, match="a child on this meeting's agenda"):
        services.police_minutes_draft(acting_user=panel.officer, meeting=panel.meeting, texts={10**6: "About"})
    assert PoliceMinutes.objects.get(item__isnull=True).text == POLICE_WORDS


# --- the earlier drafts ---------------------------------------------------------------------------


def test_a_redraft_of_the_minutes_keeps_what_they_said_before(panel: Panel) -> None:
    held(panel)
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="First draft: plan agreed")
    services.minutes_draft(acting_user=panel.council_chair, meeting=panel.meeting, text="Second draft: plan agreed")
    services.minutes_draft(acting_user=panel.council_chair, meeting=panel.meeting, text="Second draft: plan agreed")

    [version] = MinutesVersion.objects.all()  # an unchanged redraft keeps nothing twice
    assert version.text == "First draft: plan agreed" and version.police_part is None
    assert version.written_by == panel.coordinator and version.replaced_by == panel.council_chair
    redrafted = AuditEvent.objects.filter(event_type=AuditEventType.MINUTES_REDRAFTED).get()
    assert redrafted.actor == panel.council_chair and redrafted.detail["version"] == version.pk
    # Every member who reads the minutes reads the earlier draft beside them.
    shown = page(panel.practitioner, panel)
    assert "First draft: plan agreed" in shown and "Second draft: plan agreed" in shown
    services.minutes_approve(acting_user=panel.police_chair, meeting=panel.meeting)
    assert "First draft: plan agreed" in page(panel.council_manager, panel)


def test_the_earlier_drafts_are_kept_from_a_member_a_seal_keeps_out(panel: Panel, make_user) -> None:  # type: ignore[no-untyped-def]
    held(panel)
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="First draft")
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="Second draft")
    seal_naming(panel, make_user, panel.council_chair)
    assert "First draft" not in page(panel.practitioner, panel)
    assert selectors.minutes_versions(user=panel.practitioner, meeting=panel.meeting) == []
    assert "First draft" in page(panel.council_chair, panel)


def test_a_redraft_of_the_police_only_minutes_keeps_the_earlier_text_for_police_readers_only(panel: Panel) -> None:
    held(panel)
    police_written(panel)
    services.police_minutes_draft(acting_user=panel.officer, meeting=panel.meeting,
                                  texts={None: "Operation Kestrel: arrest moved to Monday"})

    [version] = MinutesVersion.objects.all()
    assert version.text == POLICE_WORDS and version.police_part is not None
    assert version.written_by == panel.police_chair and version.replaced_by == panel.officer
    drafted = AuditEvent.objects.filter(event_type=AuditEventType.POLICE_MINUTES_DRAFTED).order_by("pk").last()
    assert drafted is not None and drafted.detail["parts"] == [
        {"item": None, "characters": len("Operation Kestrel: arrest moved to Monday"), "version": version.pk}]
    police = page(panel.police_manager, panel)
    assert POLICE_WORDS in police and "arrest moved to Monday" in police
    council = page(panel.practitioner, panel)
    assert "Kestrel" not in council and "Earlier drafts" not in council
    assert selectors.minutes_versions(user=panel.police_chair, meeting=panel.meeting) == []  # not the shared minutes'


POLICE_CORRECTION = "Correction: the suspect's car is AB12 CDF, not AB12 CDE"


@pytest.mark.parametrize(("who", "police"), MATRIX)
def test_after_approval_the_police_add_to_their_part_in_a_police_only_addendum(  # type: ignore[no-untyped-def]
    panel: Panel, make_user, who: str, police: bool
) -> None:
    """Once the minutes are locked, a correction goes beside them as an addendum, which every member
    reads: the police's own correction needs an addendum of their part's readers only."""
    held(panel)
    discuss(panel)
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="Plan agreed for Chloe.")
    police_written(panel)
    services.minutes_approve(acting_user=panel.council_chair, meeting=panel.meeting)
    services.minutes_addendum_add(acting_user=panel.police_chair, meeting=panel.meeting, text=POLICE_CORRECTION,
                                  police_only=True)
    services.minutes_addendum_add(acting_user=panel.coordinator, meeting=panel.meeting, text="Shared correction")
    reader = member(panel, make_user, who)

    shown = page(reader, panel)

    assert "Shared correction" in shown  # every member reads the shared addenda
    assert (POLICE_CORRECTION in shown) is police
    assert ("Police only: add to the police-only minutes" in shown) is police  # the box is offered to them alone
    if police:
        sign_in(Client(), reader).post(reverse("mace:addendum", args=[panel.meeting.pk]),
                                       {"text": "A second police note", "police_only": "on"})
        assert MinutesAddendum.objects.get(text="A second police note").police_only
    else:
        with pytest.raises(ServiceError, match="Only the police co-chair or a police member"):
            services.minutes_addendum_add(acting_user=reader, meeting=panel.meeting, text="x", police_only=True)
        # A form posted with the box anyway, by someone not offered it, is refused: nothing is added, neither
        # police-only nor (what its writer did not mean) to the minutes every member reads.
        refused = sign_in(Client(), reader).post(reverse("mace:addendum", args=[panel.meeting.pk]),
                                                 {"text": "Posted anyway", "police_only": "on"}, follow=True)
        assert not MinutesAddendum.objects.filter(text="Posted anyway").exists()
        assert "Only the police co-chair or a police member" in refused.content.decode()


def test_a_police_only_addendum_is_kept_from_a_police_member_a_seal_keeps_out(panel: Panel, make_user) -> None:  # type: ignore[no-untyped-def]
    held(panel)
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="Minutes")
    services.minutes_approve(acting_user=panel.council_chair, meeting=panel.meeting)
    services.minutes_addendum_add(acting_user=panel.police_chair, meeting=panel.meeting, text=POLICE_CORRECTION,
                                  police_only=True)
    seal_naming(panel, make_user, panel.police_chair)
    assert POLICE_CORRECTION not in page(panel.officer, panel)
    with pytest.raises(ServiceError, match="sealed record that does not name you"):
        services.minutes_addendum_add(acting_user=panel.officer, meeting=panel.meeting, text="x", police_only=True)
    assert POLICE_CORRECTION in page(panel.police_chair, panel)


def test_the_minutes_of_a_long_meeting_are_kept_whole(panel: Panel) -> None:
    """The form takes 50,000 characters; the service refused anything over 10,000, a long agenda's minutes."""
    held(panel)
    long = "Discussed at length. " * 1_000  # 21,000 characters
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text=long)
    panel.meeting.refresh_from_db()
    assert panel.meeting.minutes == long.strip()
    with pytest.raises(ServiceError, match="50,000 characters or fewer"):
        services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="x" * 50_001)


PASTED = "Plan agreed. Operation Kestrel: the driver of AB12 CDE is the suspect"


@pytest.mark.parametrize(("who", "police"), MATRIX)
def test_the_police_withhold_an_earlier_draft_that_held_their_words(  # type: ignore[no-untyped-def]
    panel: Panel, make_user, who: str, police: bool
) -> None:
    """The police's words pasted into the minutes every member reads, then redrafted out: the earlier
    draft kept them before every member for good. The police withhold it; they alone still read it."""
    held(panel)
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text=PASTED)
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="Plan agreed.")
    version = MinutesVersion.objects.get()
    reader = member(panel, make_user, who)
    assert PASTED in page(reader, panel)  # before: every member reads the earlier draft

    if police:
        client = sign_in(Client(), reader)
        client.post(reverse("mace:minutes-version-withhold", args=[panel.meeting.pk, version.pk]),
                    {"reason": "Held police words"})
        assert PASTED in page(reader, panel) and "Held police words" in page(reader, panel)
    else:
        with pytest.raises(ServiceError, match="Only the police co-chair or a police member"):
            services.minutes_version_withhold(acting_user=reader, version=version, reason="x")
        sign_in(Client(), reader).post(reverse("mace:minutes-version-withhold", args=[panel.meeting.pk, version.pk]),
                                       {"reason": "x"})
        assert MinutesVersion.objects.get().withheld_at is None
        services.minutes_version_withhold(acting_user=panel.police_chair, version=version, reason="Held police words")
        shown = page(reader, panel)
        assert PASTED not in shown and "Held police words" not in shown
        assert "The police withheld this draft" in shown
    assert AuditEvent.objects.filter(event_type=AuditEventType.MINUTES_DRAFT_WITHHELD).count() == 1
    with pytest.raises(ServiceError, match="withheld already"):
        services.minutes_version_withhold(acting_user=panel.police_chair, version=version, reason="Again")


def test_minutes_redrafted_after_the_co_chair_opened_the_page_are_not_approved_unread(panel: Panel) -> None:
    """The council co-chair opens the meeting to approve the minutes; meanwhile the coordinator redrafts
    them. Pressing approve on the page read before is refused, saying why; approved from the page read
    again, the minutes lock. Before, the redraft was approved and locked unread."""
    from safeguarding.mace.models import MeetingStatus

    held(panel)
    discuss(panel)
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting, text="Plan agreed for Chloe.")
    chair = sign_in(Client(), panel.council_chair)
    meeting_url = reverse("mace:meeting", args=[panel.meeting.pk])
    read = chair.get(meeting_url).context["approve_based_on"]
    assert read and f'name="based_on" value="{read}"' in chair.get(meeting_url).content.decode()
    services.minutes_draft(acting_user=panel.coordinator, meeting=panel.meeting,
                           text="Plan agreed for Chloe. Disruption of the takeaway to be discussed next time.")
    approve = reverse("mace:approve", args=[panel.meeting.pk])
    refused = chair.post(approve, {"based_on": read, "confirm": "yes"}, follow=True).content.decode()
    assert "changed after you opened the page" in html.unescape(refused)
    panel.meeting.refresh_from_db()
    assert panel.meeting.status == MeetingStatus.MINUTES_DRAFTED
    # A request without the page's fingerprint (made by hand) approves nothing unread either.
    for without in ({"confirm": "yes"}, {"based_on": "", "confirm": "yes"}):
        refused = chair.post(approve, without, follow=True).content.decode()
        assert "changed after you opened the page" in html.unescape(refused)
        panel.meeting.refresh_from_db()
        assert panel.meeting.status == MeetingStatus.MINUTES_DRAFTED
    again = chair.get(meeting_url).context["approve_based_on"]
    chair.post(approve, {"based_on": again, "confirm": "yes"})
    panel.meeting.refresh_from_db()
    assert panel.meeting.status == MeetingStatus.LOCKED and "Disruption of the takeaway" in panel.meeting.minutes
