"""The front door's pages as users meet them: the triage queue and the decisions made, each a list
with its true count, pages, filters and (the queue) a CSV download; a referrer's own concerns."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.frontdoor.models import DecisionOutcome
from safeguarding.frontdoor.services import concern_raise, triage_decide
from tests.factories import PersonFactory, sign_in

pytestmark = pytest.mark.django_db


def test_triage_queue_and_decisions_are_lists_of_their_own(make_user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LIST_PAGE_SIZE = 5
    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    nurse = make_user(role=Role.REFERRER, agency_kind=AgencyKind.HEALTH)
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    concerns = [
        concern_raise(raised_by=school if n % 2 else nurse, child=PersonFactory(), seen_on=timezone.localdate(),
                      description=f"concern {n}", immediate_danger=n < 3)
        for n in range(13)
    ]
    for concern in concerns[:7]:
        triage_decide(acting_user=triage, concern=concern, outcome=DecisionOutcome.EARLY_HELP, reason="")
    client = sign_in(Client(), triage)

    page = client.get(reverse("frontdoor:queue"))
    assert page.context["waiting"].total == 6 and page.context["decided"].total == 7
    body = page.content.decode()
    assert "6 concerns awaiting a decision" in body and "7 decisions" in body
    second = client.get(reverse("frontdoor:queue"), {"decided-page": "2"})
    assert len(second.context["decided"].items) == 2 and second.context["waiting"].page == 1
    assert set(second.context["decided"].items).isdisjoint(page.context["decided"].items)

    from_school = client.get(reverse("frontdoor:queue"), {"agency": str(school.agency_id)})
    assert {c.agency_id for c in from_school.context["waiting"].items} == {school.agency_id}
    urgent = client.get(reverse("frontdoor:queue"), {"priority": "urgent"})
    assert urgent.context["waiting"].total == 0  # the three urgent ones were decided

    download = client.get(reverse("frontdoor:queue"), {"download": "csv"})
    lines = download.content.decode().strip().splitlines()
    assert lines[0].startswith("Concern,Urgent,Child's hub reference") and len(lines) == 7
    audit = AuditEvent.objects.get(event_type=AuditEventType.LIST_DOWNLOADED, target_id="triage queue")
    assert audit.detail["rows"] == 6 and len(audit.detail["persons"]) == 6


def test_a_referrer_pages_through_their_own_concerns(make_user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LIST_PAGE_SIZE = 4
    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    for n in range(6):
        concern_raise(raised_by=school, child=PersonFactory(), seen_on=timezone.localdate(), description=f"c{n}")
    client = sign_in(Client(), school)
    first = client.get(reverse("frontdoor:mine"))
    assert "6 concerns" in first.content.decode() and len(first.context["concerns"].items) == 4
    assert len(client.get(reverse("frontdoor:mine"), {"page": "2"}).context["concerns"].items) == 2
    assert "download=csv" not in first.content.decode()


# --- raising a concern: who else is involved, parents and consent, the referrer's contact (issue 16) ---


def _date(prefix: str, day: object) -> dict[str, str]:
    return {f"{prefix}_0": str(day.day), f"{prefix}_1": str(day.month), f"{prefix}_2": str(day.year)}  # type: ignore[attr-defined]


def _raise_url(user, child) -> str:  # type: ignore[no-untyped-def]
    from safeguarding.frontdoor import selectors

    return f"{reverse('frontdoor:raise')}?child={selectors.raise_token(user=user, person=child)}"


FULL = {
    "description": "Got into a silver car with an older man after school", "location": "School gates",
    "people_involved": "'Jay', about 20, tattoo on his neck", "vehicles_involved": "Silver Audi YX12 ABC",
    "places_involved": "Flat above the takeaway, Main Street", "parents_told": "no",
    "parents_not_told_reason": "Her stepfather may be involved", "consent": "not_sought",
    "consent_reason": "Asking would put her at risk", "referrer_role": "Head of year",
    "referrer_phone": "01632 960 001", "referrer_email": "head@school.example",
}


def test_a_concern_is_sent_with_who_else_is_involved_and_read_by_those_who_may(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.frontdoor.models import Concern

    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    nurse = make_user(role=Role.REFERRER, agency_kind=AgencyKind.HEALTH)
    child = PersonFactory()
    client = sign_in(Client(), school)
    checking = client.post(_raise_url(school, child), {**_date("seen_on", timezone.localdate()), **FULL})
    assert checking.status_code == 302 and not Concern.objects.exists()  # checked first, nothing sent yet
    sent = client.post(checking["Location"])
    assert sent.status_code == 302
    concern = Concern.objects.get()
    assert concern.vehicles_involved == "Silver Audi YX12 ABC" and concern.consent == "not_sought"
    assert concern.referrer_phone == "01632 960 001" and concern.parents_told == "no"
    assert AuditEvent.objects.filter(event_type=AuditEventType.CONCERN_RAISED, target_id=str(concern.pk)).exists()

    for reader in (triage, school):
        body = sign_in(Client(), reader).get(reverse("frontdoor:detail", args=[concern.pk])).content.decode()
        for shown in ("Silver Audi YX12 ABC", "Flat above the takeaway", "tattoo on his neck",
                      "Why not: Her stepfather may be involved", "Consent was not asked for",
                      "Why shared without consent: Asking would put her at risk", "01632 960 001",
                      "mailto:head@school.example", "Head of year"):
            assert shown in body, shown
    hidden = sign_in(Client(), nurse).get(reverse("frontdoor:detail", args=[concern.pk]))
    assert hidden.status_code == 404 and "Silver Audi" not in hidden.content.decode()


def test_an_empty_concern_shows_every_problem_inline_and_in_the_summary(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.frontdoor.models import Concern

    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    client = sign_in(Client(), school)
    url = _raise_url(school, PersonFactory())
    page = client.post(url, {"description": "x" * 100_000, "parents_told": "no", "consent": "refused",
                             "referrer_phone": "call me"})
    body = page.content.decode()
    assert page.status_code == 200 and not Concern.objects.exists()
    summary = body[body.index("govuk-error-summary"):body.index("</ul>", body.index("govuk-error-summary"))]
    for message, anchor in [
        ("Enter the date you saw this, or were told", "#id_seen_on_0"),
        ("Your answer must be 10000 characters or fewer", "#id_description"),
        ("Say why the child&#x27;s parents or carers have not been told", "#id_parents_not_told_reason"),
        ("Say why the concern is shared without consent", "#id_consent_reason"),
        ("Enter your job title", "#id_referrer_role"),
        ("Enter a phone number, like 01632 960 001 or 07700 900 982", "#id_referrer_phone"),
    ]:
        assert f'href="{anchor}">{message}</a>' in summary, message
        assert f'<span class="govuk-visually-hidden">Error:</span> {message}' in body, message  # and beside the field
    assert "This field is required" not in body and "Ensure this value" not in body
    # what was typed stays, and the limits are shown as character counts
    assert "call me" in body
    assert 'data-module="govuk-character-count" data-maxlength="2000"' in body


def test_a_new_child_born_in_the_future_or_an_adult_is_refused_with_every_other_problem(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.frontdoor.models import Concern
    from safeguarding.people.models import Person

    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    client = sign_in(Client(), school)
    people_before = Person.objects.count()
    page = client.post(reverse("frontdoor:raise-new-child"), {
        "child-given_name": "Chloe", "child-family_name": "Barker", "child-date_of_birth_0": "11",
        "child-date_of_birth_1": "7", "child-date_of_birth_2": "2029", "child-nhs_number": "1234567890",
        **_date("seen_on", timezone.localdate()), "description": "Seen in a car", "parents_told": "yes",
        "consent": "given", "referrer_role": "Teacher",
    })
    body = page.content.decode()
    assert page.status_code == 200 and not Concern.objects.exists() and Person.objects.count() == people_before
    assert 'href="#id_child-date_of_birth_0">Date of birth must be in the past</a>' in body
    assert "Enter a real NHS number, like 943 476 5919, or leave it blank</a>" in body
    assert 'href="#id_referrer_phone">Enter a phone number the front door can call you on</a>' in body

    adult = client.post(reverse("frontdoor:raise-new-child"), {
        "child-given_name": "Chloe", "child-family_name": "Barker",
        **_date("child-date_of_birth", timezone.localdate().replace(year=timezone.localdate().year - 30)),
        **_date("seen_on", timezone.localdate()), **FULL,
    })
    assert "The child must be under 18" in adult.content.decode() and not Concern.objects.exists()

    checking = client.post(reverse("frontdoor:raise-new-child"), {
        "child-given_name": "Chloe", "child-family_name": "Barker", "child-date_of_birth_0": "11",
        "child-date_of_birth_1": "7", "child-date_of_birth_2": str(timezone.localdate().year - 12),
        **_date("seen_on", timezone.localdate()), **FULL,
    })
    assert checking.status_code == 302 and not Concern.objects.exists() and Person.objects.count() == people_before
    sent = client.post(checking["Location"])
    assert sent.status_code == 302
    assert Concern.objects.get().places_involved == "Flat above the takeaway, Main Street"


def test_after_a_search_finds_nobody_the_new_child_starts_with_what_was_typed(make_user) -> None:  # type: ignore[no-untyped-def]
    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    client = sign_in(Client(), school)
    search = {"family_name": "Nobodyson", "given_name": "Kai", "date_of_birth_0": "11", "date_of_birth_1": "7",
              "date_of_birth_2": "2014", "postcode": "S60"}
    found = client.get(reverse("frontdoor:raise-find"), search).content.decode()
    link = re.search(r'href="([^"]*/raise/new-child/[^"]*)">Enter the child', found)
    assert link is not None
    page = client.get(link.group(1).replace("&amp;", "&"))
    initial = page.context["child_form"].initial
    assert initial == {"given_name": "Kai", "family_name": "Nobodyson", "date_of_birth": dt.date(2014, 7, 11)}
    body = page.content.decode()
    assert 'name="child-family_name" type="text" value="Nobodyson"' in body
    assert 'name="child-date_of_birth_2" type="text" inputmode="numeric" value="2014"' in body
    assert 'value="S60"' not in body  # a part of a postcode is for searching, not for a new record


# --- check your answers before a concern is sent (issue 16) ------------------------------------------


def test_a_concern_is_checked_before_it_is_sent_and_change_keeps_every_answer(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.frontdoor.models import Concern

    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    client = sign_in(Client(), school)
    child = PersonFactory(given_name="Chloe", family_name="Barker")
    url = _raise_url(school, child)
    seen = timezone.localdate() - dt.timedelta(days=3)
    checking = client.post(url, {**_date("seen_on", seen), **FULL, "indicators": ["cars"], "immediate_danger": "on"})
    assert checking.status_code == 302 and not Concern.objects.exists()
    page = client.get(checking["Location"])
    body = page.content.decode()
    assert "<title>Check your answers before sending your concern" in body and "Chloe Barker" in body
    rows = {row["name"]: row["value"] for row in page.context["sections"][0][1]}
    assert rows["seen_on"] == f"{seen.day} {seen.strftime('%B %Y')}"  # a GOV.UK date
    assert rows["parents_told"] == "No" and rows["consent"] == "Consent was not asked for"
    assert rows["immediate_danger"] == "Yes" and rows["indicators"] == ["Getting into cars with unknown adults"]
    assert f"{seen.day} {seen.strftime('%B %Y')}" in body and "Silver Audi YX12 ABC" in body
    change = re.search(r'href="([^"#]+)#id_vehicles_involved">Change', body)
    assert change is not None and not Concern.objects.exists()

    form = client.get(change.group(1).replace("&amp;", "&")).content.decode()  # "Change": the form again, every answer as it was
    assert "Silver Audi YX12 ABC</textarea>" in form and 'value="01632 960 001"' in form
    assert re.search(r'value="not_sought"\s+checked', form) and re.search(r'value="cars"\s+checked', form)
    assert f'name="seen_on_2" type="text" inputmode="numeric" value="{seen.year}"' in form
    again = client.post(url, {**_date("seen_on", seen), **FULL, "vehicles_involved": "Blue Ford KX15 DEF"})
    assert "Blue Ford KX15 DEF" in client.get(again["Location"]).content.decode()
    sent = client.post(again["Location"])
    concern = Concern.objects.get()
    assert sent["Location"] == reverse("frontdoor:raised", args=[concern.pk])
    assert concern.vehicles_involved == "Blue Ford KX15 DEF" and concern.child_id == child.pk
    assert not concern.urgent  # the second answers replaced the first


def test_send_twice_sends_one_concern_and_the_second_shows_the_first(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.frontdoor.models import Concern

    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    client = sign_in(Client(), school)
    checking = client.post(_raise_url(school, PersonFactory()), {**_date("seen_on", timezone.localdate()), **FULL})
    first = client.post(checking["Location"])
    second = client.post(checking["Location"])
    assert Concern.objects.count() == 1
    assert first["Location"] == second["Location"] == reverse("frontdoor:raised", args=[Concern.objects.get().pk])
    assert client.get(checking["Location"]).status_code == 404  # the checked answers are gone with the token


def test_a_new_child_and_concern_sent_twice_at_once_records_one_child_and_one_concern(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.frontdoor.models import Concern
    from safeguarding.people.models import Person

    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    client = sign_in(Client(), school)
    people_before = Person.objects.count()
    checking = client.post(reverse("frontdoor:raise-new-child"), {
        "child-given_name": "Kai", "child-family_name": "Nobodyson", "child-sex": "M",
        **_date("child-date_of_birth", timezone.localdate().replace(year=timezone.localdate().year - 12)),
        **_date("seen_on", timezone.localdate()), **FULL,
    })
    assert checking["Location"] == reverse("frontdoor:raise-new-child-check")
    body = client.get(checking["Location"]).content.decode()
    assert "The child" in body and "Nobodyson" in body and "Male" in body
    assert Person.objects.count() == people_before
    change = client.get(f"{reverse('frontdoor:raise-new-child')}?change=1").content.decode()
    assert 'name="child-family_name" type="text" value="Nobodyson"' in change and "Silver Audi YX12 ABC" in change

    pending = client.session["frontdoor.pending"]  # as a second request read it while the first was sending
    assert client.post(checking["Location"]).status_code == 302
    session = client.session
    session["frontdoor.pending"], session["frontdoor.sent"] = pending, {}
    session.save()
    refused = client.post(checking["Location"])
    assert refused.status_code == 200 and "already been used" in refused.content.decode()
    assert Concern.objects.count() == 1 and Person.objects.count() == people_before + 1


def test_checked_answers_are_the_users_own_and_name_only_the_tokens_child(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.frontdoor import selectors
    from safeguarding.frontdoor.models import Concern

    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    other = make_user(role=Role.REFERRER, agency_kind=AgencyKind.HEALTH)
    analyst = make_user(role=Role.PARTNERSHIP_MANAGER)
    child, another = PersonFactory(), PersonFactory()
    client = sign_in(Client(), school)
    checking = client.post(_raise_url(school, child), {**_date("seen_on", timezone.localdate()), **FULL})
    # another referrer with the same address, or a role that does not raise concerns, gets nothing
    assert sign_in(Client(), other).post(checking["Location"]).status_code == 404
    assert sign_in(Client(), analyst).get(checking["Location"]).status_code in (403, 404)
    # a token for another child has no checked answers: back to its form, nothing sent
    other_check = f"{reverse('frontdoor:raise-check')}?child={selectors.raise_token(user=school, person=another)}"
    assert client.post(other_check).status_code == 302 and not Concern.objects.exists()
    # what is posted with "Send" is not read: the checked answers are sent, about the token's child
    client.post(checking["Location"], {"description": "Forged", "child": str(another.pk)})
    concern = Concern.objects.get()
    assert concern.child_id == child.pk and concern.description == FULL["description"]


def test_the_figures_show_concerns_month_by_month_with_no_one_named(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.core.calendar import ENGLAND
    from safeguarding.frontdoor.models import Concern

    referrer = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    child = PersonFactory(given_name="Chloe", family_name="Barker")
    raised = [concern_raise(raised_by=referrer, child=child, seen_on=timezone.localdate(), description=f"worry {n}",
                            immediate_danger=n == 0) for n in range(3)]
    triage_decide(acting_user=triage, concern=raised[0], outcome=DecisionOutcome.EARLY_HELP)
    Concern.objects.filter(pk=raised[2].pk).update(raised_at=dt.datetime(2026, 1, 31, 23, 30, tzinfo=ENGLAND))
    Concern.objects.filter(pk__in=[raised[0].pk, raised[1].pk]).update(
        raised_at=dt.datetime(2026, 3, 1, 0, 30, tzinfo=ENGLAND))  # 1 March in England, still February in UTC
    manager = make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL)
    page = sign_in(Client(), manager).get(reverse("frontdoor:figures"))
    assert page.context["figures"].by_month == [(dt.date(2026, 1, 1), 1, 0, 0), (dt.date(2026, 3, 1), 2, 1, 1)]
    body = page.content.decode()
    assert "March 2026" in body and "Chloe" not in body


def test_a_decision_of_assessment_shows_its_45_working_day_clock_on_the_single_view_at_once(  # type: ignore[no-untyped-def]
    make_user,
) -> None:
    """README: an assessment within 45 working days of referral (a front-door decision of assessment is
    the referral). The triage worker decides, opens the child: the clock is there, not after the
    worker's next run (nor never, as an incremental run once left it)."""
    from safeguarding.clocks.models import ClockKind, ClockStatus, StatutoryClock
    from safeguarding.clocks.services import clocks_refresh

    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    concern = concern_raise(raised_by=school, child=PersonFactory(), seen_on=timezone.localdate(), description="x")
    clocks_refresh()  # the worker has run before
    client = sign_in(Client(), triage)
    decided = client.post(reverse("frontdoor:detail", args=[concern.pk]),
                          {"outcome": DecisionOutcome.ASSESSMENT, "reason": ""})
    assert decided.status_code == 302
    page = client.get(reverse("people:detail", args=[concern.child_id])).content.decode()
    assert "Assessment completed within 45 working days" in page
    clock = StatutoryClock.objects.get(child=concern.child, kind=ClockKind.ASSESSMENT)
    assert clock.status == ClockStatus.OPEN and clock.started_at == concern.raised_at


def test_an_indicator_sent_twice_is_recorded_and_shown_once(make_user) -> None:  # type: ignore[no-untyped-def]
    school = make_user(role=Role.REFERRER, agency_kind=AgencyKind.EDUCATION)
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    client = sign_in(Client(), school)
    checking = client.post(_raise_url(school, PersonFactory()), {
        **_date("seen_on", timezone.localdate()), **FULL, "indicators": ["missing", "missing"],
    })
    assert client.post(checking["Location"]).status_code == 302

    from safeguarding.frontdoor.models import Concern

    concern = Concern.objects.get()
    body = sign_in(Client(), triage).get(reverse("frontdoor:detail", args=[concern.pk])).content.decode()
    assert body.count("Going missing, or repeat missing episodes") == 1
    assert concern.indicators == ["missing"]
