"""The data protection officer's records: subject access requests (with what the hub assembled for
each, the redactions proposed and decided, and the bundle produced), every disclosure outside the hub
with its lawful basis, sealed records and break-glass access, retention rules, legal holds and
disposals. The audit trail itself lives in the audit room."""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.db import models

from safeguarding.core.calendar import is_working_day, next_working_day
from safeguarding.people.models import Person

# UK GDPR Article 12(3): one month, which may be extended by two further months for complex requests.
EXTENSION_MONTHS = 2


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day number ``months`` later, or the last day of that month if it has none (the ICO's
    reading of "one month": 31 January gives 28 or 29 February)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def statutory_due(start: dt.date, months: int) -> dt.date:
    """The last day to respond: ``months`` calendar months from the day the clock started, moved to the
    next working day if it falls on a weekend or a bank holiday."""
    due = add_months(start, months)
    return due if is_working_day(due) else next_working_day(due)


class SarStatus(models.TextChoices):
    RECEIVED = "received", "Received: identity not yet verified"
    VERIFIED = "verified", "Identity verified"
    IN_REVIEW = "in_review", "Assembled: redactions in review"
    READY = "ready", "Bundle produced"
    SENT = "sent", "Sent"
    WITHDRAWN = "withdrawn", "Withdrawn"


class SubjectAccessRequest(models.Model):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="subject_access_requests")
    requester_name = models.CharField(max_length=200)
    requester_relationship = models.CharField(
        max_length=200, help_text="the person themselves, or who asks for them and on what authority"
    )
    received_on = models.DateField()
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    logged_at = models.DateTimeField()
    identity_verified_on = models.DateField(null=True, blank=True)
    identity_evidence = models.TextField(blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    extended = models.BooleanField(default=False)
    extension_reason = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=SarStatus.choices, default=SarStatus.RECEIVED)
    assembled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "received_on"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"SAR{self.pk:05d}"

    @property
    def clock_started_on(self) -> dt.date:
        """The clock runs from receipt, or from the day identity was verified when that came later
        (the ICO: the time limit starts when the controller has what it needs to confirm identity)."""
        if self.identity_verified_on and self.identity_verified_on > self.received_on:
            return self.identity_verified_on
        return self.received_on

    @property
    def due_on(self) -> dt.date:
        return statutory_due(self.clock_started_on, 1 + (EXTENSION_MONTHS if self.extended else 0))

    @property
    def first_month_ends_on(self) -> dt.date:
        return statutory_due(self.clock_started_on, 1)

    @property
    def is_open(self) -> bool:
        return self.status not in (SarStatus.SENT, SarStatus.WITHDRAWN)


class SarItem(models.Model):
    """One thing the hub holds about the person, in words, as assembled for the request."""

    request = models.ForeignKey(SubjectAccessRequest, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    section = models.CharField(max_length=120)
    kind = models.CharField(max_length=60)
    source = models.CharField(max_length=300)
    title = models.CharField(max_length=300)
    occurred_at = models.DateTimeField(null=True, blank=True)
    fields = models.JSONField(default=list, help_text="[[label, value], ...]")
    own_words = models.BooleanField(default=False)
    withheld_reason = models.TextField(blank=True, help_text="set: held but never disclosed; no content is kept")

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["request", "position"], name="one_item_per_position")]

    def __str__(self) -> str:
        return self.title


class RedactionStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted: withheld"
    LIFTED = "lifted", "Lifted: disclosed"


class SarRedaction(models.Model):
    """A span of one field of an item the hub proposes to withhold, and the officer's decision."""

    item = models.ForeignKey(SarItem, on_delete=models.CASCADE, related_name="redactions")
    field = models.PositiveSmallIntegerField()
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.TextField()
    category = models.CharField(max_length=30)
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=RedactionStatus.choices, default=RedactionStatus.PROPOSED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.category}: {self.status}"


class SarBundle(models.Model):
    """The disclosure bundle produced: the PDF with its contents page and the machine-readable copy."""

    request = models.OneToOneField(SubjectAccessRequest, on_delete=models.PROTECT, related_name="bundle")
    produced_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    produced_at = models.DateTimeField()
    pdf = models.BinaryField()
    data = models.BinaryField(help_text="the same bundle as JSON")
    pdf_sha256 = models.CharField(max_length=64)
    data_sha256 = models.CharField(max_length=64)
    pages = models.PositiveIntegerField()
    items_disclosed = models.PositiveIntegerField()
    items_withheld = models.PositiveIntegerField()
    redactions_applied = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"Bundle for {self.request}"


class LawfulBasis(models.TextChoices):
    RIGHT_OF_ACCESS = "right_of_access", "The person's right of access (UK GDPR Article 15)"
    SAFEGUARDING = "safeguarding", "Safeguarding children and individuals at risk (DPA 2018, Sch. 1, para. 18)"
    CRIME = "crime", "Preventing or detecting crime (DPA 2018, Sch. 2, para. 2)"
    LEGAL_PROCEEDINGS = "legal_proceedings", "Legal proceedings or legal advice (DPA 2018, Sch. 2, para. 5)"
    LEGAL_OBLIGATION = "legal_obligation", "A legal obligation or court order (UK GDPR Article 6(1)(c))"
    CONSENT = "consent", "The person's explicit consent (UK GDPR Article 9(2)(a))"


class Disclosure(models.Model):
    """Information that left the hub: to whom, what, why, by whom, on what lawful basis, and what was
    withheld."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="disclosures")
    recipient = models.CharField(max_length=300)
    what = models.TextField()
    purpose = models.TextField(blank=True, help_text="why it was shared (DOMAIN.md: what, with whom, why)")
    shared_by = models.CharField(max_length=300, blank=True,
                                 help_text="who shared it, where not the person who recorded it")
    lawful_basis = models.CharField(max_length=30, choices=LawfulBasis.choices)
    disclosed_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    request = models.ForeignKey(
        SubjectAccessRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="disclosures"
    )
    withheld = models.JSONField(default=list, help_text="[{what, reason}, ...]: what was withheld and why")

    class Meta:
        ordering = ["-disclosed_on", "-pk"]

    def __str__(self) -> str:
        return f"Disclosure to {self.recipient} on {self.disclosed_on}"


# --- sealed records ------------------------------------------------------------------------------

SEAL_REVIEW_DAYS = 90


class SealedRecord(models.Model):
    """A person whose record only the named users may open; anyone else with a reason to must break
    the glass. Reviewed every 90 days."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="seals")
    reason = models.TextField()
    named_users = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    sealed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sealed_at = models.DateTimeField()
    review_due_on = models.DateField()
    active = models.BooleanField(default=True)
    unsealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unsealed_at = models.DateTimeField(null=True, blank=True)
    unseal_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=models.Q(active=True), name="one_active_seal_per_person"),
        ]

    def __str__(self) -> str:
        return f"Seal on {self.person_id}"


class SealReview(models.Model):
    seal = models.ForeignKey(SealedRecord, on_delete=models.PROTECT, related_name="reviews")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField()
    keep_sealed = models.BooleanField()
    note = models.TextField()

    def __str__(self) -> str:
        return f"Review of {self.seal_id}"


# Break-glass access lasts one working shift, then the glass must be broken again.
BREAK_GLASS_HOURS = 8


class BreakGlassAccess(models.Model):
    """Someone not named on a seal opened the record in an emergency, saying why. The data protection
    officer is shown every use until they have reviewed it."""

    seal = models.ForeignKey(SealedRecord, on_delete=models.PROTECT, related_name="break_glass")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    justified = models.BooleanField(null=True)
    review_note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "expires_at"])]

    def __str__(self) -> str:
        return f"Break-glass by {self.user_id} at {self.at}"


# --- retention, legal holds, disposal ---------------------------------------------------------------


class RecordKind(models.TextChoices):
    CHILD_EXPLOITATION = "child_exploitation", "Records about a child: sexual abuse and exploitation"
    SURVIVOR_SUPPORT = "survivor_support", "Survivor support plans"
    ADULT = "adult", "Records about adults named in agencies' records"


class RetentionRule(models.Model):
    """How long one kind of record is kept: to a birthday, or a number of years after the last thing
    recorded about the person."""

    kind = models.CharField(max_length=30, choices=RecordKind.choices, unique=True)
    until_birthday = models.PositiveSmallIntegerField(null=True, blank=True, help_text="kept to this birthday")
    years_after_last = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="or kept this many years after the last record"
    )
    basis = models.TextField(help_text="why: the guidance or law behind the period")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.get_kind_display()


class LegalHold(models.Model):
    """While an investigation or claim is open, nothing about the person is disposed of."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="legal_holds")
    reason = models.TextField()
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Hold on {self.person_id}"

    @property
    def is_active(self) -> bool:
        return self.released_at is None


class Disposal(models.Model):
    """What was disposed of, when, by whom, and that a person confirmed it. The person's id is kept as
    a number: the person may be gone, the audit rows about them stay."""

    person_id_disposed = models.BigIntegerField()
    kind = models.CharField(max_length=30, choices=RecordKind.choices)
    retain_until = models.DateField()
    what = models.JSONField(default=dict, help_text="{kind of record: how many}")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField()
    note = models.TextField()

    def __str__(self) -> str:
        return f"Disposal for {self.person_id_disposed}"
