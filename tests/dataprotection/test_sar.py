"""Subject access requests: the clock, the extension, redaction proposals (never of the person's own
words or history), police intelligence with conditions withheld whole, and the bundle."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.utils import timezone
from pypdf import PdfReader

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.errors import ServiceError
from safeguarding.dataprotection import redaction, services
from safeguarding.dataprotection.models import SarStatus, add_months, statutory_due
from safeguarding.dataprotection.sources import Category, Item, Lexicon, ThirdParty
from safeguarding.people.models import EventType, Handling, Relationship
from safeguarding.support import services as support
from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory, UserFactory


def test_one_month_is_the_same_day_next_month_or_its_last_day() -> None:
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)
    # 4 May 2026 is the early May bank holiday: the next working day.
    assert statutory_due(dt.date(2026, 4, 4), 1) == dt.date(2026, 5, 5)


def test_proposals_never_touch_the_persons_own_words_or_values() -> None:
    lexicon = Lexicon()
    lexicon.add_own("Chloe Barker")
    lexicon.add_own("07700 900123")
    lexicon.add_own("P0000123")
    lexicon.add_third_party("Jade Morris", Category.OTHER_CHILD)
    items = [
        Item(section="s", kind="event", source="x", title="t",
             fields=[("Details", "Chloe Barker seen with Jade Morris; called 07700 900123 and 07700 900999")]),
        Item(section="s", kind="alert", source="x", title="t",  # an alert names the child and another by reference
             fields=[("Why", "P0000123 seen in YA19 ABC, linked to another child (P0000456)")]),
        Item(section="s", kind="own_words", source="x", title="t", own_words=True,
             fields=[("Your words", "Jade Morris was there too")]),
        Item(section="s", kind="relationship", source="x", title="t", fields=[("With", "Kyle Dean")],
             third_parties=[ThirdParty(0, Category.ADULT)]),
    ]
    spans = redaction.propose(items, lexicon)
    assert [(s.item, s.text, s.category) for s in spans] == [
        (0, "Jade Morris", Category.OTHER_CHILD), (0, "07700 900999", Category.IDENTIFIER),
        (1, "YA19 ABC", Category.IDENTIFIER), (1, "P0000456", Category.IDENTIFIER),
        (3, "Kyle Dean", Category.ADULT),
    ]
    text = items[0].fields[0][1]
    assert redaction.apply(text, [(s.start, s.end, s.category) for s in spans if s.item == 0]) == (
        "Chloe Barker seen with [redacted: another child]; called 07700 900123 and "
        "[redacted: something that identifies someone else]"
    )


@pytest.fixture
def dpo(agencies):  # type: ignore[no-untyped-def]
    return UserFactory(role=Role.DATA_PROTECTION_OFFICER, agency=agencies[AgencyKind.COUNCIL])


@pytest.mark.django_db
def test_a_request_from_logging_to_the_bundle_sent(dpo, agencies) -> None:  # type: ignore[no-untyped-def]
    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    child_record = SourceRecordFactory(source_system=police, record_id="NICHE-1", given_name="Chloe",
                                       family_name="Barker", phones="+447700900123")
    child = child_record.person
    adult = SourceRecordFactory(source_system=police, record_id="NICHE-2", given_name="Kyle", family_name="Dean",
                                role="adult", person=PersonFactory(given_name="Kyle", family_name="Dean", role="adult",
                                                                   date_of_birth="1990-06-06"))
    # Sent as an adult's record, of a girl of 15 by her date of birth: another child, as the hub counts her.
    SourceRecordFactory(source_system=police, record_id="NICHE-3", given_name="Jade", family_name="Morris",
                        role="adult", person=PersonFactory(given_name="Jade", family_name="Morris", role="adult",
                                                           date_of_birth="2011-05-05"))
    Relationship.objects.create(source_system=police, from_record=adult, to_record=child_record,
                                relationship="suspected_perpetrator")
    EventFactory(source_record=child_record, event_type=EventType.MISSING_EPISODE,
                 detail="Found with Kyle Dean and Jade Morris")
    EventFactory(source_record=child_record, event_type=EventType.INTELLIGENCE, handling=Handling.CONDITIONS,
                 detail="SECRET-SOURCE-TEXT")
    EventFactory(source_record=adult, event_type=EventType.INTELLIGENCE, handling=Handling.SHAREABLE,
                 other_record_ids="NICHE-1", detail="Adult seen with a girl")
    worker = UserFactory(role=Role.SUPPORT_WORKER, agency=agencies[AgencyKind.VOLUNTARY])
    plan = support.support_plan_open(acting_user=worker, person=child)
    support.survivor_words_record(acting_user=worker, plan=plan, kind="feelings",
                                  words="Kyle Dean told me nobody would believe me", said_on=timezone.localdate())

    sar = services.sar_log(acting_user=dpo, person=child, requester_name="Chloe Barker",
                           requester_relationship="the person themselves", received_on=dt.date(2026, 1, 31))
    assert sar.due_on == dt.date(2026, 3, 2)  # 28 February 2026 is a Saturday
    with pytest.raises(ServiceError, match="Verify the requester's identity first"):
        services.sar_assemble(acting_user=dpo, sar=sar)
    sar = services.sar_verify_identity(acting_user=dpo, sar=sar, verified_on=dt.date(2026, 2, 3), evidence="Passport")
    assert sar.due_on == dt.date(2026, 3, 3)
    with pytest.raises(ServiceError, match="within its first month"):
        services.sar_extend(acting_user=dpo, sar=sar, reason="Complex", today=dt.date(2026, 3, 4))
    sar = services.sar_extend(acting_user=dpo, sar=sar, reason="Records from five agencies", today=dt.date(2026, 3, 3))
    assert sar.due_on == dt.date(2026, 5, 5)  # 3 May 2026 is a Sunday, 4 May a bank holiday

    sar = services.sar_assemble(acting_user=dpo, sar=sar)
    rows = list(sar.items.all())
    withheld = [r for r in rows if r.withheld_reason]
    # The intelligence marked C, and the police's record naming Kyle Dean as a suspect, are withheld whole.
    assert len(withheld) == 2 and all(w.fields == [] for w in withheld)
    assert {w.kind for w in withheld} == {"withheld_intelligence", "withheld_police"}
    assert "handling conditions" in next(w for w in withheld if w.kind == "withheld_intelligence").withheld_reason
    proposals = {r.text for r in services.SarRedaction.objects.filter(item__request=sar)}
    assert "Kyle Dean" in proposals
    own_words = next(r for r in rows if r.own_words and r.kind == "own_words")
    assert not own_words.redactions.exists()
    with pytest.raises(ServiceError, match="still to decide"):
        services.sar_bundle_produce(acting_user=dpo, sar=sar)
    services.sar_redactions_accept_all(acting_user=dpo, sar=sar)
    bundle = services.sar_bundle_produce(acting_user=dpo, sar=sar)
    data = json.loads(bytes(bundle.data))
    text = json.dumps(data, ensure_ascii=False)
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(bundle.pdf))).pages)
    for copy in (text, pdf_text):
        assert "SECRET-SOURCE-TEXT" not in copy
        assert "Kyle Dean told me nobody would believe me" in copy  # their words, as said
        assert "Found with [redacted: another adult] and [redacted: another child]" in copy
        assert "Adult seen with a girl" in copy  # on someone else's record, about them
    assert "Contents" in pdf_text
    assert "Police intelligence" not in text  # not even that it exists: the officer is told, not the bundle
    assert "Suspected perpetrator" not in text and "Suspected perpetrator" not in pdf_text
    disclosure = services.sar_send(acting_user=dpo, sar=sar, sent_on=timezone.localdate(), recipient="Chloe Barker")
    sar.refresh_from_db()
    assert sar.status == SarStatus.SENT and disclosure.lawful_basis == "right_of_access"
    assert any("handling conditions" in w["reason"] for w in disclosure.withheld)


@pytest.mark.django_db
def test_closing_a_request_without_a_bundle_asks_are_you_sure_first(dpo, agencies) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client
    from django.urls import reverse

    from tests.factories import sign_in

    sar = services.sar_log(acting_user=dpo, person=PersonFactory(), requester_name="Chloe Barker",
                           requester_relationship="the person themselves", received_on=timezone.localdate())
    url = reverse("dataprotection:sar", args=[sar.pk])
    client = sign_in(Client(), dpo)
    withdraw = {"action": "withdraw", "withdraw-note": "The requester withdrew it by phone"}
    asked = client.post(url, withdraw).content.decode()
    assert "Are you sure you want to close this request without a bundle?" in asked
    assert "The requester withdrew it by phone" in asked and "Yes, close the request" in asked
    sar.refresh_from_db()
    assert sar.is_open
    assert client.post(url, {**withdraw, "confirm": "yes"}).status_code == 302
    sar.refresh_from_db()
    assert not sar.is_open
    worker = sign_in(Client(), UserFactory(role=Role.SUPPORT_WORKER, agency=agencies[AgencyKind.VOLUNTARY]))
    assert "Are you sure" not in worker.post(url, withdraw).content.decode()


@pytest.mark.django_db
def test_what_an_agency_sent_beyond_the_format_and_values_set_aside_are_in_the_bundle(  # type: ignore[no-untyped-def]
    dpo, agencies
) -> None:
    school = SourceSystemFactory(code="school-sims", agency=agencies[AgencyKind.EDUCATION])
    record = SourceRecordFactory(
        source_system=school, record_id="SIMS-1", given_name="Chloe", middle_names="Ann", family_name="Barker",
        date_of_birth="", raw={"source_system": "school-sims", "record_id": "SIMS-1", "given_name": "Chloe",
                               "date_of_birth": "2010-03-41", "ethnicity": "White British", "sen_status": " "},
    )
    EventFactory(source_record=record, event_type=EventType.ABSENT_FROM_SCHOOL, detail="Absent all week",
                 raw={"detail": "Absent all week", "recorded_by": "Mrs Hughes, head of year"})
    sar = services.sar_log(acting_user=dpo, person=record.person, requester_name="Chloe Barker",
                           requester_relationship="the person themselves", received_on=dt.date(2026, 1, 31))
    sar = services.sar_verify_identity(acting_user=dpo, sar=sar, verified_on=dt.date(2026, 2, 3), evidence="Passport")

    sar = services.sar_assemble(acting_user=dpo, sar=sar)

    held = {r.kind: dict(map(tuple, r.fields)) for r in sar.items.all()}
    assert held["source_record"]["Middle names"] == "Ann"
    assert held["source_record"]["Also sent: ethnicity"] == "White British"
    assert held["source_record"]["date_of_birth as sent (set aside: not usable)"] == "2010-03-41"
    assert "Also sent: sen_status" not in held["source_record"]  # nothing was sent in it
    assert "Also sent: given_name" not in held["source_record"] and "given_name as sent" not in str(held)
    assert held["event"]["Also sent: recorded_by"] == "Mrs Hughes, head of year"


@pytest.mark.django_db
def test_an_adult_suspects_bundle_does_not_tell_him_what_the_police_suspect_or_do(dpo, agencies) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client
    from django.urls import reverse

    from safeguarding.justice import services as justice
    from tests.factories import sign_in

    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    child = SourceRecordFactory(source_system=police, record_id="NICHE-1", given_name="Chloe", family_name="Barker")
    adult = SourceRecordFactory(source_system=police, record_id="NICHE-2", given_name="Kyle", family_name="Dean",
                                role="adult", person=PersonFactory(given_name="Kyle", family_name="Dean", role="adult",
                                                                   date_of_birth="1990-06-06"))
    # Sent as an adult's record, of a girl of 15 by her date of birth: another child, as the hub counts her.
    SourceRecordFactory(source_system=police, record_id="NICHE-3", given_name="Jade", family_name="Morris",
                        role="adult", person=PersonFactory(given_name="Jade", family_name="Morris", role="adult",
                                                           date_of_birth="2011-05-05"))
    Relationship.objects.create(source_system=police, from_record=adult, to_record=child,
                                relationship="suspected_perpetrator")
    EventFactory(source_record=adult, event_type=EventType.POLICE_STOP, detail="Stopped in his car, nothing found")
    officer = UserFactory(role=Role.INTELLIGENCE_OFFICER, agency=agencies[AgencyKind.POLICE])
    operation = justice.operation_open(acting_user=officer, name="Operation Willow", kind="operation",
                                       summary="Grooming at the takeaway", opened_on=timezone.localdate())
    justice.operation_add_subject(acting_user=officer, operation=operation, person=adult.person, role="suspect")
    # Looking at him on the operation's page, and on the child's network, is police work too.
    assert sign_in(Client(), officer).get(reverse("justice:operation", args=[operation.pk])).status_code == 200
    coordinator = UserFactory(role=Role.MACE_COORDINATOR, agency=agencies[AgencyKind.COUNCIL])
    assert sign_in(Client(), coordinator).get(reverse("contexts:person", args=[child.person.pk])).status_code == 200
    # And so is opening his own network: the hub records it as viewing him, with why.
    assert sign_in(Client(), officer).get(reverse("contexts:person", args=[adult.person.pk])).status_code == 200
    # And an officer reading the child's single view, which lists him as the suspect, or his own record:
    # the police looking at him, whatever the page.
    assert sign_in(Client(), officer).get(reverse("people:detail", args=[child.person.pk])).status_code == 200
    assert sign_in(Client(), officer).get(reverse("people:detail", args=[adult.person.pk])).status_code == 200
    assert AuditEvent.objects.filter(event_type=AuditEventType.PERSONS_LISTED, actor=officer,
                                     target_id=f"single view of {child.person.reference}").exists()
    # A council worker looking at his record is not police work: it stays in his bundle.
    assert sign_in(Client(), coordinator).get(reverse("people:detail", args=[adult.person.pk])).status_code == 200

    sar = services.sar_log(acting_user=dpo, person=adult.person, requester_name="Kyle Dean",
                           requester_relationship="the person themselves", received_on=timezone.localdate())
    sar = services.sar_verify_identity(acting_user=dpo, sar=sar, verified_on=timezone.localdate(), evidence="Passport")
    sar = services.sar_assemble(acting_user=dpo, sar=sar)
    withheld = [r for r in sar.items.all() if r.withheld_reason]
    police_work = [r for r in withheld if r.title == "A record of police work (withheld)"]
    assert len(withheld) == len(police_work) + 1 and len(police_work) >= 2
    assert [r.title for r in withheld if r not in police_work] == ["A relationship recorded by the police (withheld)"]
    # The officer is told what is held back and why, so the police can be asked.
    client = Client()
    sign_in(client, dpo)
    page = client.get(reverse("dataprotection:sar", args=[sar.pk])).content.decode()
    assert f"{len(withheld)} items held for the police are withheld whole" in page and "tip a suspect off" in page
    services.sar_redactions_accept_all(acting_user=dpo, sar=sar)
    bundle = services.sar_bundle_produce(acting_user=dpo, sar=sar)
    text = json.dumps(json.loads(bytes(bundle.data)), ensure_ascii=False)
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(bytes(bundle.pdf))).pages)
    for copy in (text, pdf_text):
        assert "Stopped in his car" in copy  # his own record is his
        assert "Suspected perpetrator" not in copy
        assert "investigation or operation" not in copy and "Operation Willow" not in copy
        assert "Viewed a page listing people" not in copy
        assert "network" not in copy
        assert f"{officer.username} (" not in copy  # no row names the officer
        assert f"{coordinator.username} (" in copy


@pytest.mark.django_db
def test_what_the_child_said_at_a_return_home_interview_and_the_casework_are_in_the_bundle(dpo, agencies) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.clocks.models import StepKind
    from safeguarding.clocks.services import casework_step_record, return_home_interview_record

    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    record = SourceRecordFactory(source_system=police, record_id="NICHE-1", given_name="Chloe", family_name="Barker")
    child = record.person
    ended = timezone.now() - dt.timedelta(days=3)
    episode = EventFactory(source_record=record, event_type=EventType.MISSING_EPISODE,
                           occurred_at=ended - dt.timedelta(hours=12), ended_at=ended)
    worker = UserFactory(role=Role.SUPPORT_WORKER, agency=agencies[AgencyKind.VOLUNTARY])
    return_home_interview_record(
        acting_user=worker, child=child, missing_episode=episode, outcome="held", held_at=ended + dt.timedelta(hours=20),
        interviewer="Jo Green, Children's Society", child_said="I was with my friends at the park all night",
        places_named="The bus station", people_named="Kyle Dean, who drives a grey car",
    )
    officer = UserFactory(role=Role.INTELLIGENCE_OFFICER, agency=agencies[AgencyKind.POLICE])
    casework_step_record(acting_user=officer, child=child, kind=StepKind.NRM_REFERRAL,
                         occurred_at=timezone.now() - dt.timedelta(days=2), note="Referred after the interview")
    casework_step_record(acting_user=worker, child=child, kind=StepKind.VISIT,
                         occurred_at=timezone.now() - dt.timedelta(days=1), note="She said she feels safer at home now")

    sar = services.sar_log(acting_user=dpo, person=child, requester_name="Chloe Barker",
                           requester_relationship="the person themselves", received_on=timezone.localdate())
    sar = services.sar_verify_identity(acting_user=dpo, sar=sar, verified_on=timezone.localdate(), evidence="Passport")
    sar = services.sar_assemble(acting_user=dpo, sar=sar)
    words = sar.items.get(kind="own_words", source__startswith="return home interview")
    assert words.fields == [["What you said", "I was with my friends at the park all night"]]
    assert not words.redactions.exists()  # her own words are never redacted
    proposals = {r.text for r in services.SarRedaction.objects.filter(item__request=sar)}
    assert "Kyle Dean, who drives a grey car" in proposals  # someone else she named: the officer decides
    services.sar_redactions_accept_all(acting_user=dpo, sar=sar)
    bundle = services.sar_bundle_produce(acting_user=dpo, sar=sar)
    text = json.dumps(json.loads(bytes(bundle.data)), ensure_ascii=False)
    assert "I was with my friends at the park all night" in text and "Kyle Dean" not in text
    assert "Referred to the National Referral Mechanism" in text and "Return home interviews and casework" in text
    assert "Visited the child, or did direct work with them" in text and "feels safer at home now" in text


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["suspected_perpetrator", "victim"])
def test_the_police_associate_row_of_a_pair_they_now_hold_as_suspect_and_victim_is_withheld(  # type: ignore[no-untyped-def]
    dpo, agencies, kind: str
) -> None:
    """The police first recorded Kyle Dean as Chloe's associate, then as her suspected perpetrator. The
    earlier row is theirs too, and would tell either of them what the police now suspect: it is withheld
    with the suspect row, while the council's own row about the pair is disclosed."""
    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    council = SourceSystemFactory(code="council-social-care", agency=agencies[AgencyKind.COUNCIL])
    child_record = SourceRecordFactory(source_system=police, record_id="NICHE-1", given_name="Chloe",
                                       family_name="Barker")
    child = child_record.person
    adult_person = PersonFactory(given_name="Kyle", family_name="Dean", role="adult")
    adult = SourceRecordFactory(source_system=police, record_id="NICHE-2", given_name="Kyle", family_name="Dean",
                                role="adult", person=adult_person)
    Relationship.objects.create(source_system=police, from_record=child_record, to_record=adult, relationship="associate")
    Relationship.objects.create(source_system=police, from_record=child_record, to_record=adult, relationship=kind)
    Relationship.objects.create(
        source_system=council, relationship="carer",
        from_record=SourceRecordFactory(source_system=council, record_id="CS-1", person=child),
        to_record=SourceRecordFactory(source_system=council, record_id="CS-2", role="adult", given_name="Kyle",
                                      family_name="Dean", person=adult_person))
    sar = services.sar_log(acting_user=dpo, person=child, requester_name="Chloe Barker",
                           requester_relationship="the person themselves", received_on=timezone.localdate())
    sar = services.sar_verify_identity(acting_user=dpo, sar=sar, verified_on=timezone.localdate(), evidence="Passport")
    sar = services.sar_assemble(acting_user=dpo, sar=sar)
    rows = list(sar.items.all())
    police_rows = [r for r in rows if r.source.startswith("police-records relationship")]
    assert len(police_rows) == 2 and all(r.kind == "withheld_police" and r.fields == [] for r in police_rows)
    assert "Associate" not in json.dumps([r.fields for r in rows])
    (disclosed,) = [r for r in rows if r.kind == "relationship"]
    assert disclosed.source.startswith("council-social-care relationship") and ["Relationship", "Carer"] in disclosed.fields
