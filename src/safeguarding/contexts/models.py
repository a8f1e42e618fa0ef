"""Vehicles, places, phones and peer groups as entities of their own, the dated links that join
people to them and to each other (each with its source and provenance), graded police intelligence
with its source kept apart, the record of every disclosure, information other agencies submit, and
contexts (a place or peer group) as subjects of work.

Modelled on followthemoney: a link is a dated record of who said so, when and from which record,
never a text field on a child's record. Links are read through the person's identity: a link made
from an agency's record follows that record (``source_record``), so it goes where linkage puts the
record; a link a practitioner recorded keeps the person it was recorded for (``person``), read
through ``root``. Nothing is moved when persons merge.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from safeguarding.accounts.models import Agency
from safeguarding.people.models import Event, Person, Relationship, SourceRecord, SourceSystem


class EntityKind(models.TextChoices):
    VEHICLE = "vehicle", "Vehicle"
    PLACE = "place", "Place"
    PHONE = "phone", "Phone"
    PEER_GROUP = "peer_group", "Peer group"


class PlaceKind(models.TextChoices):
    HOTEL = "hotel", "Hotel"
    TAKEAWAY = "takeaway", "Takeaway"
    TAXI_RANK = "taxi_rank", "Taxi rank or firm"
    PARK = "park", "Park"
    HOUSE = "house", "House or flat"
    SCHOOL = "school", "School"
    ONLINE = "online", "Online platform"
    SHOP = "shop", "Shops or shopping centre"
    CAR_PARK = "car_park", "Car park"
    TRANSPORT = "transport", "Station or transport hub"
    OTHER = "other", "Other place"


# Crockford's base32 in lower case: no i, l, o or u to misread when a reference is read out or copied.
_PUBLIC_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
PUBLIC_ID_LENGTH = 12  # 60 random bits


def entity_public_id() -> str:
    """A new entity's (or work on a context's) address and reference: random, so nothing about it says
    when it was made, or how many were made before it."""
    return "".join(secrets.choice(_PUBLIC_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


class Entity(models.Model):
    """A vehicle (normalised UK registration), place (postcode, or a named location), phone (E.164)
    or peer group. ``key`` is the normalised value: two agencies' records join on it and nothing else.

    ``placeholder`` marks a value so many unrelated people share (a switchboard number, a hospital's
    postcode) that it says nothing about who knows whom: it is kept and shown, but never links people.

    ``public_id`` is how pages, addresses, charts and e-mails name it, never the primary key: the key
    counts entities in the order they were made, so an entity's key older than one just made from a
    made-up registration said that records (police-only ones, to a reader outside the police) already
    named it (docs/decisions.md, "Who sees which links")."""

    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=entity_public_id, editable=False)
    kind = models.CharField(max_length=20, choices=EntityKind.choices)
    key = models.CharField(max_length=200)
    label = models.CharField(max_length=300, help_text="how the entity is shown: a spaced registration, a named place")
    place_kind = models.CharField(max_length=20, choices=PlaceKind.choices, blank=True)
    placeholder = models.BooleanField(default=False)
    placeholder_reason = models.CharField(max_length=300, blank=True)
    placeholder_cleared = models.TextField(
        blank=True, help_text="why an intelligence officer found a value marked a placeholder to be real; never marked again"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="unique_entity_kind_key")]
        verbose_name_plural = "entities"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}"

    @property
    def reference(self) -> str:
        """As people quote it: ``E-7K3M-Q9TX-2BHD``."""
        code = self.public_id.upper()
        return "E-" + "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class LinkNature(models.TextChoices):
    """What a link says (its provenance in the users' words)."""

    SEEN_IN_VEHICLE = "seen_in_vehicle", "Seen in vehicle"
    VEHICLE_USED = "vehicle_used", "Vehicle linked to them"
    SEEN_AT = "seen_at", "Seen at place"
    FOUND_AT = "found_at", "Found at place on return from missing"
    PHONE_USED = "phone_used", "Phone linked to them"
    PRESENT_WITH = "present_with", "Present at the same event"
    ASSOCIATE = "associate", "Associate"
    PEER = "peer", "Peer"
    PARTNER = "partner", "Partner"
    SUSPECTED_PERPETRATOR = "suspected_perpetrator", "Suspected perpetrator"
    VICTIM = "victim", "Victim"
    MEMBER = "member", "Member of peer group"
    OTHER = "other", "Other link"


class LinkOrigin(models.TextChoices):
    EVENT = "event", "An agency's event"
    RECORD = "record", "An agency's record of the person"
    RELATIONSHIP = "relationship", "An agency's relationship record"
    SUBMISSION = "submission", "Information submitted by a practitioner"
    INTELLIGENCE = "intelligence", "Graded police intelligence"


class Link(models.Model):
    """A dated link from a person to an entity or to another person, with its source.

    ``restricted``: police-only (police intelligence without handling code P, a police record of a
    suspected perpetrator, or graded intelligence with handling code C). Only police casework staff
    see such a link or anything derived from it (docs/decisions.md, "Who sees which links")."""

    origin = models.CharField(max_length=20, choices=LinkOrigin.choices)
    # A key that makes building links from the same record twice change nothing.
    origin_key = models.CharField(max_length=120, unique=True)
    nature = models.CharField(max_length=30, choices=LinkNature.choices)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", db_index=False)
    source_record = models.ForeignKey(
        SourceRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, null=True, blank=True, related_name="links")
    other_person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False)
    other_record = models.ForeignKey(
        SourceRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    start = models.DateTimeField(help_text="when the link was first true, as the source says")
    end = models.DateTimeField(null=True, blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", db_index=False)
    source_system = models.ForeignKey(
        SourceSystem, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False, db_constraint=False
    )
    relationship = models.ForeignKey(
        Relationship, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    submission = models.ForeignKey(
        "Submission", on_delete=models.PROTECT, null=True, blank=True, related_name="links", db_index=False
    )
    intelligence = models.ForeignKey(
        "IntelligenceReport", on_delete=models.PROTECT, null=True, blank=True, related_name="links", db_index=False
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField()
    restricted = models.BooleanField(default=False)
    # Where a missing child was found is a hotspot's evidence, but says nothing of whom they were
    # with: such links are drawn and counted, never used to join two networks into one.
    joins_networks = models.BooleanField(default=True)

    class Meta:
        indexes = [
            models.Index(fields=["person"], name="contexts_link_person"),
            models.Index(fields=["source_record"], name="contexts_link_record"),
            models.Index(fields=["other_person"], name="contexts_link_other_person"),
            models.Index(fields=["other_record"], name="contexts_link_other_record"),
        ]

    def __str__(self) -> str:
        return f"{self.get_nature_display()} ({self.origin_key})"


class LinkBuild(models.Model):
    """One run of building links from the agencies' events and relationships: how far it read
    (the next run reads only what is newer) and what it found."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    last_event_id = models.PositiveBigIntegerField(default=0)
    last_relationship_id = models.PositiveBigIntegerField(default=0)
    events_read = models.PositiveIntegerField(default=0)
    relationships_read = models.PositiveIntegerField(default=0)
    links_added = models.PositiveIntegerField(default=0)
    entities_added = models.PositiveIntegerField(default=0)
    values_set_aside = models.JSONField(default=dict, help_text="malformed values per kind, never joined on")
    placeholders = models.JSONField(default=list, help_text="entities found to be placeholders in this run")
    alerts_raised = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Link build {self.pk}"


# --- information from practitioners and graded intelligence ---------------------------------------


class Submission(models.Model):
    """Information a practitioner of any agency submits into the picture: a taxi licensing officer
    reports a driver and a vehicle, a youth worker a place."""

    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    observed_on = models.DateField()
    summary = models.TextField()

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"Submission {self.pk}"

    @property
    def reference(self) -> str:
        return f"S{self.pk:06d}"


class SourceEvaluation(models.TextChoices):
    """3x5x2: the source (the 3)."""

    RELIABLE = "1", "1 - reliable"
    UNTESTED = "2", "2 - untested"
    NOT_RELIABLE = "3", "3 - not reliable"


class IntelligenceAssessment(models.TextChoices):
    """3x5x2: the intelligence (the 5)."""

    KNOWN_DIRECTLY = "A", "A - known directly to the source"
    KNOWN_INDIRECTLY_CORROBORATED = "B", "B - known indirectly, corroborated"
    KNOWN_INDIRECTLY = "C", "C - known indirectly"
    NOT_KNOWN = "D", "D - not known"
    SUSPECTED_FALSE = "E", "E - suspected to be false"


class HandlingCode(models.TextChoices):
    """3x5x2: handling (the 2)."""

    P = "P", "P - may be shared lawfully"
    C = "C", "C - may be shared with conditions"


class IntelligenceReport(models.Model):
    """Graded police intelligence. The sanitised text is what may be shared under the handling
    conditions; who the source is lives in ``IntelligenceSource``, seen only by police intelligence
    officers."""

    reference = models.CharField(max_length=30, unique=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    observed_on = models.DateField()
    source_evaluation = models.CharField(max_length=1, choices=SourceEvaluation.choices)
    assessment = models.CharField(max_length=1, choices=IntelligenceAssessment.choices)
    handling = models.CharField(max_length=1, choices=HandlingCode.choices)
    handling_conditions = models.TextField(blank=True)
    sanitised_text = models.TextField()

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return self.reference

    @property
    def grading(self) -> str:
        return f"{self.source_evaluation}{self.assessment}{self.handling}"


class IntelligenceSource(models.Model):
    """Who or what the source of a report is, and the unsanitised account: kept apart from the
    report (a table of its own, read by one selector) and seen only by police intelligence officers."""

    report = models.OneToOneField(IntelligenceReport, on_delete=models.PROTECT, related_name="source")
    source_description = models.TextField()
    original_text = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Source of {self.report_id}"


class LawfulBasis(models.TextChoices):
    CHILDREN_ACT_S47 = "children_act_s47", "Children Act 1989, section 47 (enquiries about significant harm)"
    CHILDREN_ACT_S17 = "children_act_s17", "Children Act 1989, section 17 (child in need)"
    DPA_SAFEGUARDING = "dpa_sch1_18", "Data Protection Act 2018, Schedule 1 paragraph 18 (safeguarding children)"
    CRIME_PREVENTION = "dpa_sch1_10", "Data Protection Act 2018, Schedule 1 paragraph 10 (preventing or detecting crime)"
    LICENSING = "licensing", "Local Government (Miscellaneous Provisions) Act 1976 (licensing: fit and proper)"


class Disclosure(models.Model):
    """Every sharing of police intelligence beyond the police: what, to whom, why, on what lawful basis."""

    report = models.ForeignKey(IntelligenceReport, on_delete=models.PROTECT, related_name="disclosures")
    disclosed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    disclosed_at = models.DateTimeField()
    to_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    to_person = models.CharField(max_length=200, help_text="the named recipient")
    purpose = models.TextField()
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices)
    text_shared = models.TextField(help_text="exactly what was shared: the sanitised text")

    class Meta:
        ordering = ["-disclosed_at"]

    def __str__(self) -> str:
        return f"Disclosure of {self.report_id} to {self.to_agency_id}"


# --- contexts as subjects of work -------------------------------------------------------------------


class ContextStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class ContextCase(models.Model):
    """A place or peer group the partnership works on as it works on a child: an assessment, a plan
    (patrols, a licensing review of a taxi firm, engagement with a hotel) and reviews.

    ``public_id`` is its address and reference (``X-7K3M-Q9TX-2BHD``), never the primary key: the gaps
    between the keys of the work a reader outside the police sees would count the police-only work
    opened meanwhile (docs/decisions.md, "Who sees which links")."""

    public_id = models.CharField(max_length=PUBLIC_ID_LENGTH, unique=True, default=entity_public_id, editable=False)

    entity = models.ForeignKey(Entity, on_delete=models.PROTECT, related_name="cases")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField()
    assessment = models.TextField()
    plan = models.TextField()
    review_due_on = models.DateField()
    status = models.CharField(max_length=10, choices=ContextStatus.choices, default=ContextStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.TextField(blank=True)
    # Work opened on an entity no one outside the police could see (known only from police-only
    # links) stays with the police, whatever is linked to the entity later: a submission that names
    # the registration makes the entity shared, never the police's assessment and plan.
    police_only = models.BooleanField(default=False)

    class Meta:
        ordering = ["review_due_on"]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """As people quote it: ``X-7K3M-Q9TX-2BHD``."""
        code = self.public_id.upper()
        return "X-" + "-".join(code[i : i + 4] for i in range(0, len(code), 4))


class ContextReview(models.Model):
    case = models.ForeignKey(ContextCase, on_delete=models.PROTECT, related_name="reviews")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField()
    summary = models.TextField()
    next_review_on = models.DateField()

    class Meta:
        ordering = ["-reviewed_at"]

    def __str__(self) -> str:
        return f"Review of {self.case_id}"
