"""Which entity a value on an agency's record names: vehicles by normalised UK registration, phones
in E.164, places by postcode (or, with none, by the named location), each kind of place guessed from
its name. Pure functions: a value that cannot be read is None, and is never joined on."""

from __future__ import annotations

import re
from dataclasses import dataclass

from safeguarding.contexts.models import EntityKind, LinkNature, PlaceKind
from safeguarding.core import normalise

# Places link children only where the record says the child was there with others, or was found
# there: the street of an everyday police stop, or the hospital of an A&E attendance, links
# hundreds of unrelated children (the same finding as early warning's shared-contact rule).
PLACE_EVENT_TYPES = frozenset({
    "missing_episode", "found_with_adult", "seen_in_vehicle", "intelligence", "licensing_complaint",
    "online_grooming", "other",
})

# Relationships that make a network. Family relationships (parent, sibling, carer) are shown on the
# child's single view but do not join networks: through siblings and parents every family in the
# borough would be one network.
NETWORK_RELATIONSHIPS = {
    "associate": LinkNature.ASSOCIATE,
    "peer": LinkNature.PEER,
    "partner": LinkNature.PARTNER,
    "suspected_perpetrator": LinkNature.SUSPECTED_PERPETRATOR,
    "victim": LinkNature.VICTIM,
    "other": LinkNature.OTHER,
}

_PLACE_WORDS: tuple[tuple[str, PlaceKind], ...] = (
    ("hotel", PlaceKind.HOTEL), ("guest house", PlaceKind.HOTEL), ("b&b", PlaceKind.HOTEL),
    ("takeaway", PlaceKind.TAKEAWAY), ("take-away", PlaceKind.TAKEAWAY), ("kebab", PlaceKind.TAKEAWAY),
    ("pizza", PlaceKind.TAKEAWAY), ("chicken", PlaceKind.TAKEAWAY), ("taxi", PlaceKind.TAXI_RANK),
    ("cab", PlaceKind.TAXI_RANK), ("park", PlaceKind.PARK), ("playing field", PlaceKind.PARK),
    ("car park", PlaceKind.CAR_PARK), ("flat", PlaceKind.HOUSE), ("house", PlaceKind.HOUSE),
    ("address", PlaceKind.HOUSE), ("school", PlaceKind.SCHOOL), ("academy", PlaceKind.SCHOOL),
    ("snapchat", PlaceKind.ONLINE), ("instagram", PlaceKind.ONLINE), ("online", PlaceKind.ONLINE),
    ("whatsapp", PlaceKind.ONLINE), ("shop", PlaceKind.SHOP), ("shopping", PlaceKind.SHOP),
    ("station", PlaceKind.TRANSPORT), ("bus", PlaceKind.TRANSPORT), ("interchange", PlaceKind.TRANSPORT),
)


# A public house is not a house, whatever its name says.
_NOT_HOUSES = re.compile(r"\b(public house|pub)\b")
_PLACE_PATTERNS = tuple((re.compile(rf"(?<![\w&]){re.escape(word)}s?(?![\w&])"), kind) for word, kind in _PLACE_WORDS)


def place_kind(name: str) -> str:
    """The kind of a place from its name ("Hotel, High Street" -> hotel); "other" when none fits.
    Whole words only ("Business park" is a park, never a bus station; "Cabinet works" no taxi
    firm); "car park" is tested before "park"."""
    lowered = _NOT_HOUSES.sub(" ", name.lower())
    if re.search(r"\bcar parks?\b", lowered):
        return PlaceKind.CAR_PARK
    for pattern, kind in _PLACE_PATTERNS:
        if pattern.search(lowered):
            return kind
    return PlaceKind.OTHER


def place_name_key(name: str) -> str | None:
    """A named location with no postcode as a key: lower case, one space, punctuation dropped.
    Too short or generic a name ("park", "town") is not a place anyone could be found at again."""
    words = re.sub(r"[^a-z0-9&]+", " ", name.lower()).split()
    if len(words) < 2:
        return None
    return "name:" + " ".join(words)


@dataclass(frozen=True)
class Named:
    kind: str
    key: str
    label: str
    place_kind: str = ""


def vehicle(value: str) -> Named | None:
    key = normalise.uk_registration(value)
    return Named(EntityKind.VEHICLE, key, normalise.uk_registration_display(key)) if key else None


def phone(value: str) -> Named | None:
    key = normalise.phone_for_linking(value)
    return Named(EntityKind.PHONE, key, key) if key else None


def place(name: str, postcode: str) -> Named | None:
    """A postcode names the place when there is one (two agencies write the same hotel's name
    differently, never its postcode); else the named location."""
    name = name.strip()
    if postcode:
        key = normalise.postcode(postcode)
        if key:
            return Named(EntityKind.PLACE, key, f"{name} ({key})" if name else key, place_kind(name) if name else "")
        return None
    if name and (key := place_name_key(name)):
        return Named(EntityKind.PLACE, key, name, place_kind(name))
    return None


def bare_label(key: str) -> str:
    """How a place is shown when no shared record has named it: its postcode alone (a named location
    with no postcode, by the words of its key)."""
    return key.removeprefix("name:")


def bare(named: Named) -> Named:
    """A place as a police-only record names it: the label is shared data, read by every agency and
    searched, so it carries none of the police's words (the postcode alone) and no kind guessed from
    them (docs/decisions.md, "Who sees which links")."""
    if named.kind != EntityKind.PLACE:
        return named
    return Named(named.kind, named.key, bare_label(named.key))
