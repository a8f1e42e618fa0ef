"""People as the hub knows them, and the agencies' records that say so.

A ``Person`` is the hub's own identity. Each ``SourceRecord`` is one person as one agency's
system holds them; until records are linked (the linkage room), each source record is its own
person. ``Event`` and ``Relationship`` hang off source records, so that every fact keeps the
system (and so the agency) that recorded it.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.db import models
from django.utils import timezone

from safeguarding.accounts.models import Agency, AgencyKind
from safeguarding.core.normalise import add_years, nth_birthday, partial_date, reference_of


class SourceSystem(models.Model):
    """A system that sends records to the hub, e.g. ``police-records``, mapped to its agency."""

    code = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="source_systems")
    # Records typed into the hub's own pages (e.g. a child recorded when raising a concern).
    is_hub = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class PersonRole(models.TextChoices):
    CHILD = "child", "Child"
    ADULT = "adult", "Adult"
    UNKNOWN = "", "Not known"


def child_or_adult(role: str, date_of_birth: str, on: dt.date) -> str:
    """Whether a person was a child or an adult on a day, as the early-warning rules count it: by the
    date of birth (a partial date counting to the latest day it allows); without one, as the agencies'
    records say (a person's role, ``people.identity``: a child if any says so); "" when neither is known.
    A role is true of the day an agency sent it: a child of 17 at the extract was a child at a link made
    at 16, and is an adult a year later; and the format's role is optional, so an agency that sends none
    still has its children counted as children."""
    return child_or_adult_of_age(role, of_age(date_of_birth), on)


@lru_cache(maxsize=1 << 16)
def of_age(date_of_birth: str) -> dt.date | None:
    """The day a person is 18 by a date of birth as the hub holds it (a partial date to the latest day it
    allows), or None without one: read once for a person judged on many days (``child_or_adult_of_age``)."""
    dob = partial_date(date_of_birth) if date_of_birth else None
    return nth_birthday(dob, 18, latest=True) if dob is not None else None


def child_or_adult_of_age(role: str, eighteen: dt.date | None, on: dt.date) -> str:
    """``child_or_adult`` with the date of birth already read (``of_age``)."""
    if eighteen is not None:
        return PersonRole.CHILD.value if on < eighteen else PersonRole.ADULT.value
    return str(role) if role in (PersonRole.CHILD, PersonRole.ADULT) else ""


def children_on(on: dt.date) -> models.Q:
    """``child_or_adult(...) == "child"`` on a day as a condition on persons, for the database to answer
    over many (a million at a county): a date of birth whose latest day is less than 18 years before, or
    none and a child's role. Dates of birth compare as text: ``YYYY-MM-DD`` as their dates do, and a
    partial date (``YYYY-MM``, ``YYYY``) sorts just before the days it allows, so it is later than the
    cut-off day when all of them are, and holds a later day when it is the cut-off's own month or year
    (unless the cut-off is that month's or year's last day). The hyphens stand at the same places in
    every form, so a collation that passes over them orders them the same."""
    cut = add_years(on, -18)
    month_end = (cut + dt.timedelta(days=1)).day == 1
    year_end = (cut.month, cut.day) == (12, 31)
    text = cut.isoformat()
    child = models.Q(date_of_birth__gt=text) | models.Q(date_of_birth="", role=PersonRole.CHILD)
    if not month_end:
        child |= models.Q(date_of_birth=text[:7])
    if not year_end:
        child |= models.Q(date_of_birth=text[:4])
    return child


def adults_on(on: dt.date) -> models.Q:
    """``child_or_adult(...) == "adult"`` on a day as a condition on persons (``children_on``'s other side):
    a date of birth 18 years or more before, or none and an adult's role. Neither is the person of whom
    neither is known."""
    return (~models.Q(date_of_birth="") & ~children_on(on)) | models.Q(date_of_birth="", role=PersonRole.ADULT)


def person_reference(pk: int) -> str:
    """The hub's stable id of a person as users, explanations and every export show it (P0000123):
    persons.csv, alerts.csv, clocks.csv and networks.csv all write it, so that they join."""
    return reference_of(pk)


class Person(models.Model):
    """The hub's stable identity for one human being, joined from agencies' records.

    The display fields are the best values from the source records behind the person, kept here
    so that queues and search do not have to reassemble them.
    """

    created_at = models.DateTimeField(auto_now_add=True)
    # Set when record linkage found this person to be another, older one: the id stays valid and
    # leads to the person it was merged into, and the merge can be undone.
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged")
    # The person this id is now, following merged_into to its end (itself when never merged), kept
    # by ``people.identity`` whenever persons merge, split or a merge is undone. Whatever was
    # recorded about any id (concerns, alerts, screenings, referrals, plans, audit rows) belongs to
    # the child ``root`` names: reads join on it, and nothing is moved when persons merge.
    # A person is created only by the identity room, which sets it (the column refuses a person
    # without one). DO_NOTHING, not PROTECT: a person is their own root, and the database's own
    # check still refuses to remove a person other ids lead to.
    root = models.ForeignKey("self", on_delete=models.DO_NOTHING, related_name="identities")
    given_name = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    date_of_birth = models.CharField(max_length=10, blank=True, help_text="YYYY, YYYY-MM or YYYY-MM-DD")
    sex = models.CharField(max_length=1, blank=True)
    role = models.CharField(max_length=10, choices=PersonRole.choices, blank=True)
    nhs_number = models.CharField(max_length=10, blank=True)
    postcode = models.CharField(max_length=10, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["family_name", "given_name"]),
            models.Index(fields=["date_of_birth"]),
            models.Index(fields=["nhs_number"]),
        ]

    def __str__(self) -> str:
        return self.full_name or f"Person {self.pk}"

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part)

    @property
    def reference(self) -> str:
        return person_reference(self.pk)

    def child_or_adult(self, on: dt.date | None = None) -> str:
        """``child_or_adult`` of this person on a day (today when not given)."""
        return child_or_adult(self.role, self.date_of_birth, on or timezone.localdate())

    def child_or_adult_label(self) -> str:
        """"Child" or "Adult" today, as pages say it beside a person; "" when neither is known."""
        kind = self.child_or_adult()
        return str(PersonRole(kind).label) if kind else ""

    @property
    def postcode_district(self) -> str:
        """The outward code only (``S65``): enough to tell two children apart, not to find a home."""
        return self.postcode.split(" ")[0] if self.postcode else ""


class LinkMethod(models.TextChoices):
    """How a source record came to belong to its person."""

    OWN = "own", "Its own person (not linked to another record)"
    MODEL = "model", "Linked by the model"
    REVIEWER = "reviewer", "Linked by a person's decision"


class SourceRecord(models.Model):
    """One person as one source system holds them (a row of the exchange format's people.csv).

    Values that failed validation at import are left empty here (and reported as data-quality
    warnings); the raw row is kept in ``raw`` so that nothing the agency sent is lost.
    """

    source_system = models.ForeignKey(SourceSystem, on_delete=models.PROTECT, related_name="records")
    record_id = models.CharField(max_length=120)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="source_records")
    given_name = models.CharField(max_length=200, blank=True)
    middle_names = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    other_names = models.TextField(blank=True, help_text="';'-separated aliases, nicknames, previous names")
    date_of_birth = models.CharField(max_length=10, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    nhs_number = models.CharField(max_length=10, blank=True)
    nhs_number_valid = models.BooleanField(default=False)
    upn = models.CharField(max_length=20, blank=True)
    pnc_id = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    # Not a UK postcode, so left out of ``postcode`` (and reported at import), but kept for record
    # linkage: an agency's records of someone living abroad still agree with each other on it.
    postcode_other = models.CharField(
        max_length=10, blank=True,
        help_text="a postcode as sent that is not a UK one, upper case without spaces; used only by record linkage",
    )
    phones = models.TextField(blank=True, help_text="';'-separated, E.164")
    emails = models.TextField(blank=True, help_text="';'-separated")
    role = models.CharField(max_length=10, choices=PersonRole.choices, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    link_method = models.CharField(max_length=10, choices=LinkMethod.choices, default=LinkMethod.OWN)
    link_probability = models.FloatField(
        null=True, blank=True, help_text="the strongest link joining this record to another record of its person"
    )
    raw = models.JSONField(default=dict, help_text="the row as the agency sent it, extra columns included")
    # Names as *Find a person* looks them up, indexed (core.normalise: name_key, name_sound, last_name_word,
    # other_name_keys), set wherever a record's names are: by the import and by the identity room.
    given_key = models.CharField(max_length=60, blank=True)
    given_sound = models.CharField(max_length=16, blank=True)
    family_key = models.CharField(max_length=60, blank=True)
    family_sound = models.CharField(max_length=16, blank=True)
    family_last = models.CharField(max_length=60, blank=True, help_text="the last word of a family name of several")
    other_keys = models.TextField(blank=True, help_text="other names' keys and sounds, space-separated")
    imported_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source_system", "record_id"], name="unique_record_per_system"),
        ]
        indexes = [
            models.Index(fields=["family_key", "given_key"], name="record_family_given_key"),
            models.Index(fields=["family_sound", "given_sound"], name="record_family_given_sound"),
            models.Index(fields=["family_last"], name="record_family_last", condition=models.Q(family_last__gt="")),
            models.Index(fields=["nhs_number"]),
            models.Index(fields=["upn"]),
            models.Index(fields=["date_of_birth"]),
            models.Index(fields=["postcode"]),
        ]

    def __str__(self) -> str:
        return f"{self.source_system.code}:{self.record_id}"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.middle_names, self.family_name) if p)


class EventType(models.TextChoices):
    MISSING_EPISODE = "missing_episode", "Missing episode"
    RETURN_HOME_INTERVIEW = "return_home_interview", "Return home interview"
    ABSENT_FROM_SCHOOL = "absent_from_school", "Absent from school"
    SCHOOL_EXCLUSION = "school_exclusion", "School exclusion"
    AE_ATTENDANCE = "ae_attendance", "A&E attendance"
    SEXUAL_HEALTH_ATTENDANCE = "sexual_health_attendance", "Sexual health attendance"
    PREGNANCY = "pregnancy", "Pregnancy"
    TERMINATION = "termination", "Termination"
    SUBSTANCE_MISUSE = "substance_misuse", "Substance misuse"
    SELF_HARM = "self_harm", "Self-harm"
    INJURY = "injury", "Injury"
    POLICE_STOP = "police_stop", "Police stop"
    FOUND_WITH_ADULT = "found_with_adult", "Found with an adult"
    SEEN_IN_VEHICLE = "seen_in_vehicle", "Seen in a vehicle"
    GIFTS_OR_MONEY = "gifts_or_money", "Unexplained gifts or money"
    MULTIPLE_PHONES = "multiple_phones", "Several phones"
    TRAVEL_OUT_OF_AREA = "travel_out_of_area", "Travel out of area"
    DRUG_DEBT = "drug_debt", "Drug debt"
    ONLINE_GROOMING = "online_grooming", "Online grooming"
    INTELLIGENCE = "intelligence", "Intelligence"
    CONCERN = "concern", "Concern"
    DISCLOSURE = "disclosure", "Disclosure"
    ARREST = "arrest", "Arrest"
    CHARGE = "charge", "Charge"
    CONVICTION = "conviction", "Conviction"
    VICTIM_OF_CRIME = "victim_of_crime", "Victim of crime"
    LICENSING_COMPLAINT = "licensing_complaint", "Licensing complaint"
    OTHER = "other", "Other"


class Handling(models.TextChoices):
    """Police handling code (the 2 of 3x5x2): may it go beyond the police?"""

    SHAREABLE = "P", "P - may be shared"
    CONDITIONS = "C", "C - shared with conditions"


class Event(models.Model):
    """Something that happened, as one source system recorded it (a row of events.csv)."""

    source_system = models.ForeignKey(SourceSystem, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(max_length=120)
    source_record = models.ForeignKey(SourceRecord, on_delete=models.PROTECT, related_name="events")
    event_type = models.CharField(max_length=40, choices=EventType.choices)
    occurred_at = models.DateTimeField()
    occurred_date_only = models.BooleanField(default=False, help_text="the source gave a date without a time")
    ended_at = models.DateTimeField(null=True, blank=True)
    location_name = models.CharField(max_length=300, blank=True)
    location_postcode = models.CharField(max_length=10, blank=True)
    vehicle_registration = models.CharField(max_length=12, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    other_record_ids = models.TextField(blank=True, help_text="';'-separated record_ids in the same system")
    detail = models.TextField(blank=True)
    handling = models.CharField(max_length=1, choices=Handling.choices, blank=True)
    raw = models.JSONField(default=dict)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source_system", "event_id"], name="unique_event_per_system"),
        ]
        indexes = [
            models.Index(fields=["source_record", "occurred_at"]),
            models.Index(fields=["event_type", "occurred_at"]),
            # The few events marked C whatever their type, found without reading every event.
            models.Index(fields=["handling"], name="event_handling_c", condition=models.Q(handling="C")),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} ({self.source_system.code}:{self.event_id})"

    @property
    def is_restricted_intelligence(self) -> bool:
        """Police intelligence not marked shareable, or anything the police marked C, stays with the police."""
        return is_restricted(self.event_type, self.handling)


def is_restricted(event_type: str, handling: str | None) -> bool:
    """Whether an event stays with the police: intelligence not marked P (may be shared), or any
    event the police marked C (shared only under conditions), whatever its type. The one rule;
    ``restricted_events`` is the same as a filter."""
    return handling == Handling.CONDITIONS or (event_type == EventType.INTELLIGENCE and handling != Handling.SHAREABLE)


def restricted_event_parts(through: str = "") -> tuple[models.Q, models.Q]:
    """``is_restricted``'s two halves as filters on Event, each served by an index: anything marked C
    (the partial index ``event_handling_c``), and intelligence not marked P (the event type's).
    ``through``: the path to the event from another model (``"event__"``)."""
    return (models.Q(**{f"{through}handling": Handling.CONDITIONS}),
            models.Q(**{f"{through}event_type": EventType.INTELLIGENCE})
            & ~models.Q(**{f"{through}handling": Handling.SHAREABLE}))


def restricted_events(through: str = "") -> models.Q:
    """``is_restricted`` as a filter on Event (or on a model reaching it ``through`` a path)."""
    marked_c, intelligence = restricted_event_parts(through)
    return marked_c | intelligence


class RelationshipType(models.TextChoices):
    PARENT = "parent", "Parent"
    SIBLING = "sibling", "Sibling"
    CARER = "carer", "Carer"
    PARTNER = "partner", "Partner"
    ASSOCIATE = "associate", "Associate"
    PEER = "peer", "Peer"
    SUSPECTED_PERPETRATOR = "suspected_perpetrator", "Suspected perpetrator"
    VICTIM = "victim", "Victim"
    OTHER = "other", "Other"


class Relationship(models.Model):
    """A dated link one source knows between two of its people (a row of relationships.csv)."""

    source_system = models.ForeignKey(SourceSystem, on_delete=models.PROTECT, related_name="relationships")
    from_record = models.ForeignKey(SourceRecord, on_delete=models.PROTECT, related_name="relationships_from")
    to_record = models.ForeignKey(SourceRecord, on_delete=models.PROTECT, related_name="relationships_to")
    relationship = models.CharField(max_length=30, choices=RelationshipType.choices)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    raw = models.JSONField(default=dict)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source_system", "from_record", "to_record", "relationship"], name="unique_relationship"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_relationship_display()} ({self.source_system_id}: {self.from_record_id} -> {self.to_record_id})"
        )


# The kinds of relationship that say whom the police think offended against whom: a suspected
# perpetrator, and a victim (the child is the victim of the other, who is named just as much). A police
# row of either kind, and every other police row about the same pair, stays with the police
# (``police_only_relationships``; docs/decisions.md, "Who sees which links").
NAMES_AN_OFFENDER: frozenset[str] = frozenset({RelationshipType.SUSPECTED_PERPETRATOR, RelationshipType.VICTIM})


def police_only_relationships() -> models.Q:
    """Relationships that stay with the police, as a filter on Relationship: every row about a pair of
    records (either way round) that the police's own system names as suspected perpetrator or victim
    (``NAMES_AN_OFFENDER``): either says whom they think offended. That row itself, and the police's other
    rows about the same two people: a police
    extract that first sent an adult as a child's "associate" and later as her suspected perpetrator
    holds both rows (relationships.csv has no id of its own, so the later row is a row of its own), and
    the earlier one, shared, would go on telling everyone outside the police whom they suspect. Both
    records of a pair are in one source system, so the pair's other rows are the police's too; another
    agency's record of the same two people is its own and stays shared."""
    suspects = Relationship.objects.filter(relationship__in=sorted(NAMES_AN_OFFENDER),
                                           source_system__agency__kind=AgencyKind.POLICE)
    same_way = suspects.filter(from_record=models.OuterRef("from_record"), to_record=models.OuterRef("to_record"))
    other_way = suspects.filter(from_record=models.OuterRef("to_record"), to_record=models.OuterRef("from_record"))
    return models.Q(models.Exists(same_way)) | models.Q(models.Exists(other_way))


class ChangeKind(models.TextChoices):
    MERGE = "merge", "Merged"
    SPLIT = "split", "Split"
    UNDO = "undo", "Undone"


class PersonChange(models.Model):
    """What a linkage run or a person's match decision did to persons: which source records moved
    from which person to which. Kept so that the history can be read, and a merge or split undone.
    Written only by ``people.identity``.

    The run or decision that caused it lives in the linkage room, above this one, so it is named
    by id rather than by a foreign key."""

    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    at = models.DateTimeField()
    linkage_run_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    match_decision_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="changes", help_text="the person kept")
    # [{"record": source record id, "from": person id, "to": person id}, ...]; changes made before
    # concerns were read through ``root`` also hold {"concern": id, "from": ..., "to": ...}.
    moves = models.JSONField(default=list)
    undone_by = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="undoes")

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} into {self.person_id} at {self.at:%Y-%m-%d %H:%M}"
