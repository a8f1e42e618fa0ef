"""The contexts room's data migrations, run forward over rows written as the schema before them held
them (historical models), on whichever database the run is given."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("contexts", "0004_work_opened_on_a_police_only_entity_stays_police_only")]
AFTER = [("contexts", "0006_entity_public_id_unique")]
LATEST = [("contexts", "0007_police_victim_relationships_stay_with_the_police")]
NEWEST = [("contexts", "0008_placeholder_reasons_count_no_one")]


def _migrate(targets: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] != "contexts"]
    return executor.loader.project_state(others + targets).apps


def test_existing_entities_get_a_random_public_id_and_the_hubs_notices_their_new_address() -> None:
    """Before, entities were addressed by their primary key; the migration gives each existing one a
    random public id, a batch at a time, and points the notices' links at the new address."""
    user = UserFactory()
    old = _migrate(BEFORE)
    try:
        Entity = old.get_model("contexts", "Entity")
        Notification = old.get_model("notifications", "Notification")
        made = [Entity.objects.create(kind="vehicle", key=f"YA19AB{n}", label=f"YA19 AB{n}") for n in range(5)]
        notice = Notification.objects.create(recipient_id=user.pk, kind="second_child_linked", subject="s", body="b",
                                             link=f"/networks/entities/{made[2].pk}/", created_at=timezone.now())
        other = Notification.objects.create(recipient_id=user.pk, kind="second_child_linked", subject="s", body="b",
                                            link="/panel/referrals/3/", created_at=timezone.now())
    finally:
        new = _migrate(AFTER)
        _migrate(LATEST)
    Entity = new.get_model("contexts", "Entity")
    Notification = new.get_model("notifications", "Notification")
    ids = dict(Entity.objects.values_list("pk", "public_id"))
    assert len(ids) == 5 and len(set(ids.values())) == 5
    assert all(re.fullmatch(r"[0-9a-hjkmnp-tv-z]{12}", code) for code in ids.values())
    assert Notification.objects.get(pk=notice.pk).link == f"/networks/entities/{ids[made[2].pk]}/"
    assert Notification.objects.get(pk=other.pk).link == "/panel/referrals/3/"


def test_links_built_before_from_a_police_victim_row_and_its_pair_become_police_only(agencies) -> None:  # type: ignore[no-untyped-def]
    """Before, a police row naming a child an adult's victim, and the police's other rows about the pair,
    were built into shared links; the migration holds them as it holds a suspect's. Another agency's
    record of a victim stays shared."""
    from safeguarding.accounts.models import AgencyKind
    from safeguarding.contexts import services
    from safeguarding.contexts.models import Link
    from safeguarding.people.models import Relationship
    from tests.factories import SourceRecordFactory, SourceSystemFactory

    police = SourceSystemFactory(code="police-records", agency=agencies[AgencyKind.POLICE])
    council = SourceSystemFactory(code="council-social-care", agency=agencies[AgencyKind.COUNCIL])
    rows = {}
    for system in (police, council):
        child = SourceRecordFactory(source_system=system, record_id="R-1")
        adult = SourceRecordFactory(source_system=system, record_id="R-2", role="adult")
        for kind in ("associate", "victim"):
            rows[(system.code, kind)] = Relationship.objects.create(source_system=system, from_record=child,
                                                                    to_record=adult, relationship=kind)
    services.links_build()
    Link.objects.update(restricted=False)  # as links were built before
    _migrate(AFTER)
    _migrate(LATEST)
    held = dict(Link.objects.values_list("relationship_id", "restricted"))
    assert held == {rows[("police-records", "associate")].pk: True, rows[("police-records", "victim")].pk: True,
                    rows[("council-social-care", "associate")].pk: False,
                    rows[("council-social-care", "victim")].pk: False}


def test_places_c_intelligence_labelled_before_and_the_alerts_quoting_them_lose_its_words(agencies) -> None:  # type: ignore[no-untyped-def]
    """Migration 0003 over historical models: a place first named by intelligence held with conditions,
    and named by a submission since, was left wearing the intelligence's words (the intelligence link
    keeps none, and the submission made the place shared); a new-link alert quoting them kept them too.
    Both take the postcode alone; a place a submission named first keeps the submission's words."""
    import datetime as dt

    from safeguarding.accounts.models import AgencyKind, Role
    from safeguarding.contexts import services
    from safeguarding.contexts.models import Entity, EntityKind
    from safeguarding.earlywarning.models import Alert
    from safeguarding.people.models import EventType
    from tests.factories import EventFactory, PersonFactory, SourceRecordFactory, SourceSystemFactory

    secret = "Op KESTREL safe house"
    officer = UserFactory(role=Role.INTELLIGENCE_OFFICER, agency=agencies[AgencyKind.POLICE])
    worker = UserFactory(role=Role.TRIAGE_WORKER, agency=agencies[AgencyKind.COUNCIL])
    school = SourceSystemFactory(code="school-sims", agency=agencies[AgencyKind.EDUCATION])
    children = []
    for n, days in ((1, 20), (2, 10)):
        child = PersonFactory(role="child", given_name=f"Child{n}", date_of_birth="2010-03-14")
        record = SourceRecordFactory(source_system=school, record_id=f"S-{n}", person=child, role="child")
        EventFactory(source_record=record, source_system=school, event_type=EventType.FOUND_WITH_ADULT,
                     location_name="", location_postcode="S60 9ZZ",
                     occurred_at=timezone.now() - dt.timedelta(days=days))
        children.append(child)

    def report(postcode: str) -> None:
        services.intelligence_record(
            acting_user=officer, observed_on=timezone.localdate() - dt.timedelta(days=30), source_evaluation="1",
            assessment="A", handling="C", handling_conditions="Police only", sanitised_text="x",
            source_description="CHIS 9", persons=[children[0]],
            reported=[services.Reported(kind=EntityKind.PLACE, value=secret, postcode=postcode, nature="seen_at")])

    def submit(postcode: str, name: str) -> None:
        services.information_submit(acting_user=worker, person=children[0], observed_on=timezone.localdate(),
                                    summary="Seen", reported=[services.Reported(kind=EntityKind.PLACE, value=name,
                                                                                postcode=postcode, nature="seen_at")])

    report("S60 9ZZ")
    Entity.objects.filter(key="S60 9ZZ").update(label=f"{secret} (S60 9ZZ)", place_kind="house")  # as labelled before
    services.links_build()  # the second child's alert quotes the label
    submit("S60 9ZZ", "Corner shop")
    submit("S60 8YY", "Bus station")
    report("S60 8YY")
    alert = Alert.objects.get(explanation__contains=secret)
    old = _migrate([("contexts", "0002_suspects_named_in_intelligence_stay_with_the_police")])
    try:
        assert old.get_model("contexts", "Entity").objects.get(key="S60 9ZZ").label == f"{secret} (S60 9ZZ)"
    finally:
        _migrate(NEWEST)
    assert dict(Entity.objects.filter(kind="place").values_list("key", "label")) == {
        "S60 9ZZ": "S60 9ZZ", "S60 8YY": "Bus station (S60 8YY)"}
    assert Entity.objects.get(key="S60 9ZZ").place_kind == ""
    alert.refresh_from_db()
    assert secret not in alert.explanation and "place: S60 9ZZ. The same place" in alert.explanation


def test_existing_work_on_contexts_gets_a_random_public_id() -> None:
    """Before, work on a context was addressed and referenced by its primary key (X00005); the migration
    gives each existing piece of work a random public id, a batch at a time."""
    user = UserFactory()
    old = _migrate(NEWEST)
    try:
        Entity = old.get_model("contexts", "Entity")
        ContextCase = old.get_model("contexts", "ContextCase")
        place = Entity.objects.create(kind="place", key="S60 1AA", label="S60 1AA", public_id="a" * 12)
        made = [ContextCase.objects.create(entity=place, opened_by_id=user.pk, opened_at=timezone.now(),
                                           assessment="a", plan="p", review_due_on=timezone.localdate())
                for _ in range(3)]
    finally:
        new = _migrate([("contexts", "0010_context_public_id_unique")])
    ids = dict(new.get_model("contexts", "ContextCase").objects.values_list("pk", "public_id"))
    assert set(ids) == {case.pk for case in made} and len(set(ids.values())) == 3
    assert all(re.fullmatch(r"[0-9a-hjkmnp-tv-z]{12}", code) for code in ids.values())
