"""factory_boy factories for the hub's records."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import factory
from django.db import transaction
from django.utils import timezone

from safeguarding.accounts.models import Agency, AgencyKind, Role, User
from safeguarding.core import normalise
from safeguarding.people import identity
from safeguarding.people.models import Event, EventType, Person, PersonRole, SourceRecord, SourceSystem

PASSWORD = "correct-horse-battery-staple"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"agency-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    kind = AgencyKind.COUNCIL


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    agency = factory.SubFactory(AgencyFactory)
    role = Role.REFERRER

    @factory.post_generation
    def password(obj: User, create: bool, extracted: str | None, **kwargs: Any) -> None:
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save()


def authenticator_for(user: User) -> Any:
    """The user's confirmed authenticator app (made if they have none), as the hub's enrolment makes it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def sign_in(client: Any, user: User, *, finished: bool = True) -> Any:
    """Sign a test client in as a user who has passed the second factor, as a real sign-in leaves the
    session (Django's force_login, then django-otp's mark that the device was used). ``finished=False``
    leaves the session as it is just after the code, before the hub has looked for steps still to do
    (a temporary password to change)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from safeguarding.accounts.middleware import SIGN_IN_COMPLETE_KEY

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(user).persistent_id
    if finished:  # the first page after signing in found nothing left to do (no temporary password)
        session[SIGN_IN_COMPLETE_KEY] = True
    session.save()
    return client


class SourceSystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceSystem
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"system-{n}")
    name = factory.LazyAttribute(lambda o: o.code)
    agency = factory.SubFactory(AgencyFactory)


class PersonFactory(factory.django.DjangoModelFactory):
    """A person made as the hub makes one: by the identity room (each person is their own root).
    ``merged_into=other`` merges the new person into ``other`` as record linkage would."""

    class Meta:
        model = Person

    given_name = "Chloe"
    family_name = factory.Sequence(lambda n: f"Barker{n}")
    date_of_birth = "2010-03-14"
    sex = "F"
    role = PersonRole.CHILD
    postcode = "S65 1AB"

    @classmethod
    def _create(cls, model_class: type[Person], *args: Any, **kwargs: Any) -> Person:
        into = kwargs.pop("merged_into", None)
        person = identity.person_create(**kwargs)
        if into is not None:
            merge(person, into=into)
            person.refresh_from_db()
        return person


def merge(person: Person, *, into: Person) -> None:
    """Record linkage finds ``person`` to be ``into``: their records move and the id follows, through
    the identity room, as a linkage run or a reviewer's decision does it."""
    with transaction.atomic():
        identity.persons_merge(keep=into.pk, retire=person.pk, cause=identity.Cause())
    person.refresh_from_db()


class SourceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceRecord

    source_system = factory.SubFactory(SourceSystemFactory)
    record_id = factory.Sequence(lambda n: f"REC-{n}")
    person = factory.SubFactory(PersonFactory)
    given_name = factory.LazyAttribute(lambda o: o.person.given_name)
    family_name = factory.LazyAttribute(lambda o: o.person.family_name)
    date_of_birth = factory.LazyAttribute(lambda o: o.person.date_of_birth)
    sex = factory.LazyAttribute(lambda o: o.person.sex)
    postcode = factory.LazyAttribute(lambda o: o.person.postcode)
    role = factory.LazyAttribute(lambda o: o.person.role)

    @classmethod
    def _create(cls, model_class: type[SourceRecord], *args: Any, **kwargs: Any) -> SourceRecord:
        # Names as the import and the identity room index them for search.
        keys = normalise.record_name_keys(kwargs.get("given_name"), kwargs.get("family_name"), kwargs.get("other_names"))
        return super()._create(model_class, *args, **{**keys, **kwargs})


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    source_record = factory.SubFactory(SourceRecordFactory)
    source_system = factory.LazyAttribute(lambda o: o.source_record.source_system)
    event_id = factory.Sequence(lambda n: f"EV-{n}")
    event_type = EventType.MISSING_EPISODE
    occurred_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=3))
    detail = "Reported missing by carer"


# --- early warning (models named as strings, so this block needs no imports of its own) -------


class RuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "earlywarning.Rule"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"rule-{n}")
    name = factory.Sequence(lambda n: f"Repeat missing episodes {n}")
    description = "Three or more missing episodes within 90 days."
    kind = "repeated"
    params = factory.LazyFunction(lambda: {"event_type": "missing_episode", "count": 3, "window_days": 90})
    level = "medium"


class AlertFactory(factory.django.DjangoModelFactory):
    """An alert on a child, its trigger event recorded about the same child; the trigger event is
    its first evidence (pass ``evidence=[...]`` to add more events)."""

    class Meta:
        model = "earlywarning.Alert"
        skip_postgeneration_save = True

    rule = factory.SubFactory(RuleFactory)
    rule_version = factory.LazyAttribute(lambda o: o.rule.version)
    person = factory.SubFactory(PersonFactory)
    level = factory.LazyAttribute(lambda o: o.rule.level)
    raised_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    trigger_event = factory.SubFactory(
        EventFactory,
        source_record__person=factory.SelfAttribute("...person"),
        occurred_at=factory.SelfAttribute("..raised_at"),
    )
    explanation = "3 missing episodes within 90 days."
    created_at = factory.LazyFunction(timezone.now)
    evidence_updated_at = factory.SelfAttribute("created_at")
    status = "open"

    @factory.post_generation
    def evidence(obj: Any, create: bool, extracted: list[Any] | None, **kwargs: Any) -> None:
        if not create:
            return
        events = [obj.trigger_event, *(extracted or [])]
        for event in events:
            AlertEvidenceFactory(alert=obj, event=event)
        type(obj).objects.filter(pk=obj.pk).update(evidence_count=len(events))
        obj.evidence_count = len(events)


class AlertEvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "earlywarning.AlertEvidence"

    alert = factory.SubFactory(AlertFactory)
    event = factory.SubFactory(EventFactory, source_record__person=factory.SelfAttribute("...alert.person"))
    added_at = factory.LazyFunction(timezone.now)


def without_csrf(content: bytes) -> bytes:
    """A page without its CSRF tokens, which are masked afresh on every page (the sign-out form's is
    on every page, error pages too): for saying two pages are otherwise the same byte for byte."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)
