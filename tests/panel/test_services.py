"""Referring children to the exploitation panel, closing referrals, and who is under a plan."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.core.errors import ServiceError
from safeguarding.earlywarning.models import Alert, AlertStatus
from safeguarding.earlywarning.services import alert_dismiss
from safeguarding.frontdoor.models import DecisionOutcome
from safeguarding.frontdoor.services import concern_raise, triage_decide
from safeguarding.panel.models import PanelReferral, ReferralStatus
from safeguarding.panel.selectors import children_under_active_plan, panel_list
from safeguarding.panel.services import panel_refer, panel_referral_close
from safeguarding.workflows.services import triage_decide_and_refer
from tests.factories import AlertFactory, PersonFactory, merge

pytestmark = pytest.mark.django_db


@pytest.fixture
def mace(make_user):  # type: ignore[no-untyped-def]
    return make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)


@pytest.fixture
def triage(make_user):  # type: ignore[no-untyped-def]
    return make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.POLICE)


def test_referral_from_an_alert_closes_the_alert_as_referred_in_one_audited_step(mace) -> None:  # type: ignore[no-untyped-def]
    alert = AlertFactory()
    referral = panel_refer(child=alert.person, referred_by=mace, reason="Three missing episodes and a car", alert=alert)

    assert referral.status == ReferralStatus.OPEN and referral.child == alert.person
    assert referral.source_alert == alert and referral.source_concern is None
    assert list(referral.linked_alerts.all()) == [alert]
    alert.refresh_from_db()
    assert alert.status == AlertStatus.REFERRED and alert.actioned_by == mace
    assert referral.reference in alert.status_note
    made = AuditEvent.objects.get(event_type=AuditEventType.PANEL_REFERRAL_MADE)
    assert made.actor == mace and made.person_id == alert.person_id and made.target_id == str(referral.pk)
    assert made.reason == "Three missing episodes and a car" and made.detail["new_referral"] is True
    actioned = AuditEvent.objects.get(event_type=AuditEventType.ALERT_ACTIONED)
    assert actioned.target_id == str(alert.pk) and actioned.detail["status"] == AlertStatus.REFERRED
    assert list(panel_list(user=mace)) == [referral]


def test_a_child_with_an_open_referral_is_not_referred_twice(mace, triage) -> None:  # type: ignore[no-untyped-def]
    first = AlertFactory()
    second = AlertFactory(person=first.person)
    referral = panel_refer(child=first.person, referred_by=mace, reason="first", alert=first)

    again = panel_refer(child=first.person, referred_by=triage, reason="second rule fired", alert=second)

    assert again.pk == referral.pk
    assert PanelReferral.objects.filter(child=first.person).count() == 1
    assert again.reason == "first" and again.source_alert == first
    assert set(again.linked_alerts.all()) == {first, second}
    second.refresh_from_db()
    assert second.status == AlertStatus.REFERRED
    assert f"open panel referral {referral.reference}" in second.status_note
    linked = AuditEvent.objects.filter(event_type=AuditEventType.PANEL_REFERRAL_MADE).order_by("sequence").last()
    assert linked is not None and linked.detail == {"new_referral": False, "alert": second.pk, "concern": None}


def test_referral_needs_a_reason_and_a_role_that_refers(make_user, mace) -> None:  # type: ignore[no-untyped-def]
    alert = AlertFactory()
    with pytest.raises(ServiceError, match="reason"):
        panel_refer(child=alert.person, referred_by=mace, reason="   ", alert=alert)
    for role in (Role.LEAD_PRACTITIONER, Role.REFERRER, Role.ADMINISTRATOR):
        with pytest.raises(ServiceError, match="cannot refer"):
            panel_refer(child=alert.person, referred_by=make_user(role=role), reason="worried", alert=alert)
    assert not PanelReferral.objects.exists()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_an_alert_about_another_child_is_refused(mace) -> None:  # type: ignore[no-untyped-def]
    alert = AlertFactory()
    with pytest.raises(ServiceError, match="another child"):
        panel_refer(child=PersonFactory(), referred_by=mace, reason="x", alert=alert)
    assert not PanelReferral.objects.exists()


def test_referring_from_a_dismissed_alert_is_refused_and_nothing_is_written(mace) -> None:  # type: ignore[no-untyped-def]
    alert = AlertFactory()
    alert_dismiss(alert=alert, acting_user=mace, reason="Known to the team, plan in place")
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError, match="already been dismissed"):
        panel_refer(child=alert.person, referred_by=mace, reason="changed my mind", alert=alert)
    assert not PanelReferral.objects.exists()
    assert AuditEvent.objects.count() == before
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.DISMISSED


def test_closing_needs_a_mace_coordinator_and_a_reason_and_happens_once(mace, triage) -> None:  # type: ignore[no-untyped-def]
    referral = panel_refer(child=PersonFactory(), referred_by=triage, reason="worried")
    with pytest.raises(ServiceError, match="MACE coordinator"):
        panel_referral_close(referral=referral, acting_user=triage, reason="done")
    with pytest.raises(ServiceError, match="reason"):
        panel_referral_close(referral=referral, acting_user=mace, reason=" ")

    # A role of the partnership's own that approves lowered levels does not run the panel: nor closes its work.
    from safeguarding.accounts.models import AgencyKind
    from safeguarding.accounts.services import custom_role_create
    from tests.factories import UserFactory

    admin = UserFactory(role="administrator", agency=mace.agency)
    approver_role = custom_role_create(acting_user=admin, name="Senior front-door approver",
                                       capabilities=["view_person", "screen", "approve_downgrade", "triage"])
    approver = UserFactory(role=approver_role.code, agency=mace.agency)
    assert mace.agency.kind == AgencyKind.COUNCIL
    with pytest.raises(ServiceError, match="MACE coordinator"):
        panel_referral_close(referral=referral, acting_user=approver, reason="done")

    closed = panel_referral_close(referral=referral, acting_user=mace, reason="Plan completed, risk reduced")

    assert closed.status == ReferralStatus.CLOSED and closed.closed_by == mace and closed.closed_at is not None
    assert closed.closed_reason == "Plan completed, risk reduced"
    audit = AuditEvent.objects.get(event_type=AuditEventType.PANEL_REFERRAL_CLOSED)
    assert audit.actor == mace and audit.reason == "Plan completed, risk reduced"
    assert audit.person_id == referral.child_id and audit.target_id == str(referral.pk)
    with pytest.raises(ServiceError, match="already been closed"):
        panel_referral_close(referral=referral, acting_user=mace, reason="again")
    assert AuditEvent.objects.filter(event_type=AuditEventType.PANEL_REFERRAL_CLOSED).count() == 1
    assert list(panel_list(user=mace)) == []
    assert list(panel_list(user=mace, include_closed=True)) == [closed]


def test_after_closing_the_child_can_be_referred_again(mace) -> None:  # type: ignore[no-untyped-def]
    child = PersonFactory()
    first = panel_refer(child=child, referred_by=mace, reason="first time")
    panel_referral_close(referral=first, acting_user=mace, reason="ended")
    second = panel_refer(child=child, referred_by=mace, reason="worried again")
    assert second.pk != first.pk and second.status == ReferralStatus.OPEN


def test_children_under_active_plan_are_those_with_an_open_referral(mace) -> None:  # type: ignore[no-untyped-def]
    open_child, closed_child, never = PersonFactory(), PersonFactory(), PersonFactory()
    panel_refer(child=open_child, referred_by=mace, reason="open")
    closed = panel_refer(child=closed_child, referred_by=mace, reason="closed later")
    panel_referral_close(referral=closed, acting_user=mace, reason="ended")

    assert children_under_active_plan() == {open_child.pk}
    assert never.pk not in children_under_active_plan()


def test_a_referred_child_merged_into_another_person_keeps_the_plan_under_the_new_id(mace) -> None:  # type: ignore[no-untyped-def]
    older, newer = PersonFactory(), PersonFactory()
    panel_refer(child=newer, referred_by=mace, reason="referred before linkage joined the records")
    merge(newer, into=older)
    assert older.pk in children_under_active_plan()


def test_referring_a_child_linkage_has_merged_refers_the_child_they_turned_out_to_be(mace, triage) -> None:  # type: ignore[no-untyped-def]
    """An alert raised on a record before linkage joined it to an older person: the referral is
    made for the person the child is now, and their open referral is not opened twice."""
    older, newer = PersonFactory(), PersonFactory()
    old_alert = AlertFactory(person=newer)
    merge(newer, into=older)

    referral = panel_refer(child=old_alert.person, referred_by=mace, reason="from the alert", alert=old_alert)
    assert referral.child == older and list(referral.linked_alerts.all()) == [old_alert]

    # A referral opened on the merged-away id before linkage ran still counts as the child's.
    PanelReferral.objects.filter(pk=referral.pk).update(child=newer)
    again = panel_refer(child=older, referred_by=triage, reason="second rule", alert=AlertFactory(person=older))
    assert again.pk == referral.pk
    assert PanelReferral.objects.filter(status=ReferralStatus.OPEN).count() == 1

    with pytest.raises(ServiceError, match="about another child"):
        panel_refer(child=older, referred_by=mace, reason="wrong child", alert=AlertFactory())


def test_the_panel_list_is_for_those_who_refer(make_user) -> None:  # type: ignore[no-untyped-def]
    for role in (Role.LEAD_PRACTITIONER, Role.PARTNERSHIP_MANAGER, Role.REFERRER):
        with pytest.raises(PermissionDenied):
            panel_list(user=make_user(role=role))


def test_triage_decision_to_refer_to_mace_makes_a_panel_referral(make_user, triage) -> None:  # type: ignore[no-untyped-def]
    child = PersonFactory()
    concern = concern_raise(
        raised_by=make_user(), child=child, seen_on=timezone.localdate(), description="Seen with older men"
    )
    triage_decide_and_refer(acting_user=triage, concern=concern, outcome=DecisionOutcome.MACE_REFERRAL, reason="")

    referral = PanelReferral.objects.get()
    assert referral.child == child and referral.source_concern == concern and referral.source_alert is None
    assert referral.referred_by == triage and concern.reference in referral.reason
    assert list(referral.linked_concerns.all()) == [concern]
    assert child.pk in children_under_active_plan()
    made = AuditEvent.objects.get(event_type=AuditEventType.PANEL_REFERRAL_MADE)
    assert made.detail == {"new_referral": True, "alert": None, "concern": concern.pk}


def test_other_triage_decisions_make_no_referral_and_a_second_mace_decision_links_the_concern(
    make_user, triage
) -> None:  # type: ignore[no-untyped-def]
    child = PersonFactory()
    referrer = make_user()
    today = timezone.localdate()
    early = concern_raise(raised_by=referrer, child=child, seen_on=today, description="one")
    triage_decide(acting_user=triage, concern=early, outcome=DecisionOutcome.EARLY_HELP)
    assert not PanelReferral.objects.exists()

    first = concern_raise(raised_by=referrer, child=child, seen_on=today, description="two")
    second = concern_raise(raised_by=referrer, child=child, seen_on=today, description="three")
    triage_decide_and_refer(acting_user=triage, concern=first, outcome=DecisionOutcome.MACE_REFERRAL, reason="pattern")
    triage_decide_and_refer(acting_user=triage, concern=second, outcome=DecisionOutcome.MACE_REFERRAL, reason="more")

    referral = PanelReferral.objects.get()
    assert referral.source_concern == first and referral.reason == "pattern"
    assert set(referral.linked_concerns.all()) == {first, second}


@pytest.mark.django_db(transaction=True)
def test_a_child_referred_while_linkage_merges_them_into_a_referred_person_has_one_referral(make_user) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: a reviewer's merge finds the child to be a person the panel already has a referral
    for; a coordinator refers the child, by the old id, before the merge is committed. The referral
    waits for the merge and is the person's open one, not a second referral under the merged-away id."""
    from django.db import transaction

    from safeguarding.people import identity
    from tests.concurrently import postgresql_only, second_while_first_holds

    postgresql_only()
    mace = make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL)
    older, newer = PersonFactory(), PersonFactory()
    first = panel_refer(child=older, referred_by=mace, reason="referred last month")

    def merging(held):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            identity.persons_merge(keep=older.pk, retire=newer.pk, cause=identity.Cause())
            held()

    second = second_while_first_holds(merging, lambda: panel_refer(child=newer, referred_by=mace, reason="new alert"))
    assert second.waited and second.refused is None
    assert second.answer.pk == first.pk
    assert list(PanelReferral.objects.values_list("child_id", flat=True)) == [older.pk]
