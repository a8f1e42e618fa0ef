"""Assembling everything the hub holds about a person for their subject access request: the rooms
below this one read through their selectors here, the rooms beside and above through the sources
they registered (``dataprotection.sources``); then the lexicon of third parties and of the person's
own values that the redaction proposals work from."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, CharField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat, LPad
from django.utils import timezone

from safeguarding.accounts.models import Agency, AgencyKind, User
from safeguarding.audit.models import AuditEvent, AuditEventType, AuditPersonShown, about_person
from safeguarding.dataprotection import redaction
from safeguarding.dataprotection.sources import (
    AUDIT_SECTION,
    CONTACT_SECTION,
    SECTIONS,
    SUPPORT_SECTION,
    Category,
    Gathered,
    Item,
    Lexicon,
    ThirdParty,
    registered_sources,
    suspects_elsewhere,
)
from safeguarding.exchange.format import EVENTS, PEOPLE, RELATIONSHIPS, FileFormat
from safeguarding.people import identity
from safeguarding.people.models import (
    NAMES_AN_OFFENDER,
    Event,
    EventType,
    Person,
    PersonRole,
    Relationship,
    SourceRecord,
    child_or_adult,
    person_reference,
    restricted_events,
)
from safeguarding.people.selectors import police_only_among, records_named, subject_access_records
from safeguarding.support.selectors import contact_wishes_for_subject_access, plans_for_subject_access

POLICE_INTELLIGENCE_WITHHELD = (
    "Police intelligence held with handling conditions (code C). It is the police's information, often "
    "about other people and from sources who must be protected, and it is never disclosed by the hub "
    "(Data Protection Act 2018, Schedule 2, paragraph 2: crime and taxation). The police decide on its "
    "disclosure: refer this part of the request to their data protection team."
)

POLICE_WORK_WITHHELD = (
    "Held by the police, or by the hub for them, about the prevention or detection of crime: a suspect "
    "they have named, or their investigations, operations, disruption and intelligence work. Disclosing it "
    "could prejudice that work or tip a suspect off, and the hub never does (Data Protection Act 2018, "
    "Schedule 2, paragraph 2: crime and taxation). The police decide on its disclosure: refer this part of "
    "the request to their data protection team."
)
# The audit trail's rows of police work: who was added to an operation, what was disrupted, what
# intelligence was recorded or read. Listed under "who has viewed or changed your record" they would
# tell a suspect the police are looking at them.
POLICE_WORK_AUDIT = frozenset({
    AuditEventType.OPERATION_OPENED, AuditEventType.OPERATION_SUBJECT_ADDED, AuditEventType.OPERATION_VIEWED,
    AuditEventType.DISRUPTION_RECORDED, AuditEventType.DISRUPTION_OUTCOME_RECORDED,
    AuditEventType.JUSTICE_OUTCOME_RECORDED, AuditEventType.INTELLIGENCE_RECORDED,
    AuditEventType.INTELLIGENCE_SOURCE_VIEWED, AuditEventType.INTELLIGENCE_DISCLOSED, AuditEventType.INTELLIGENCE_VIEWED,
    # Their titles say what the police hold or told the panel about the person.
    AuditEventType.POLICE_TOLD_OF_SUBMISSION, AuditEventType.POLICE_MINUTES_DRAFTED,
    AuditEventType.POLICE_MINUTES_VIEWED,
})


# Pages of police work and of the networks picture that list people (``persons_shown``'s page names):
# that someone looked at a person there is police work too, and would tell a suspect the same.
POLICE_WORK_PAGES = ("operation ", "disruption and outcomes", "entity ", "network of ", "networks")


# Why a person's record was opened, when it was to draw their network (contexts' views give it): that
# someone drew his network would tell a suspect the same.
NETWORK_OPENED = "opened the person's network"


def police_suspects() -> QuerySet[Person]:
    """Every id of each adult the police hold suspicion or police work about: a police relationship
    naming him an offender (``people.models.NAMES_AN_OFFENDER``), police intelligence on his own records
    that may not go beyond the police (``people.models.restricted_events``), and what the rooms above
    registered (``sources.register_suspect_source``: a suspect named in graded intelligence, an
    operation's subject, an adult disrupted). That the police looked at such a person, his record or a
    page listing him, tells him or anyone outside the police what the police are doing."""
    naming = Relationship.objects.filter(relationship__in=sorted(NAMES_AN_OFFENDER),
                                         source_system__agency__kind=AgencyKind.POLICE)
    named = SourceRecord.objects.filter(Q(pk__in=naming.values("from_record")) | Q(pk__in=naming.values("to_record")))
    held = Event.objects.filter(restricted_events()).values("source_record__person__root_id")
    roots = Q(root_id__in=named.values("person__root_id")) | Q(root_id__in=held)
    for elsewhere in suspects_elsewhere():
        roots |= Q(root_id__in=Person.objects.filter(pk__in=elsewhere).values("root_id"))
    return Person.objects.filter(roots, root__role__in=[role for role in PersonRole.values if role != PersonRole.CHILD])


def _single_views_of(people: QuerySet[Person]) -> QuerySet[Any]:
    """The audit trail's name of each person's single view (``single view of P0000123``, as the page
    writes it with ``person_reference``), worked out in the database."""
    digits = Cast("pk", CharField())
    return people.annotate(page=Concat(Value("single view of P"), Case(
        When(pk__lt=10_000_000, then=LPad(digits, 7, Value("0"))), default=digits, output_field=CharField()),
        output_field=CharField())).values("page")


def police_work_rows() -> Q:
    """The audit trail's rows of police work, as a filter on AuditEvent: the same rows a subject access
    bundle withholds (``_police_work``, and any row of the police looking at an adult they suspect,
    ``_audit``: about him, a page, search or download that listed him, or his own page listing the
    children around him), and a police-only addendum
    to a panel's minutes (for everyone else nothing of it shows, not even that there is one)."""
    pages = Q()
    for prefix in POLICE_WORK_PAGES:
        pages |= Q(target_id__startswith=prefix)
    named = police_suspects()  # built once: each registered room is asked once
    suspects = named.values("pk")
    police = Agency.objects.filter(kind=AgencyKind.POLICE).values("code")
    return (Q(event_type__in=sorted(POLICE_WORK_AUDIT))
            | (Q(event_type=AuditEventType.PERSONS_LISTED, target_kind="page") & pages)
            | Q(event_type=AuditEventType.PERSON_VIEWED, reason=NETWORK_OPENED)
            | Q(event_type=AuditEventType.MINUTES_ADDENDUM, detail__police_only=True)
            | Q(actor_agency__in=police, person_id__in=suspects)
            | Q(actor_agency__in=police, sequence__in=AuditPersonShown.objects.filter(person_id__in=suspects)
                .values("sequence"))
            | Q(actor_agency__in=police, event_type=AuditEventType.PERSONS_LISTED, target_kind="page",
                target_id__in=_single_views_of(named)))


def _police_work(kind: int, target_kind: str, target_id: str, reason: str = "") -> bool:
    return kind in POLICE_WORK_AUDIT or (
        kind == AuditEventType.PERSONS_LISTED and target_kind == "page" and target_id.startswith(POLICE_WORK_PAGES)
    ) or (kind == AuditEventType.PERSON_VIEWED and reason == NETWORK_OPENED)


def _as_sent(held: SourceRecord | Event | Relationship, fmt: FileFormat) -> list[tuple[str, str]]:
    """What the agency sent that the fields shown do not hold, and the hub still keeps with the row
    (``raw``): a column the exchange format does not know, under the name it was sent with, and an
    optional value set aside as unusable (a date of birth of 2010-03-41), as it was sent."""
    found = []
    for name, value in held.raw.items():
        text = str(value).strip()
        if not text:
            continue
        column = fmt.by_name.get(name)
        if column is None:
            found.append((f"Also sent: {name}", text))
        elif not column.required and column.field and getattr(held, column.field, "") in ("", None):
            found.append((f"{name} as sent (set aside: not usable)", text))
    return found


def _record_values(record: SourceRecord) -> list[str]:
    names = [record.full_name, f"{record.given_name} {record.family_name}".strip(), record.middle_names,
             *record.other_names.split(";")]
    identifiers = [record.nhs_number, record.upn, record.pnc_id, record.address, *record.phones.split(";"),
                   *record.emails.split(";")]
    return [v for v in names + identifiers if v]


def _whose(record: SourceRecord) -> str:
    """Another child's or another adult's: by the date of birth today, else the record's role (``people.models
    .child_or_adult``; a record sent as an adult's of a girl of 16 is another child's)."""
    child = child_or_adult(record.role, record.date_of_birth, timezone.localdate()) == PersonRole.CHILD
    return Category.OTHER_CHILD if child else Category.ADULT


def _people(user: User, person: Person) -> Gathered:
    held = subject_access_records(user=user, person=person)
    lexicon = Lexicon()
    for record in held.records:
        for value in (*_record_values(record), record.given_name, record.family_name, record.postcode):
            lexicon.add_own(value)
    for other in held.others:
        category = _whose(other)
        for value in _record_values(other):
            lexicon.add_third_party(value, category)
    items: list[Item] = []
    section = SECTIONS[0]
    for r in held.records:
        items.append(Item(
            section=section, kind="source_record", source=f"{r.source_system.code} {r.record_id}",
            title=f"{r.source_system.agency.name}", occurred_at=r.updated_at,
            fields=[("Name", r.full_name), ("Middle names", r.middle_names),
                    ("Also known as", r.other_names.replace(";", ", ")),
                    ("Date of birth", r.date_of_birth), ("Sex", r.sex), ("NHS number", r.nhs_number),
                    ("Unique pupil number", r.upn), ("Police national computer id", r.pnc_id),
                    ("Address", " ".join(p for p in (r.address, r.postcode) if p)),
                    ("Phone", r.phones.replace(";", ", ")), ("E-mail", r.emails.replace(";", ", ")),
                    *_as_sent(r, PEOPLE)],
        ))
    others_by_key = {(o.source_system_id, o.record_id): o for o in held.others}
    others_by_pk = {o.pk: o for o in held.others}
    section = SECTIONS[1]
    # Intelligence the police hold about a man they suspect is their intelligence work, whatever its
    # handling code: P lets the police share it with partners, not tell him; they decide on that.
    suspect = _named_suspect(person)
    for e in [*held.events, *held.naming]:
        if suspect and e.event_type == EventType.INTELLIGENCE:
            items.append(Item(
                section=section, kind="withheld_police", source=f"{e.source_system.code} {e.event_id}",
                title="Police intelligence (withheld)", occurred_at=e.occurred_at, withheld_reason=POLICE_WORK_WITHHELD,
            ))
            continue
        named = [others_by_key.get((e.source_system_id, rid)) for rid in e.other_record_ids.split(";") if rid]
        fields = [("What", e.get_event_type_display()), ("Details", e.detail),
                  ("Where", ", ".join(p for p in (e.location_name, e.location_postcode) if p)),
                  ("Vehicle", e.vehicle_registration), ("Phone", e.phone)]
        third = [ThirdParty(3, Category.IDENTIFIER), ThirdParty(4, Category.IDENTIFIER)]
        if e.source_record_id in others_by_pk:
            holder = others_by_pk[e.source_record_id]
            fields.append(("Recorded on the record of", holder.full_name or holder.record_id))
            third.append(ThirdParty(len(fields) - 1, _whose(holder)))
        for other in (n for n in named if n is not None):
            fields.append(("With", other.full_name or other.record_id))
            third.append(ThirdParty(len(fields) - 1, _whose(other)))
        if e.ended_at:
            fields.insert(1, ("Until", f"{e.ended_at:%-d %B %Y, %H:%M}"))
            third = [ThirdParty(tp.field + 1, tp.category) for tp in third]
        fields += _as_sent(e, EVENTS)
        items.append(Item(
            section=section, kind="event", source=f"{e.source_system.code} {e.event_id}",
            title=f"{e.get_event_type_display()}, recorded by {e.source_system.agency.name}",
            occurred_at=e.occurred_at, fields=fields, third_parties=third,
        ))
    for when, system, event_id in held.withheld:
        items.append(Item(
            section=section, kind="withheld_intelligence", source=f"{system} {event_id}",
            title="Police intelligence (withheld)", occurred_at=when, withheld_reason=POLICE_INTELLIGENCE_WITHHELD,
        ))
    first_event = next((i for i, it in enumerate(items) if it.section == section), len(items))
    items[first_event:] = sorted(items[first_event:], key=lambda it: it.occurred_at.timestamp() if it.occurred_at else 0)
    own_records = {r.pk for r in held.records}
    police_only = police_only_among(held.relationships)  # a suspect's row, and the police's others about the pair
    for rel in held.relationships:
        other = rel.to_record if rel.from_record_id in own_records else rel.from_record
        if rel.pk in police_only:
            items.append(Item(
                section=section, kind="withheld_police", source=f"{rel.source_system.code} relationship {rel.pk}",
                title="A relationship recorded by the police (withheld)", withheld_reason=POLICE_WORK_WITHHELD,
            ))
            continue
        items.append(Item(
            section=section, kind="relationship", source=f"{rel.source_system.code} relationship {rel.pk}",
            title=f"A relationship recorded by {rel.source_system.agency.name}",
            fields=[("Relationship", rel.get_relationship_display()), ("With", other.full_name or other.record_id),
                    ("From", f"{rel.start_date:%-d %B %Y}" if rel.start_date else ""),
                    ("To", f"{rel.end_date:%-d %B %Y}" if rel.end_date else ""), *_as_sent(rel, RELATIONSHIPS)],
            third_parties=[ThirdParty(1, _whose(other))],
        ))
    return Gathered(items, lexicon)


def _support(person: Person) -> list[Item]:
    items: list[Item] = []
    section = SUPPORT_SECTION
    for d in plans_for_subject_access(person):
        plan = d.plan
        items.append(Item(
            section=section, kind="support_plan", source=f"support plan {plan.reference}",
            title=f"Support plan held by {plan.agency.name}", occurred_at=plan.opened_at,
            fields=[("Stage", plan.get_stage_display()), ("Lead worker", plan.lead_worker.display_name),
                    ("Status", plan.get_status_display()), ("Why it closed", plan.closed_reason)],
        ))
        for t in d.transitions:
            items.append(Item(section=section, kind="support_transition", source=f"support plan {plan.reference}",
                              title="Transition", occurred_at=t.recorded_at,
                              fields=[("From", t.get_from_stage_display()), ("To", t.get_to_stage_display()),
                                      ("Note", t.note)]))
        for w in d.words:
            items.append(Item(section=section, kind="own_words", source=f"support plan {plan.reference}",
                              title=f"In your words: {w.get_kind_display().lower()}", occurred_at=None,
                              fields=[("Said on", f"{w.said_on:%-d %B %Y}"), ("Your words", w.words)],
                              own_words=True))
        for s in d.services:
            items.append(Item(section=section, kind="support_service", source=f"support plan {plan.reference}",
                              title=f"Service: {s.get_kind_display()}", occurred_at=None,
                              fields=[("Offered on", f"{s.offered_on:%-d %B %Y}"), ("Taken up", s.get_status_display()),
                                      ("Provider", s.provider), ("Note", s.note)]))
        for r in d.referrals:
            items.append(Item(section=section, kind="provider_referral", source=f"support plan {plan.reference}",
                              title=f"Referral to {r.provider}", occurred_at=None,
                              fields=[("Referred on", f"{r.referred_on:%-d %B %Y}"), ("Outcome", r.get_outcome_display()),
                                      ("Note", r.note)]))
        for c in d.contacts:
            items.append(Item(section=section, kind="support_contact", source=f"support plan {plan.reference}",
                              title=c.get_kind_display(), occurred_at=None,
                              fields=[("On", f"{c.happened_on:%-d %B %Y}"), ("Note", c.note)]))
        for g in d.goals:
            progress = "; ".join(f"{p.recorded_on:%-d %B %Y}: {p.note}" for p in g.progress.all())
            items.append(Item(section=section, kind="support_goal", source=f"support plan {plan.reference}",
                              title="Goal", occurred_at=None,
                              fields=[("Goal", g.description), ("Status", g.get_status_display()),
                                      ("Progress", progress)]))
        for sw in d.sharing_wishes:
            items.append(Item(section=section, kind="sharing_wish", source=f"support plan {plan.reference}",
                              title="What you want shared", occurred_at=None, own_words=True,
                              fields=[("What", sw.what), ("With", sw.with_whom),
                                      ("Your wish", "Share it" if sw.share else "Do not share it")]))
        for f in d.feedback:
            items.append(Item(section=section, kind="feedback", source=f"support plan {plan.reference}",
                              title="Your feedback on the service", occurred_at=None, own_words=True,
                              fields=[("On", f"{f.given_on:%-d %B %Y}"), ("Rating", f"{f.rating} out of 5"),
                                      ("Your words", f.words)]))
    for wish in contact_wishes_for_subject_access(person):
        items.append(Item(section=CONTACT_SECTION, kind="contact_wish", source="support", title="Your wish about contact",
                          occurred_at=wish.recorded_at, own_words=True,
                          fields=[("Wish", "No contact" if wish.no_contact else "Contact allowed"),
                                  ("In your words", wish.their_words)]))
    return items


def _named_suspect(person: Person) -> bool:
    """Whether the police hold suspicion or police work about this adult (``police_suspects``)."""
    return person.role != PersonRole.CHILD and police_suspects().filter(pk__in=identity.ids_of(person)).exists()


def _audit(person: Person) -> list[Item]:
    # For a suspect the police have named, any row of the police looking at him (his record, a child's
    # single view that lists him, a search) says they are looking: police work, whatever the page.
    police = (set(Agency.objects.filter(kind=AgencyKind.POLICE).values_list("code", flat=True))
              if _named_suspect(person) else set())
    rows = (
        AuditEvent.objects.filter(about_person(identity.ids_of(person)))
        .order_by("sequence")
        .values_list("sequence", "occurred_at", "event_type", "actor_label", "actor_agency", "reason", "target_kind",
                     "target_id")
    )
    labels = dict(AuditEvent._meta.get_field("event_type").choices or [])
    return [
        Item(section=AUDIT_SECTION, kind="withheld_police", source=f"audit trail #{seq}",
             title="A record of police work (withheld)", occurred_at=when, withheld_reason=POLICE_WORK_WITHHELD)
        if _police_work(kind, target_kind, target_id, reason) or agency in police else
        Item(section=AUDIT_SECTION, kind="audit", source=f"audit trail #{seq}", title=str(labels.get(kind, kind)),
             occurred_at=when, fields=[("By", f"{actor} ({agency})" if agency else actor), ("Reason", reason)])
        for seq, when, kind, actor, agency, reason, target_kind, target_id in rows
    ]


def gather(*, user: User, person: Person) -> tuple[list[Item], Lexicon]:
    """Every item, in the bundle's order (sections, then date), with the lexicon for redaction."""
    people = _people(user, person)
    items = list(people.items)
    lexicon = people.lexicon
    for pk in identity.ids_of(person):  # the person's own hub references: another's is proposed for redaction
        lexicon.add_own(person_reference(pk))
    for source in registered_sources().values():
        found = source(user, person)
        items.extend(found.items)
        lexicon.third_party.update({k: v for k, v in found.lexicon.third_party.items() if k not in lexicon.third_party})
        lexicon.own |= found.lexicon.own
    items.extend(_support(person))
    items.extend(_audit(person))
    # People the hub holds who are named in free text, though no record links them to the person.
    pairs: set[tuple[str, str]] = set()
    for item in items:
        if not item.own_words:
            for _label, value in item.fields:
                pairs |= redaction.name_candidates(value)
    for record in records_named(pairs):
        if record.person_id and identity.root_id(record.person_id) == identity.root_id(person):
            continue
        category = _whose(record)
        lexicon.add_third_party(f"{record.given_name} {record.family_name}", category)
    order = {name: i for i, name in enumerate(SECTIONS)}
    # Sections in the bundle's order; within a section, each source's own order (stable sort).
    ranked = sorted(enumerate(items), key=lambda pair: (order.get(pair[1].section, len(order)), pair[1].section,
                                                       pair[0]))
    return [item for _, item in ranked], lexicon
