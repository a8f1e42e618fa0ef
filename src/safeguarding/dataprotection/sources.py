"""What a subject access request gathers, room by room. The data protection room reads the rooms
below it itself (people, support, the audit trail); the rooms beside and above it (the front door,
early warning, screening, the panel, and rooms still being built, such as meetings and plans) register
a source here when the hub starts (``workflows.apps``), instead of this room importing them.

A source answers, for one person (every id they have had), the items it holds about them, each
already in words: a section, a title, its date, and labelled fields. It marks what must never be
redacted (the survivor's own words) and what it knows to be a third party's (a referrer's name, the
other person in a relationship), and it withholds outright what may never be disclosed, with the
reason (police intelligence with handling conditions). Finding third parties in free text is the
redaction module's work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from safeguarding.core.calendar import keep_latest


class Category:
    """Why something is proposed for redaction: whose it is."""

    OTHER_CHILD = "other_child"
    ADULT = "adult"
    REFERRER = "referrer"
    IDENTIFIER = "identifier"

    LABELS = {
        OTHER_CHILD: "another child",
        ADULT: "another adult",
        REFERRER: "the person who raised a concern",
        IDENTIFIER: "something that identifies someone else",
    }
    REASONS = {
        OTHER_CHILD: "Names or identifies another child. Third-party personal data: not disclosed without their "
                     "consent unless reasonable (Data Protection Act 2018, Schedule 2, paragraph 16).",
        ADULT: "Names or identifies another adult. Third-party personal data: not disclosed without their consent "
               "unless reasonable (Data Protection Act 2018, Schedule 2, paragraph 16).",
        REFERRER: "Identifies who raised a concern. Disclosing it could put them at risk and stop people raising "
                  "concerns (Data Protection Act 2018, Schedule 2, paragraph 16).",
        IDENTIFIER: "A vehicle registration, phone number or other identifier that belongs to someone else, not to "
                    "the person asking (Data Protection Act 2018, Schedule 2, paragraph 16).",
    }


@dataclass
class ThirdParty:
    """A field of an item that is wholly a third party's (e.g. the other person in a relationship)."""

    field: int
    category: str


@dataclass
class Item:
    """One thing the hub holds about the person, in words."""

    section: str
    kind: str
    source: str  # where it came from: a system and its id, or a room and a reference
    title: str
    occurred_at: dt.datetime | None = None
    fields: list[tuple[str, str]] = field(default_factory=list)
    own_words: bool = False  # the person's own words: never redacted
    third_parties: list[ThirdParty] = field(default_factory=list)
    withheld_reason: str = ""  # set: held, but never disclosed (the officer is told it exists and why)

    def as_dict(self) -> dict[str, Any]:
        return {
            "section": self.section, "kind": self.kind, "source": self.source, "title": self.title,
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None, "fields": self.fields,
        }


@dataclass
class Lexicon:
    """What a source knows about the people around the subject, for finding them in free text:
    third parties' names and identifiers (each with its category), and the subject's own values,
    which are never redacted."""

    third_party: dict[str, str] = field(default_factory=dict)  # value -> category
    own: set[str] = field(default_factory=set)

    def add_third_party(self, value: str, category: str) -> None:
        value = value.strip()
        if len(value) >= 4 and value.lower() not in self.third_party:
            self.third_party[value.lower()] = category

    def add_own(self, value: str) -> None:
        value = value.strip()
        if value:
            self.own.add(value.lower())


@dataclass
class Gathered:
    items: list[Item]
    lexicon: Lexicon = field(default_factory=Lexicon)


# Sections, in the order the bundle shows them. A registered source names its own.
SECTIONS = [
    "Your details in each agency's records",
    "What agencies recorded",
    "Concerns raised and front-door decisions",
    "Early-warning alerts",
    "Screenings and risk levels",
    "Panel referrals",
    "The panel's discussions and plans",
    "Return home interviews and casework",
    "Support plans",
    "Your wishes about contact",
    "Who has viewed or changed your record",
]
PANEL_SECTION, CASEWORK_SECTION, SUPPORT_SECTION, CONTACT_SECTION, AUDIT_SECTION = SECTIONS[6:11]

SarSource = Callable[[Any, Any], Gathered]  # (user, person) -> what the room holds about the person
_sources: dict[str, SarSource] = {}


def register_sar_source(name: str, source: SarSource) -> None:
    """``source(user, person)`` answers what the registering room holds about the person."""
    _sources[name] = source


def registered_sources() -> dict[str, SarSource]:
    return dict(_sources)


# --- sharing recorded in other rooms, for the data protection officer's disclosures page -----------


@dataclass(frozen=True)
class Shared:
    """One sharing a room above this one recorded (police intelligence shared with another agency):
    when, with whom, what (by reference, never the content), why, on what basis, and by whom."""

    at: dt.datetime
    to: str
    what: str
    why: str
    lawful_basis: str
    by: str


SharingSource = Callable[[], list[Shared]]
_sharing: dict[str, SharingSource] = {}


def register_sharing_source(name: str, source: SharingSource) -> None:
    _sharing[name] = source


def shared_elsewhere() -> list[Shared]:
    """Every sharing the other rooms recorded, newest first."""
    return sorted((row for source in _sharing.values() for row in source()), key=lambda r: r.at, reverse=True)


# --- the last thing each room above records about people, for retention -------------------------

# (person ids, as the people are now) -> {person id: the latest moment a record of the room names them}
LastRecordSource = Callable[[Collection[int]], dict[int, dt.datetime]]
_last_records: dict[str, LastRecordSource] = {}


def register_last_record_source(name: str, source: LastRecordSource) -> None:
    """``source(ids)`` answers, for the people it holds records about, when its latest one was made:
    an intelligence link naming an adult, a notice served on him, an outcome."""
    _last_records[name] = source


def last_records_elsewhere(person_ids: Collection[int], *, chunk: int = 5000) -> dict[int, dt.datetime]:
    """The latest any room above records about each person, asked a few thousand people at a time
    (a database takes only so many values in one query)."""
    ids = sorted(person_ids)
    latest: dict[int, dt.datetime] = {}
    for start in range(0, len(ids), chunk):
        for source in _last_records.values():
            for person, moment in source(ids[start : start + chunk]).items():
                keep_latest(latest, person, moment)
    return latest


# --- work the rooms above hold for a person, by whom ------------------------------------------------

# (person, users) -> what each of these users holds open for the person: {user id: ["action A-12", ...]}
OpenWorkSource = Callable[[Any, Collection[Any]], dict[int, list[str]]]
_open_work: dict[str, OpenWorkSource] = {}


def register_open_work_source(name: str, source: OpenWorkSource) -> None:
    """``source(person, users)`` answers the work each of these users holds open for the person (an
    action they own on the person's plan, the person allocated to them): a seal may not stop naming
    someone who holds it, or the work would lead to a page that answers not found."""
    _open_work[name] = source


def open_work_of(person: Any, users: Collection[Any]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for source in _open_work.values():
        for user_id, work in source(person, users).items():
            found.setdefault(user_id, []).extend(work)
    return found


# --- adults the rooms above hold police work about ------------------------------------------------

# () -> a query of the person ids (any id each has had) of adults the police suspect or work against in
# a room above: a suspect named in graded intelligence, an operation's subject, an adult disrupted.
SuspectSource = Callable[[], Any]
_suspects: dict[str, SuspectSource] = {}


def register_suspect_source(name: str, source: SuspectSource) -> None:
    """``source()`` answers a query (``values("pk")``-like, one column of person ids) of the adults a
    room above holds police work about: that the police looked at such a person is police work too."""
    _suspects[name] = source


def suspects_elsewhere() -> list[Any]:
    return [source() for source in _suspects.values()]
