"""Finding a person. A referrer must already know who the child is: the whole family name (with the
spellings record linkage allows) and the full date of birth, or an exact identifier; searches are
limited in number, and a run of broad ones is flagged to the data protection officer. Casework staff
search everyone, by the start of a name too."""

from __future__ import annotations

import datetime as dt
import string

import pytest
from django.test import Client
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.people.models import PersonRole
from safeguarding.people.selectors import (
    BROAD_SEARCHES_FLAGGED_FROM,
    REFERRER_SEARCHES_PER_WINDOW,
    SearchCriteria,
    SearchRefused,
    people_search,
)
from tests.factories import PersonFactory, SourceRecordFactory, sign_in

pytestmark = pytest.mark.django_db
BORN = dt.date(2012, 7, 11)


def _named(*names: tuple[str, str], **fields: str) -> dict[str, int]:
    """A person with one record for each (given, family) name: their ids by "given family"."""
    made = {}
    for given, family in names:
        person = PersonFactory(given_name=given, family_name=family, **fields)
        SourceRecordFactory(person=person, given_name=given, family_name=family, **fields)
        made[f"{given} {family}"] = person.pk
    return made


@pytest.fixture
def born_that_day() -> list[str]:
    """Five children born the same day, one of them double-barrelled, one with an accent."""
    names = ["Barker", "Smith-Jones", "Öztürk", "O'Neil", "Khan"]
    for name in names:
        person = PersonFactory(family_name=name, date_of_birth=BORN.isoformat())
        SourceRecordFactory(person=person, family_name=name, date_of_birth=BORN.isoformat())
    adult = PersonFactory(family_name="Barker", date_of_birth=BORN.isoformat(), role=PersonRole.ADULT)
    SourceRecordFactory(person=adult, family_name="Barker", date_of_birth=BORN.isoformat(), role=PersonRole.ADULT)
    return names


def test_a_referrer_cannot_list_the_children_born_on_a_day_by_first_letters(make_user, born_that_day) -> None:  # type: ignore[no-untyped-def]
    referrer = make_user(role=Role.REFERRER)
    found = set()
    for letter in string.ascii_uppercase[:REFERRER_SEARCHES_PER_WINDOW]:
        found |= {p.pk for p in people_search(user=referrer, criteria=SearchCriteria(family_name=letter,
                                                                                     date_of_birth=BORN))}
    assert found == set()


@pytest.mark.parametrize("typed, expected", [
    ("barker", "Barker"), ("BARKER", "Barker"), ("Smith-Jones", "Smith-Jones"), ("Smith Jones", "Smith-Jones"),
    ("Jones", "Smith-Jones"), ("Ozturk", "Öztürk"), ("ONeil", "O'Neil"), ("o'neil", "O'Neil"),
])
def test_a_referrer_finds_a_child_by_the_whole_name_as_agencies_spell_it(  # type: ignore[no-untyped-def]
    make_user, born_that_day, typed: str, expected: str
) -> None:
    referrer = make_user(role=Role.REFERRER)
    people = people_search(user=referrer, criteria=SearchCriteria(family_name=typed, date_of_birth=BORN))
    assert [p.family_name for p in people] == [expected]  # never the adult of the same name


@pytest.mark.parametrize("given, family, found", [
    ("", "Kahn", True), ("Ayesha", "Khan", True), ("Aishah", "Kahn", True),
    ("", "Kha", False), ("", "Khanum", False), ("Ay", "Khan", False), ("Oliver", "Khan", False),
])
def test_a_referrer_finds_a_child_whose_name_another_agency_writes_a_letter_differently(  # type: ignore[no-untyped-def]
    make_user, given: str, family: str, found: bool
) -> None:
    """A teacher types the name as the school writes it; the police wrote Aisha Khan. A close spelling of the
    whole name counts (the date of birth already narrows it to a day's children), a name begun or cut never."""
    child = _named(("Aisha", "Khan"), date_of_birth=BORN.isoformat())["Aisha Khan"]
    referrer = make_user(role=Role.REFERRER)
    people = people_search(user=referrer, criteria=SearchCriteria(given_name=given, family_name=family,
                                                                  date_of_birth=BORN))
    assert ([p.pk for p in people] == [child]) is found


def test_a_referrer_needs_the_full_date_of_birth_or_an_identifier(make_user, born_that_day) -> None:  # type: ignore[no-untyped-def]
    referrer = make_user(role=Role.REFERRER)
    assert people_search(user=referrer, criteria=SearchCriteria(family_name="Barker")) == []
    assert people_search(user=referrer, criteria=SearchCriteria(family_name="Bark", date_of_birth=BORN)) == []


def test_casework_staff_still_search_by_the_start_of_a_name(make_user, born_that_day) -> None:  # type: ignore[no-untyped-def]
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    people = people_search(user=triage, criteria=SearchCriteria(family_name="Bar"))
    assert {p.family_name for p in people} == {"Barker"} and len(people) == 2  # the child and the adult


def test_a_referrer_searching_too_often_is_refused_and_it_is_recorded(make_user, born_that_day) -> None:  # type: ignore[no-untyped-def]
    referrer = make_user(role=Role.REFERRER)
    criteria = SearchCriteria(family_name="Barker", date_of_birth=BORN)
    for _ in range(REFERRER_SEARCHES_PER_WINDOW):
        assert len(people_search(user=referrer, criteria=criteria)) == 1
    with pytest.raises(SearchRefused, match="Wait 10 minutes"):
        people_search(user=referrer, criteria=criteria)
    assert AuditEvent.objects.filter(event_type=AuditEventType.SEARCH_REFUSED, actor=referrer).count() == 1
    # Others are not held back by it.
    assert len(people_search(user=make_user(role=Role.REFERRER), criteria=criteria)) == 1


def test_a_run_of_broad_searches_is_flagged_to_the_data_protection_officer_once(make_user, born_that_day) -> None:  # type: ignore[no-untyped-def]
    referrer = make_user(role=Role.REFERRER, username="curious.referrer")
    for name in ["Adams", "Baker", "Clark", "Davis", "Evans", "Frost", "Green"][:BROAD_SEARCHES_FLAGGED_FROM + 1]:
        people_search(user=referrer, criteria=SearchCriteria(family_name=name, date_of_birth=BORN))
    flags = AuditEvent.objects.filter(event_type=AuditEventType.SEARCHES_FLAGGED, actor=referrer)
    assert flags.count() == 1
    dpo = Client()
    sign_in(dpo, make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL))
    page = dpo.get(reverse("dataprotection:trail")).content.decode()
    assert "Searches to look into" in page and "curious.referrer" in page


def test_the_raise_concern_page_says_why_a_search_was_refused(make_user, born_that_day) -> None:  # type: ignore[no-untyped-def]
    referrer = make_user(role=Role.REFERRER)
    client = Client()
    sign_in(client, referrer)
    query = {"family_name": "Barker", "date_of_birth_0": "11", "date_of_birth_1": "7", "date_of_birth_2": "2012"}
    for _ in range(REFERRER_SEARCHES_PER_WINDOW):
        client.get(reverse("frontdoor:raise-find"), query)
    page = client.get(reverse("frontdoor:raise-find"), query).content.decode()
    assert "Wait 10 minutes before searching again" in page


# --- casework staff's search, on indexed names ---------------------------------------------------


@pytest.fixture
def spelled_many_ways() -> dict[str, int]:
    """Records whose names a search must find however they are typed: another transliteration, the second
    half of a double-barrelled name, an alias, a name begun."""
    made = {}
    for given, family, other in [("Muhammad", "Hussain", ""), ("Abbie", "Lawson-Smith", ""),
                                 ("Chloe", "Barker", "Chloe Sykes;Clo"), ("Oliver", "Wright", "")]:
        person = PersonFactory(given_name=given, family_name=family)
        SourceRecordFactory(person=person, given_name=given, family_name=family, other_names=other)
        made[family] = person.pk
    return made


@pytest.mark.parametrize("given, family, expected", [
    ("Mohammed", "Hussein", "Hussain"),      # each name spelled another way: the same sound
    ("Abbie", "Smith", "Lawson-Smith"),       # the second half of a double-barrelled name
    ("", "Lawson", "Lawson-Smith"),           # its first half, as the start of the name
    ("Chloe", "Sykes", "Barker"),             # a previous family name among the other names
    ("Clo", "Barker", "Barker"),              # an alias for the given name
    ("Oli", "Wri", "Wright"),                 # both names begun
])
def test_casework_staff_find_a_name_written_another_way(  # type: ignore[no-untyped-def]
    make_user, spelled_many_ways: dict[str, int], given: str, family: str, expected: str
) -> None:
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    found = people_search(user=triage, criteria=SearchCriteria(given_name=given, family_name=family))
    assert spelled_many_ways[expected] in {p.pk for p in found}


@pytest.mark.parametrize("given, family", [("Lukasz", "Wroblewski"), ("Łukasz", "Wróblewski"), ("LUKASZ", "WROB"),
                                           ("Michal", ""), ("", "Dordevic"), ("Paweł", "")])
def test_casework_staff_find_a_name_with_a_letter_unicode_cannot_fold_typed_either_way(  # type: ignore[no-untyped-def]
    make_user, given: str, family: str
) -> None:
    """Ł, ł, ø, đ have no accent to fold: Łukasz was indexed as "ukasz", and Lukasz typed on an English keyboard
    never found him (nor Łukasz typed as written, by his key's start, once a record said Lukasz)."""
    made = {name.split()[0]: pk for name, pk in _named(("Łukasz", "Wróblewski"), ("Lukasz", "Wroblewski"),
                                                         ("Michał", "Đorđević"), ("Paweł", "Søndergård")).items()}
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    found = {p.pk for p in people_search(user=triage, criteria=SearchCriteria(given_name=given, family_name=family))}
    expected = {made["Łukasz"], made["Lukasz"]} if given.upper().replace("Ł", "L") == "LUKASZ" else (
        {made["Michał"]} if given == "Michal" or family else {made["Paweł"]})
    assert found == expected


def test_a_referrer_finds_a_child_whose_name_has_such_a_letter_by_the_whole_name_typed_plainly(make_user) -> None:  # type: ignore[no-untyped-def]
    child = _named(("Michał", "Wróbel"), date_of_birth=BORN.isoformat())["Michał Wróbel"]
    referrer = make_user(role=Role.REFERRER)
    found = people_search(user=referrer, criteria=SearchCriteria(given_name="Michal", family_name="Wrobel",
                                                                  date_of_birth=BORN))
    assert [p.pk for p in found] == [child]


def test_the_keys_of_records_indexed_before_are_worked_out_again_by_the_migration(make_user) -> None:  # type: ignore[no-untyped-def]
    """A hub that imported Łukasz before this change holds his old key ("ukasz"); the migration mends it,
    and leaves a plain ASCII name's record alone."""
    import importlib

    from django.apps import apps

    from safeguarding.core import normalise
    from safeguarding.people.models import SourceRecord

    migration = importlib.import_module("safeguarding.people.migrations.0009_names_in_latin_letters")
    person = PersonFactory(given_name="Łukasz", family_name="Nowak")
    record = SourceRecordFactory(person=person, given_name="Łukasz", family_name="Nowak", other_names="Michał")
    plain = SourceRecordFactory(given_name="Ann", family_name="Lee")
    SourceRecord.objects.filter(pk=record.pk).update(given_key="ukasz", given_sound="UKS", other_keys=" micha #MX ")
    SourceRecord.objects.filter(pk=plain.pk).update(given_key="left")  # not a name with such a letter: untouched
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)

    migration.keys_again(apps, None)

    assert SourceRecord.objects.filter(pk=record.pk).values_list("given_key", "given_sound").get() == (
        "lukasz", normalise.name_sound("Lukasz"))
    assert [p.pk for p in people_search(user=triage, criteria=SearchCriteria(given_name="Lukasz",
                                                                             family_name="Nowak"))] == [person.pk]
    assert [p.pk for p in people_search(user=triage, criteria=SearchCriteria(given_name="Michal",
                                                                             family_name="Nowak"))] == [person.pk]
    assert SourceRecord.objects.get(pk=plain.pk).given_key == "left"


@pytest.mark.parametrize("given, family, expected", [
    ("Ayesha", "Khan", "Aisha Khan"),            # Metaphone hears AYX and AX: a close spelling in the family
    ("Nadiya", "Khan", "Nadia Khan"),
    ("Aisha", "Kahn", "Aisha Khan"),             # the family name written another way
    ("Wiktoria", "Kovalski", "Wiktoria Kowalski"),
    ("Viktoria", "Kowalski", "Wiktoria Kowalski"),
    ("Javed", "Akthar", "Jawed Akhtar"),         # both names written another way: each found by the other
])
def test_casework_staff_find_a_transliteration_the_sound_misses_as_a_close_spelling(  # type: ignore[no-untyped-def]
    make_user, given: str, family: str, expected: str
) -> None:
    made = _named(("Aisha", "Khan"), ("Nadia", "Khan"), ("Wiktoria", "Kowalski"), ("Jawed", "Akhtar"),
                  ("Ayesha", "Barker"), ("Oliver", "Khan"))
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    found = {p.pk for p in people_search(user=triage, criteria=SearchCriteria(given_name=given, family_name=family))}
    assert made[expected] in found
    assert made["Oliver Khan"] not in found  # not a close spelling of any name typed
    if family != "Barker":
        assert made["Ayesha Barker"] not in found  # a close given name counts only within the family typed


def test_a_given_name_with_a_date_of_birth_finds_its_close_spellings_born_that_day(make_user) -> None:  # type: ignore[no-untyped-def]
    made = _named(("Aisha", "Khan"), ("Nadia", "Begum"), date_of_birth=BORN.isoformat())
    made |= _named(("Aisha", "Hussain"), date_of_birth="2011-01-01")
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    born = {p.pk for p in people_search(user=triage, criteria=SearchCriteria(given_name="Ayesha", date_of_birth=BORN))}
    assert born == {made["Aisha Khan"]}
    assert people_search(user=triage, criteria=SearchCriteria(given_name="Ayesha")) == []  # alone: no spellings read


def test_a_shared_start_is_not_a_close_spelling(make_user) -> None:  # type: ignore[no-untyped-def]
    """Jaro-Winkler counts a shared start for much: alone, it took Carl and Charles for Charlotte (Char,
    a short form of her name in the nicknames list, is found as one)."""
    made = _named(("Charlotte", "White"), ("Carl", "White"), ("Charles", "White"), ("Charlote", "Whiet"))
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    found = people_search(user=triage, criteria=SearchCriteria(given_name="Charlotte", family_name="White"))
    assert [p.pk for p in found] == [made["Charlotte White"], made["Charlote Whiet"]]  # a typo in each name


def test_a_family_name_alone_finds_no_close_spellings(make_user) -> None:  # type: ignore[no-untyped-def]
    """A typo of a common family name typed alone (Smiht) would list every Smith in the hub after it: a given
    name, a date of birth, a postcode or an identifier must narrow it first."""
    made = _named(("Wiktoria", "Kowalski"), date_of_birth=BORN.isoformat())
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    assert people_search(user=triage, criteria=SearchCriteria(family_name="Kovalski")) == []
    found = people_search(user=triage, criteria=SearchCriteria(family_name="Kovalski", date_of_birth=BORN))
    assert [p.pk for p in found] == [made["Wiktoria Kowalski"]]


@pytest.mark.parametrize("read", [2000, 1])  # the close few read first, or (many) told apart by the database
def test_a_close_spelling_is_listed_after_the_names_found_by_their_start_or_sound(  # type: ignore[no-untyped-def]
    make_user, monkeypatch, read: int
) -> None:
    from safeguarding.people import selectors

    monkeypatch.setattr(selectors, "_CLOSE_READ", read)
    _named(("Aisha", "Khan"), ("Aysha", "Khan"), ("Ayeshah", "Khan"), ("Ayesha", "Khan"))
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    criteria = SearchCriteria(given_name="Ayesha", family_name="Khan")
    listed = ["Ayesha", "Ayeshah", "Aisha", "Aysha"]
    assert [p.given_name for p in people_search(user=triage, criteria=criteria)] == listed
    client = Client()
    sign_in(client, triage)
    response = client.get(reverse("people:search"), {"given_name": "Ayesha", "family_name": "Khan"})
    assert [p.given_name for p in response.context["results"].items] == listed
    rows = response.content.decode().split('<tr class="govuk-table__row">')[2:]
    assert ["Close spelling" in row for row in rows] == [False, False, True, True]  # the page says why


def test_raising_a_concern_lists_the_nearest_fifty_of_many_found_not_any_fifty(make_user) -> None:  # type: ignore[no-untyped-def]
    """The raise-a-concern search cut what it found to 200 people in no order before it put the name as typed
    first: among 205 Smithers, Zara Smith, imported last, was not listed."""
    for n in range(205):
        _named(("Zara", f"Smithers{string.ascii_lowercase[n % 26]}"))
    sought = _named(("Zara", "Smith"))["Zara Smith"]
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    found = people_search(user=triage, criteria=SearchCriteria(given_name="Zara", family_name="Smith"))
    assert found[0].pk == sought and len(found) == 50


def test_casework_search_keeps_names_apart_that_neither_start_nor_sound_alike(  # type: ignore[no-untyped-def]
    make_user, spelled_many_ways: dict[str, int]
) -> None:
    triage = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    assert people_search(user=triage, criteria=SearchCriteria(given_name="Oliver", family_name="Hussain")) == []
    assert people_search(user=triage, criteria=SearchCriteria(family_name="!!")) == []
    found = people_search(user=triage, criteria=SearchCriteria(family_name="Barker"))
    assert {p.pk for p in found} == {spelled_many_ways["Barker"]}


# --- Find a person as a list: true counts, pages, a hub reference, part of a postcode, a phone ---


def _find(client: Client, **criteria: str) -> tuple[list[int], int, str]:
    response = client.get(reverse("people:search"), criteria)
    results = response.context["results"]
    return [p.pk for p in results.items], results.total, response.content.decode()


def test_find_a_person_counts_every_match_and_pages_them(make_user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LIST_PAGE_SIZE = 20
    people = [PersonFactory(family_name="Walker", given_name=f"Child{n:02d}") for n in range(57)]
    for person in people:
        SourceRecordFactory(person=person)
    client = sign_in(Client(), make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL))
    first, total, page = _find(client, family_name="Walker")
    assert total == 57 and len(first) == 20
    assert "57 people found" in page and "Showing 1 to 20 of 57 people" in page
    last, _, _ = _find(client, family_name="Walker", page="3")
    assert len(last) == 17 and set(first).isdisjoint(last)
    searches = AuditEvent.objects.filter(event_type=AuditEventType.PERSON_SEARCHED).order_by("-sequence")
    assert searches[0].detail["results"] == last and searches[0].detail["total"] == 57


def test_find_a_person_by_hub_reference_part_of_a_postcode_or_a_phone(make_user) -> None:  # type: ignore[no-untyped-def]
    amy = PersonFactory(given_name="Amy", family_name="Stone", postcode="S60 1AB")
    SourceRecordFactory(person=amy, postcode="S60 1AB", phones="+447700900982")
    merged = PersonFactory(given_name="Amy", family_name="Stone", merged_into=amy)
    sixty_one = PersonFactory(given_name="Ben", family_name="Hart", postcode="S6 1AB")
    SourceRecordFactory(person=sixty_one, postcode="S6 1AB")
    other = PersonFactory(given_name="Cal", family_name="Moss", postcode="S601 2XY")
    SourceRecordFactory(person=other, postcode="S65 2XY")
    client = sign_in(Client(), make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL))

    assert _find(client, reference=amy.reference)[0] == [amy.pk]
    assert _find(client, reference=merged.reference)[0] == [amy.pk]  # the person they are now
    assert _find(client, postcode="s60")[0] == [amy.pk]  # not S6 1AB, not S65
    assert _find(client, postcode="S6")[0] == [sixty_one.pk]
    assert _find(client, postcode="S60 1")[0] == [amy.pk]
    assert _find(client, phone="07700 900982")[0] == [amy.pk]
    assert _find(client, phone="+44 7700 900 982")[0] == [amy.pk]
    response = client.get(reverse("people:search"), {"reference": "239", "phone": "not a phone"})
    page = response.content.decode()
    assert "Enter a hub reference like P0000239" in page and "Enter a phone number" in page


def test_find_a_person_finds_a_name_by_its_short_or_formal_form_and_lists_the_name_typed_first(make_user) -> None:  # type: ignore[no-untyped-def]
    """The audit as the front door: "Daniel Johnson" found Dainel but not Dan Johnson; and asked for Demi,
    the list began with Tommy Bell, Booth, Burgin, Clarke and Ferguson (the same sound), by family name."""
    made = _named(("Dan", "Johnson"), ("Dainel", "Johnson"), ("Daniel", "Jones"), ("Tommy", "Bell"),
                  ("Tommy", "Booth"), ("Demi", "Walsh"))
    client = sign_in(Client(), make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL))
    found, _, _ = _find(client, given_name="Daniel", family_name="Johnson")
    assert {made["Dan Johnson"], made["Dainel Johnson"]} <= set(found)
    short, _, _ = _find(client, given_name="Dan")
    assert made["Daniel Jones"] in short and short[0] == made["Dan Johnson"]
    demi, _, _ = _find(client, given_name="Demi")
    assert demi[0] == made["Demi Walsh"] and made["Tommy Bell"] in demi
    listed = people_search(user=make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL),
                           criteria=SearchCriteria(given_name="Demi"))
    assert listed[0].pk == made["Demi Walsh"]


def test_find_a_person_tags_an_adult_by_the_date_of_birth_before_the_records_role(make_user) -> None:  # type: ignore[no-untyped-def]
    """A girl of 16 a police system holds as an adult is no "Adult" in the results, nor on her page; a man whose
    records still say "child" is one."""
    held = PersonFactory(given_name="Bella", family_name="Quarrie", role="adult", date_of_birth="2010-02-02")
    grown = PersonFactory(given_name="Ryan", family_name="Quarrie", role="child", date_of_birth="2001-01-01")
    for person in (held, grown):
        SourceRecordFactory(person=person, given_name=person.given_name, family_name="Quarrie")
    client = sign_in(Client(), make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL))
    _, total, page = _find(client, family_name="Quarrie")
    adult_tag = '</a> <strong class="govuk-tag govuk-tag--grey">Adult</strong>'
    assert total == 2 and page.count(adult_tag) == 1
    assert f'?from=search">Ryan Quarrie{adult_tag}' in page and '?from=search">Bella Quarrie</a></td>' in page
    for person, kind in ((held, "Child"), (grown, "Adult")):
        single_view = client.get(reverse("people:detail", args=[person.pk])).content.decode()
        assert f'<span class="govuk-caption-l">{person.reference} · {kind}</span>' in single_view
