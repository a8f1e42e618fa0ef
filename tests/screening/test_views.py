"""The screening pages: who may use each, the practitioner's journey, the approver's decision, and
the administrators' refusals of an invalid tool."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from safeguarding.accounts.models import AgencyKind, Role
from safeguarding.audit.models import AuditEvent, AuditEventType
from safeguarding.screening import selectors, services
from safeguarding.screening.models import ScreeningAssessment, ScreeningStatus, ScreeningToolVersion
from tests.factories import sign_in, without_csrf
from tests.screening.conftest import Child, answers_for, screen

pytestmark = pytest.mark.django_db

CASEWORK = {
    Role.TRIAGE_WORKER,
    Role.MACE_COORDINATOR,
    Role.LEAD_PRACTITIONER,
    Role.INTELLIGENCE_OFFICER,
    Role.SUPPORT_WORKER,
    Role.AGENCY_MANAGER,
}
# Written out, not derived from the gateway, so a change of rule must be made in both places.
EXPECTED: dict[str, set[str]] = {
    "screen a child": {Role.TRIAGE_WORKER, Role.MACE_COORDINATOR, Role.LEAD_PRACTITIONER},
    "open a completed screening": CASEWORK,
    "see the level on the single view": CASEWORK,
    "approvals queue": {Role.MACE_COORDINATOR},
    "approve a lower level (change)": {Role.MACE_COORDINATOR},
    "children at each level on a date": {
        Role.TRIAGE_WORKER,
        Role.MACE_COORDINATOR,
        Role.PARTNERSHIP_MANAGER,
        Role.DATA_PROTECTION_OFFICER,
    },
    "screening tool (view)": {Role.ADMINISTRATOR},
    "screening tool (change)": {Role.ADMINISTRATOR},
    "remove part of the tool (confirmation pages)": {Role.ADMINISTRATOR},
    "remove part of the tool (change)": {Role.ADMINISTRATOR},
}
REMOVE_PAGES = [
    ("screening:indicator-remove", "risky_places"),
    ("screening:type-remove", "online"),
    ("screening:level-remove", "at_risk"),
]


def _client(user: Any) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.mark.parametrize("role", Role.values)
def test_who_may_use_each_screening_page(role: str, make_user, child: Child) -> None:  # type: ignore[no-untyped-def]
    practitioner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL, username="lp")
    screen(practitioner, child.person, "high", yes={"disclosure": "Told her teacher"})
    request = screen(practitioner, child.person, "at_risk", reason="Settled in placement")
    user = make_user(role=role, agency_kind=AgencyKind.COUNCIL)
    client = _client(user)
    seen: dict[str, bool] = {}

    start = client.get(reverse("screening:start", args=[child.person.pk]))
    assert start.status_code in (200, 403, 404)
    seen["screen a child"] = start.status_code == 200
    detail = client.get(reverse("screening:detail", args=[request.pk]))
    assert detail.status_code in (200, 404)
    seen["open a completed screening"] = detail.status_code == 200
    single = client.get(reverse("people:detail", args=[child.person.pk]))
    seen["see the level on the single view"] = (
        single.status_code == 200 and 'id="level-in-force"' in single.content.decode()
    )
    seen["approvals queue"] = client.get(reverse("screening:approvals")).status_code == 200
    decide = client.post(reverse("screening:detail", args=[request.pk]), {"decision": "approve", "reason": "matrix"})
    request.refresh_from_db()
    seen["approve a lower level (change)"] = request.status == ScreeningStatus.COMPLETED
    assert decide.status_code == (302 if seen["approve a lower level (change)"] else 404)
    seen["children at each level on a date"] = client.get(reverse("screening:levels")).status_code == 200
    tool_page = client.get(reverse("screening:tool")).status_code
    seen["screening tool (view)"] = tool_page == 200
    settings_post = client.post(
        reverse("screening:settings-edit"),
        {"based_on": 1, "downgrade_needs_approval": "no", "change_note": "matrix"},
    ).status_code
    seen["screening tool (change)"] = ScreeningToolVersion.objects.count() == 2

    # Removal is refused exactly as the other tool pages refuse (the same status, for GET and POST).
    confirm = {client.get(reverse(name, args=[code])).status_code for name, code in REMOVE_PAGES}
    assert confirm == {tool_page}
    seen["remove part of the tool (confirmation pages)"] = confirm == {200}
    before = ScreeningToolVersion.objects.count()
    removed = client.post(
        reverse("screening:indicator-remove", args=["risky_places"]),
        {"based_on": selectors.tool_current().number, "change_note": "matrix"},
    ).status_code
    assert removed == (302 if tool_page == 200 else settings_post)
    seen["remove part of the tool (change)"] = (
        ScreeningToolVersion.objects.count() == before + 1
        and selectors.tool_current().tool.indicator("risky_places") is None
    )

    assert seen == {page: role in roles for page, roles in EXPECTED.items()}


def test_a_screening_that_is_missing_or_forbidden_looks_the_same(make_user, child: Child) -> None:  # type: ignore[no-untyped-def]
    practitioner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    done = screen(practitioner, child.person, "at_risk", yes={"repeat_missing": "Missing twice"})
    referrer = _client(make_user(role=Role.REFERRER))
    forbidden = referrer.get(reverse("screening:detail", args=[done.pk]))
    missing = referrer.get(reverse("screening:detail", args=[done.pk + 1000]))
    assert forbidden.status_code == missing.status_code == 404 and without_csrf(forbidden.content) == without_csrf(missing.content)


def _section_post(page_context: Any, action: str = "continue") -> dict[str, Any]:
    """What a practitioner submits on a section page having accepted the pre-filled answers and
    said no elsewhere."""
    form = page_context["form"]
    data: dict[str, Any] = {"action": action}
    for ind in form.indicators:
        data[f"answer__{ind.code}"] = form[f"answer__{ind.code}"].value() or "no"
        data[f"evidence__{ind.code}"] = form[f"evidence__{ind.code}"].value() or ""
        if f"events__{ind.code}" in form.fields:
            data[f"events__{ind.code}"] = [str(v) for v in form[f"events__{ind.code}"].value() or []]
    return data


def _tasks(page: str) -> list[tuple[str, str]]:
    """The task list as a user reads it: each section's name and status, then check your answers."""
    items = re.findall(
        r'<li class="govuk-task-list__item[^"]*">\s*<div class="govuk-task-list__name-and-hint">\s*(?:<a [^>]*>)?'
        r"(?:<div>)?([^<]+)<.*?govuk-task-list__status[^>]*>\s*(?:<strong[^>]*>)?([^<]+?)\s*<",
        page,
        re.S,
    )
    return [(html.unescape(name.strip()), status.strip()) for name, status in items]


SECTIONS = [
    "Child sexual exploitation",
    "Child criminal exploitation (including county lines)",
    "Online exploitation",
    "Trafficking and modern slavery",
]


def test_the_practitioners_journey_through_the_task_list(make_user, child: Child) -> None:  # type: ignore[no-untyped-def]
    user = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    client = _client(user)
    start = reverse("screening:start", args=[child.person.pk])
    check = reverse("screening:check", args=[child.person.pk])
    single = client.get(reverse("people:detail", args=[child.person.pk])).content.decode()
    assert "Not screened" in single and start in single

    tasks = client.get(start).content.decode()
    assert _tasks(tasks) == [(name, "Not yet started") for name in SECTIONS] + [("Check your answers", "Cannot start yet")]
    assert f'href="{check}"' not in tasks
    assert client.get(check)["Location"] == start  # blocked until every section is completed

    sexual = reverse("screening:section", args=[child.person.pk, "sexual"])
    assert f'href="{sexual}"' in tasks
    page = client.get(sexual)
    body = page.content.decode()
    assert body.count("Suggested from agencies' records, please confirm") == 2  # missing, sexual health
    assert "shareable-intel-text" not in body and "restricted-intel-text" not in body
    # This section's questions only.
    assert "The child has told someone they are being exploited" in body
    assert "Carrying weapons" not in body and "Online grooming or image sharing" not in body

    # Every problem at once, in the summary and beside each question.
    empty = client.post(sexual, {"action": "continue", "answer__gifts_money": "yes"})
    problems = empty.content.decode()
    assert empty.status_code == 200 and "There is a problem" in problems
    assert problems.count("Answer &#x27;") == 2 * 11  # eleven unanswered: in the summary and inline
    assert problems.count("Give the evidence for &#x27;") == 2
    assert 'id="id_answer__repeat_missing-error"' in problems
    assert _tasks(client.get(start).content.decode())[0] == (SECTIONS[0], "Not yet started")

    # Evidence typed against a question left unanswered is not thrown away unseen.
    unanswered = client.post(sexual, {"action": "later", "evidence__gifts_money": "A new phone"})
    assert unanswered.status_code == 200
    assert "to keep the evidence you gave for it" in unanswered.content.decode()

    # Saved for later with the suggestions only: in progress.
    later = {"action": "later", "answer__repeat_missing": "yes", "events__repeat_missing": [str(child.recent_missing.pk)]}
    assert client.post(sexual, later)["Location"] == start
    assert _tasks(client.get(start).content.decode())[0] == (SECTIONS[0], "In progress")

    # Back another day, in a new session: the answer is still there, and the section is finished.
    client = _client(user)
    again = client.get(sexual)
    data = _section_post(again.context)
    assert data["answer__repeat_missing"] == "yes" and data["events__repeat_missing"] == [str(child.recent_missing.pk)]
    assert data["answer__sexual_health"] == "yes"  # still suggested: not answered yet
    data |= {"answer__gifts_money": "yes", "evidence__gifts_money": "New phone and trainers, will not say from whom"}
    assert client.post(sexual, data)["Location"] == start
    tasks = client.get(start).content.decode()
    assert _tasks(tasks)[0] == (SECTIONS[0], "Completed") and _tasks(tasks)[-1][1] == "Cannot start yet"

    # A draft is not a screening in force.
    single = client.get(reverse("people:detail", args=[child.person.pk])).content.decode()
    assert "Not screened" in single and "Continue your draft screening" in single and "Medium risk" not in single
    draft = ScreeningAssessment.objects.get(child=child.person)
    assert client.get(reverse("screening:judgement", args=[draft.pk]))["Location"] == start
    assert client.get(reverse("screening:detail", args=[draft.pk]))["Location"] == start

    for code in ("criminal", "online", "trafficking"):
        url = reverse("screening:section", args=[child.person.pk, code])
        assert client.post(url, _section_post(client.get(url).context))["Location"] == start
    tasks = client.get(start).content.decode()
    assert _tasks(tasks) == [(name, "Completed") for name in SECTIONS] + [("Check your answers", "Not yet started")]

    answers = client.get(check).content.decode()
    assert "New phone and trainers, will not say from whom" in answers and "Repeat missing episodes" in answers
    assert f'href="{sexual}#id_answer__gifts_money_0"' in answers  # a change link per answer
    assert "restricted-intel-text" not in answers
    judgement_url = reverse("screening:judgement", args=[draft.pk])
    assert f'href="{judgement_url}"' in answers

    draft.refresh_from_db()
    assert draft.score == 8 and draft.computed_level == "medium"  # 3 + 3 + 2
    assert draft.answers.get(indicator="repeat_missing").suggested
    judgement = client.get(judgement_url).content.decode()
    assert "Repeat missing episodes" in judgement and 'id="computed-level"><strong>Medium risk' in judgement
    done = client.post(
        judgement_url,
        {
            "judgement_level": "high",
            "judgement_reasoning": "Older male seen collecting her",
            "models_of_exploitation": ["boyfriend"],
        },
    )
    assert done.status_code == 302
    single = client.get(reverse("people:detail", args=[child.person.pk])).content.decode()
    assert "<strong>High risk</strong> since" in single and draft.reference in single
    # A new screening starts from nothing.
    assert _tasks(client.get(start).content.decode())[0] == (SECTIONS[0], "Not yet started")


def test_no_one_reaches_anothers_draft_and_non_screeners_get_403(make_user, child: Child) -> None:  # type: ignore[no-untyped-def]
    author = _client(make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL))
    online = reverse("screening:section", args=[child.person.pk, "online"])
    author.post(online, _section_post(author.get(online).context))
    draft = ScreeningAssessment.objects.get()
    colleague = _client(make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL))
    tasks = colleague.get(reverse("screening:start", args=[child.person.pk])).content.decode()
    assert _tasks(tasks)[2] == (SECTIONS[2], "Not yet started")
    assert colleague.get(reverse("screening:judgement", args=[draft.pk])).status_code == 404
    assert colleague.get(reverse("screening:detail", args=[draft.pk])).status_code == 404
    assert draft.reference not in colleague.get(reverse("people:detail", args=[child.person.pk])).content.decode()
    assert colleague.get(reverse("screening:section", args=[child.person.pk, "no_such"])).status_code == 404

    pages = [
        reverse("screening:start", args=[child.person.pk]),
        online,
        reverse("screening:check", args=[child.person.pk]),
    ]
    for role in (Role.SUPPORT_WORKER, Role.INTELLIGENCE_OFFICER, Role.REFERRER, Role.PARTNERSHIP_MANAGER):
        other = _client(make_user(role=role, agency_kind=AgencyKind.COUNCIL))
        for url in pages:
            assert other.get(url).status_code == 403, (role, url)
            assert other.post(url, {"action": "continue", "answer__online_grooming": "no"}).status_code == 403
    assert ScreeningAssessment.objects.count() == 1


def test_the_approvers_page_and_queue(make_user, child: Child) -> None:  # type: ignore[no-untyped-def]
    practitioner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    screen(practitioner, child.person, "high", yes={"disclosure": "Told her teacher"})
    request = screen(practitioner, child.person, "medium", reason="Safety plan working")
    approver = _client(make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL))
    queue = approver.get(reverse("screening:approvals")).content.decode()
    assert request.reference in queue
    no_reason = approver.post(reverse("screening:detail", args=[request.pk]), {"decision": "refuse", "reason": ""})
    assert no_reason.status_code == 200 and "Give the reason for refusing" in no_reason.content.decode()
    assert (
        approver.post(
            reverse("screening:detail", args=[request.pk]), {"decision": "refuse", "reason": "Still missing at night"}
        ).status_code
        == 302
    )
    assert selectors.level_in_force(child.person).level_code == "high"  # type: ignore[union-attr]
    after = approver.get(reverse("screening:approvals")).content.decode()
    assert "Lower level refused for screening" in after and "Nothing is awaiting approval." in after


def test_a_first_screening_below_the_computed_level_asks_for_approval_on_its_pages(  # type: ignore[no-untyped-def]
    make_user, child: Child
) -> None:
    practitioner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    draft = services.screening_answers_save(acting_user=practitioner, child=child.person,
                                            answers=answers_for({"disclosure": "Told her teacher"}))
    client = _client(practitioner)
    page = client.get(reverse("screening:judgement", args=[draft.pk])).content.decode()
    assert "Needed only if your judgement is lower than the computed level (High risk)" in page
    refused = client.post(reverse("screening:judgement", args=[draft.pk]),
                          {"judgement_level": "no_current_risk", "judgement_reasoning": "Seems fine"})
    assert refused.status_code == 200
    assert "lowering the level from the computed level, High risk, to No current risk" in html.unescape(
        refused.content.decode())
    done = client.post(reverse("screening:judgement", args=[draft.pk]),
                       {"judgement_level": "no_current_risk", "judgement_reasoning": "Seems fine",
                        "downgrade_reason": "The disclosure was about a film"}, follow=True).content.decode()
    assert "until then, High risk is in force" in html.unescape(done)  # the tool's level: not "no level"
    approver = _client(make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.POLICE))
    queue = html.unescape(approver.get(reverse("screening:approvals")).content.decode())
    assert draft.reference in queue and "Not screened (computed High risk)" in queue
    ask = html.unescape(approver.get(reverse("screening:detail", args=[draft.pk])).content.decode())
    assert ("lower than the level the answers computed, High risk. Until you approve it, High risk is in force."
            in " ".join(ask.split()))


def test_the_levels_report_is_a_table_of_counts(make_user, child: Child) -> None:  # type: ignore[no-untyped-def]
    screen(
        make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL),
        child.person,
        "medium",
        yes={"weapons": "Knife"},
    )
    client = _client(make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL))
    from django.utils import timezone

    today = timezone.localdate()
    body = client.get(
        reverse("screening:levels"), {"on_0": today.day, "on_1": today.month, "on_2": today.year}
    ).content.decode()
    assert (
        '<th scope="row" class="govuk-table__header">Medium risk</th><td class="govuk-table__cell govuk-table__cell--numeric">1</td>'
        in body
    )
    assert child.person.family_name not in body
    bad = client.get(reverse("screening:levels"), {"on_0": "31", "on_1": "2", "on_2": "2026"})
    assert "Enter a real date" in bad.content.decode()


# --- administrators ----------------------------------------------------------------------------


@pytest.fixture
def admin(make_user):  # type: ignore[no-untyped-def]
    return make_user(role=Role.ADMINISTRATOR, agency_kind=AgencyKind.COUNCIL)


@pytest.fixture
def admin_client(admin) -> Client:  # type: ignore[no-untyped-def]
    return _client(admin)


def test_thresholds_that_do_not_increase_are_refused_with_a_message(admin_client: Client) -> None:
    data = {"based_on": 1, "change_note": "Swap levels"}
    for n, (name, score) in enumerate([("None", 0), ("Emerging", 3), ("Moderate", 12), ("Significant", 7)]):
        data[f"name_{n}"], data[f"min_score_{n}"] = name, score
    refused = admin_client.post(reverse("screening:levels-edit"), data)
    body = refused.content.decode()
    assert refused.status_code == 200 and "govuk-error-summary" in body
    assert "Thresholds must increase: Significant (7) must need a higher score than Moderate (12)" in body
    assert ScreeningToolVersion.objects.count() == 1
    data["min_score_2"], data["min_score_3"] = 7, 12
    data |= {"new_code": "very_high", "new_name": "Very high", "new_min_score": 20}
    assert admin_client.post(reverse("screening:levels-edit"), data).status_code == 302
    tool = selectors.tool_current().tool
    assert [lv.name for lv in tool.levels] == ["None", "Emerging", "Moderate", "Significant", "Very high"]
    assert [lv.code for lv in tool.levels][:4] == ["no_current_risk", "at_risk", "medium", "high"]


def test_an_indicator_with_an_unknown_or_duplicate_code_is_refused(admin_client: Client) -> None:
    base = {
        "based_on": 1,
        "type": "online",
        "label": "Sharing live location with unknown adults",
        "guidance": "",
        "weight": 2,
        "lookback_days": 90,
        "change_note": "New pattern seen locally",
    }
    duplicate = admin_client.post(reverse("screening:indicator-new"), base | {"code": "disclosure"})
    assert "Two indicators have the code disclosure" in duplicate.content.decode()
    unknown_type = admin_client.post(reverse("screening:indicator-new"), base | {"code": "live_location", "type": "x"})
    assert unknown_type.status_code == 200 and ScreeningToolVersion.objects.count() == 1
    added = admin_client.post(
        reverse("screening:indicator-new"),
        base | {"code": "live_location", "evidence_event_types": ["online_grooming"]},
    )
    assert added.status_code == 302
    indicator = selectors.tool_current().tool.indicator("live_location")
    assert indicator is not None and indicator.evidence_event_types == ("online_grooming",)


def test_change_an_indicator_rules_and_an_exploitation_type(admin_client: Client) -> None:
    response = admin_client.post(
        reverse("screening:indicator-edit", args=["repeat_missing"]),
        {
            "based_on": 1,
            "type": "sexual",
            "label": "Missing from home or care",
            "guidance": "Any missing episode",
            "weight": 4,
            "evidence_event_types": ["missing_episode", "return_home_interview"],
            "lookback_days": 120,
            "change_note": "Wider evidence",
        },
    )
    assert response.status_code == 302
    admin_client.post(
        reverse("screening:type-new"),
        {"based_on": 2, "code": "radicalisation", "label": "Radicalisation", "change_note": "Prevent duty"},
    )
    admin_client.post(
        reverse("screening:rules-edit"),
        {"action": "remove", "remove-based_on": 3, "remove-rule": "weapons_medium", "remove-change_note": "Panel view"},
    )
    admin_client.post(
        reverse("screening:rules-edit"),
        {
            "action": "add",
            "add-based_on": 4,
            "add-code": "missing_and_health",
            "add-description": "Missing and sexual health together make the risk high",
            "add-indicators": ["repeat_missing", "sexual_health"],
            "add-minimum": 2,
            "add-level": "high",
            "add-change_note": "Serious case review",
        },
    )
    current = selectors.tool_current()
    assert current.number == 5
    tool = current.tool
    assert tool.indicator("repeat_missing").weight == 4  # type: ignore[union-attr]
    assert tool.type_label("radicalisation") == "Radicalisation"
    assert [r.code for r in tool.overriding_rules] == [
        "disclosure_high",
        "strong_combination_high",
        "missing_and_health",
    ]
    versions = admin_client.get(reverse("screening:tool-versions")).content.decode()
    assert "Serious case review" in versions and "Installed at setup" in versions
    old = admin_client.get(reverse("screening:tool-version", args=[1])).content.decode()
    assert "Repeat missing episodes" in old and "(not current)" in old


def test_every_administrators_page_opens(admin_client: Client) -> None:
    for name, args in (
        ("screening:tool", []),
        ("screening:tool-versions", []),
        ("screening:tool-version", [1]),
        ("screening:indicator-new", []),
        ("screening:indicator-edit", ["disclosure"]),
        ("screening:type-new", []),
        ("screening:levels-edit", []),
        ("screening:rules-edit", []),
        ("screening:settings-edit", []),
        ("screening:indicator-remove", ["risky_places"]),
        ("screening:level-remove", ["at_risk"]),
    ):
        response = admin_client.get(reverse(name, args=args))
        assert response.status_code == 200, name
        assert 'based_on" value="1"' in response.content.decode() or name in (
            "screening:tool",
            "screening:tool-versions",
            "screening:tool-version",
        )
    assert admin_client.get(reverse("screening:indicator-edit", args=["no_such"])).status_code == 404
    assert admin_client.get(reverse("screening:tool-version", args=[99])).status_code == 404


def test_the_approvals_queue_does_not_query_per_row(make_user) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import PersonFactory

    practitioner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    client = _client(make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL))

    def queries_with(rows: int) -> int:
        for _ in range(rows):
            child = PersonFactory()
            screen(practitioner, child, "high", yes={"disclosure": "Told her teacher"})
            screen(practitioner, child, "medium", reason="Safety plan working")
        with CaptureQueriesContext(connection) as captured:
            body = client.get(reverse("screening:approvals")).content.decode()
        assert body.count("Safety plan") == 0 and body.count('<td class="govuk-table__cell">High risk</td>') >= rows
        return len(captured)

    assert queries_with(1) == queries_with(3)


# --- administrators: removing part of the tool -------------------------------------------------


def _page(response: Any) -> str:
    """The page as a reader sees it (Django escapes the quotes in names)."""
    return html.unescape(response.content.decode())


def test_remove_an_indicator_from_the_tool_pages(admin, admin_client: Client, make_user, child: Child) -> None:  # type: ignore[no-untyped-def]
    practitioner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    done = screen(practitioner, child.person, "at_risk", yes={"risky_places": "Seen at a takeaway after midnight"})
    label = "Seen at hotels, takeaways, taxi firms, parties or other risky places"
    url = reverse("screening:indicator-remove", args=["risky_places"])
    assert f'href="{url}"' in admin_client.get(reverse("screening:tool")).content.decode()

    confirm = _page(admin_client.get(url))
    assert f"Are you sure you want to remove the indicator '{label}'?" in confirm
    assert (
        "It will be left out of a new version of the tool, version 2. Version 1 and earlier versions keep it."
        in confirm
    )
    assert (
        "A yes to it adds 2 to the score" in confirm and "its answers to the removed indicator are dropped" in confirm
    )
    assert 'name="csrfmiddlewaretoken"' in confirm and "Why are you removing this indicator?" in confirm

    without_token = Client(enforce_csrf_checks=True)
    sign_in(without_token, admin)
    assert without_token.post(url, {"based_on": 1, "change_note": "no token"}).status_code == 403
    no_reason = admin_client.post(url, {"based_on": 1, "change_note": ""})
    assert no_reason.status_code == 200 and "govuk-error-summary" in no_reason.content.decode()
    assert "Say why you are removing this indicator" in _page(no_reason)
    assert ScreeningToolVersion.objects.count() == 1

    removed = admin_client.post(url, {"based_on": 1, "change_note": "Covered by places intelligence"})
    assert removed.status_code == 302 and removed["Location"] == reverse("screening:tool")
    tool_page = _page(admin_client.get(removed["Location"]))
    assert "Saved as version 2 of the screening tool" in tool_page
    assert f"Change note: Removed the indicator '{label}': Covered by places intelligence" in tool_page
    assert reverse("screening:indicator-edit", args=["risky_places"]) not in tool_page and url not in tool_page
    assert label in _page(admin_client.get(reverse("screening:tool-version", args=[1])))
    assert f"Removed the indicator '{label}': Covered by places intelligence" in _page(
        admin_client.get(reverse("screening:tool-versions"))
    )
    assert admin_client.get(url).status_code == 404  # nothing left to remove

    # The screening completed on version 1 still shows the indicator, its answer and its level.
    detail = _page(_client(practitioner).get(reverse("screening:detail", args=[done.pk])))
    assert label in detail and "Seen at a takeaway after midnight" in detail
    assert 'id="judgement-level"><strong>At risk</strong>' in detail
    assert "the tool has changed since; this screening keeps the version it was scored with" in detail


def test_remove_a_level_from_the_tool_pages(admin_client: Client, make_user, child: Child) -> None:  # type: ignore[no-untyped-def]
    practitioner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    done = screen(practitioner, child.person, "at_risk", yes={"repeat_missing": "Missing three times"})
    url = reverse("screening:level-remove", args=["at_risk"])
    confirm = _page(admin_client.get(url))
    assert "Are you sure you want to remove the level of risk 'At risk'?" in confirm
    assert "Scores from 3 to 6 will give No current risk instead." in confirm
    assert "Children who have At risk in force keep it until they are next screened" in confirm
    assert (
        admin_client.post(url, {"based_on": 1, "change_note": "Three levels, as the panel agreed"}).status_code == 302
    )
    tool_page = _page(admin_client.get(reverse("screening:tool")))
    assert '<td class="govuk-table__cell">at_risk</td>' not in tool_page and url not in tool_page
    assert '<td class="govuk-table__cell">medium</td>' in tool_page
    assert [lv.code for lv in selectors.tool_current().tool.levels] == ["no_current_risk", "medium", "high"]

    detail = _page(_client(practitioner).get(reverse("screening:detail", args=[done.pk])))
    assert 'id="judgement-level"><strong>At risk</strong>' in detail and 'id="computed-level"><strong>At risk' in detail
    assert "Repeat missing episodes" in detail
    manager = _client(make_user(role=Role.PARTNERSHIP_MANAGER, agency_kind=AgencyKind.COUNCIL))
    levels = manager.get(reverse("screening:levels")).content.decode()
    assert (
        '<th scope="row" class="govuk-table__header">At risk</th><td class="govuk-table__cell govuk-table__cell--numeric">1</td>'
        in levels
    )


def test_remove_an_exploitation_type_with_its_indicators_from_the_tool_pages(admin_client: Client) -> None:
    admin_client.post(
        reverse("screening:rules-edit"),
        {"action": "remove", "remove-based_on": 1, "remove-rule": "strong_combination_high", "remove-change_note": "x"},
    )
    url = reverse("screening:type-remove", args=["online"])
    assert f'href="{url}"' in admin_client.get(reverse("screening:tool")).content.decode()
    confirm = _page(admin_client.get(url))
    assert "Are you sure you want to remove the exploitation type 'Online exploitation'?" in confirm
    assert "Its 2 indicators will be removed with it, and new screenings will no longer ask:" in confirm
    assert "Online grooming or image sharing" in confirm and "Secretive about online contacts or new apps" in confirm
    assert admin_client.post(url, {"based_on": 2, "change_note": "Merged into sexual exploitation"}).status_code == 302
    tool = selectors.tool_current().tool
    assert selectors.tool_current().number == 3 and "online" not in {t.code for t in tool.exploitation_types}
    assert tool.indicator("online_grooming") is None


def _small_tool(admin: Any) -> None:
    """Version 2: one type, one indicator, two levels, so nothing more can go."""
    services.tool_change(
        acting_user=admin,
        based_on=1,
        config={
            "exploitation_types": [{"code": "sexual", "label": "Child sexual exploitation"}],
            "indicators": [
                {
                    "code": "disclosure",
                    "type": "sexual",
                    "label": "A disclosure",
                    "guidance": "",
                    "weight": 10,
                    "evidence_event_types": [],
                    "lookback_days": 365,
                }
            ],
            "levels": [
                {"code": "no_current_risk", "name": "No current risk", "min_score": 0},
                {"code": "high", "name": "High risk", "min_score": 10},
            ],
            "overriding_rules": [],
            "downgrade_needs_approval": True,
        },
        change_note="A pilot with one question",
    )


@pytest.mark.parametrize(
    ("small", "name", "code", "reason"),
    [
        (
            False,
            "screening:indicator-remove",
            "disclosure",
            "The overriding rule 'A disclosure makes the risk high at once' uses this indicator. Remove that rule first",
        ),
        (
            False,
            "screening:type-remove",
            "criminal",
            "The overriding rule 'Carrying weapons makes the risk at least medium' uses 'Carrying weapons' from this type",
        ),
        (
            False,
            "screening:level-remove",
            "medium",
            "The overriding rule 'Carrying weapons makes the risk at least medium' makes the risk at least this level",
        ),
        (False, "screening:level-remove", "no_current_risk", "No current risk is the lowest level"),
        (True, "screening:indicator-remove", "disclosure", "This is the tool's only indicator"),
        (True, "screening:type-remove", "sexual", "This is the tool's only exploitation type"),
        (True, "screening:level-remove", "high", "The tool needs at least two levels"),
    ],
)
def test_a_refused_removal_shows_its_reason_and_changes_nothing(  # type: ignore[no-untyped-def]
    admin, admin_client: Client, small: bool, name: str, code: str, reason: str
) -> None:
    if small:
        _small_tool(admin)
    current = selectors.tool_current()
    url = reverse(name, args=[code])
    shown = _page(admin_client.get(url))
    assert "You cannot remove the" in shown and reason in shown
    assert "Remove the " not in shown.split("Screening tool · version")[1]  # no button: nothing to confirm
    # A post from a page shown before, with or without a reason, is refused with the same words.
    for note in ("Tidy up", ""):
        refused = admin_client.post(url, {"based_on": current.number, "change_note": note})
        body = _page(refused)
        assert refused.status_code == 200 and "govuk-error-summary" in body
        summary = body.split('govuk-error-summary__list">')[1].split("</ul>")[0]
        assert reason in summary and "Say why" not in summary
    assert selectors.tool_current() == current
    assert not AuditEvent.objects.filter(
        event_type=AuditEventType.SCREENING_TOOL_CHANGED, target_id=str(current.number + 1)
    ).exists()


def test_removal_pages_for_a_signed_out_visitor_or_a_missing_part(admin_client: Client) -> None:
    anonymous = Client()
    tool = anonymous.get(reverse("screening:tool"))
    assert tool.status_code == 302 and tool["Location"].startswith("/sign-in/")
    for name, code in REMOVE_PAGES:
        url = reverse(name, args=[code])
        for response in (anonymous.get(url), anonymous.post(url, {"based_on": 1, "change_note": "x"})):
            assert response.status_code == 302 and response["Location"] == f"/sign-in/?next={url}"
        assert admin_client.get(reverse(name, args=["no_such"])).status_code == 404
        assert (
            admin_client.post(reverse(name, args=["no_such"]), {"based_on": 1, "change_note": "x"}).status_code == 404
        )
    assert ScreeningToolVersion.objects.count() == 1


def _answer_every_section(client: Client, person_id: int, **extra: str) -> None:
    for part in ("sexual", "criminal", "online", "trafficking"):
        url = reverse("screening:section", args=[person_id, part])
        page = client.get(url)
        data = _section_post(page.context)
        data |= {k: v for k, v in extra.items() if k.split("__")[1] in {i.code for i in page.context["form"].indicators}}
        assert client.post(url, data).status_code == 302


def test_a_draft_scored_before_a_removal_says_so_on_the_judgement_page(  # type: ignore[no-untyped-def]
    admin_client: Client, make_user, child: Child
) -> None:
    user = make_user(role=Role.TRIAGE_WORKER, agency_kind=AgencyKind.COUNCIL)
    client = _client(user)
    start = reverse("screening:start", args=[child.person.pk])
    _answer_every_section(
        client, child.person.pk, answer__risky_places="yes", evidence__risky_places="Seen at a takeaway after midnight"
    )
    judgement = reverse("screening:judgement", args=[ScreeningAssessment.objects.get().pk])
    assert 'id="tool-changed"' not in client.get(judgement).content.decode()

    admin_client.post(reverse("screening:level-remove", args=["at_risk"]), {"based_on": 1, "change_note": "x"})
    admin_client.post(reverse("screening:indicator-remove", args=["risky_places"]), {"based_on": 2, "change_note": "y"})
    page = _page(client.get(judgement))
    assert (
        "These answers were scored with version 1 of the screening tool; the partnership has since saved version 3"
        in page
    )
    assert f'href="{start}"' in page
    refused = client.post(judgement, {"judgement_level": "at_risk", "judgement_reasoning": "As computed"})
    assert "At risk has been removed from the screening tool since these answers were saved" in _page(refused)
    assert ScreeningAssessment.objects.get().status == ScreeningStatus.DRAFT

    # The task list says so too, and moves the draft to the current version: the removed question is gone.
    tasks = client.get(start).content.decode()
    assert 'id="tool-changed"' in tasks and "Use the current version for this draft" in tasks
    assert client.post(start)["Location"] == start
    draft = ScreeningAssessment.objects.get()
    assert draft.tool_version.number == 3 and not draft.answers.filter(indicator="risky_places").exists()
    assert 'id="tool-changed"' not in client.get(start).content.decode()
    assert 'id="tool-changed"' not in client.get(judgement).content.decode()
    assert "risky_places" not in client.get(reverse("screening:section", args=[child.person.pk, "sexual"])).content.decode()


def test_an_adults_single_view_offers_no_risk_of_exploitation(make_user) -> None:  # type: ignore[no-untyped-def]
    from safeguarding.people.models import PersonRole
    from tests.factories import PersonFactory

    adult = PersonFactory(given_name="Tariq", family_name="Suspect", role=PersonRole.ADULT, date_of_birth="1980-01-01")
    # By the date of birth before the records' role: an adult whose records still say "child", a girl of 16
    # a police system holds as an adult (arrested, or named a suspect), one with no date of birth.
    grown = PersonFactory(given_name="Ryan", family_name="Grown", role=PersonRole.CHILD, date_of_birth="2001-01-01")
    held = PersonFactory(given_name="Bella", family_name="Held", role=PersonRole.ADULT, date_of_birth="2010-02-02")
    child = PersonFactory(given_name="Amy", family_name="Child", role=PersonRole.CHILD, date_of_birth="")
    client = sign_in(Client(), make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL))
    for person in (adult, grown):
        adult_page = client.get(reverse("people:detail", args=[person.pk])).content.decode()
        assert "Risk of exploitation" not in adult_page and "Screen this child" not in adult_page
    for person in (held, child):
        child_page = client.get(reverse("people:detail", args=[person.pk])).content.decode()
        assert "Risk of exploitation" in child_page and "Not screened" in child_page


def test_a_sealed_childs_screening_pages_are_not_found_outside_the_seal(make_user, child: Child) -> None:  # type: ignore[no-untyped-def]
    from django.db import transaction

    from safeguarding.dataprotection.sealing import record_seal

    named = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    outsider = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    with transaction.atomic():
        record_seal(
            acting_user=make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL),
            person=child.person,
            reason="A witness",
            named_users=[named],
        )
    online = reverse("screening:section", args=[child.person.pk, "online"])
    inside, outside = _client(named), _client(outsider)
    assert inside.post(online, _section_post(inside.get(online).context)).status_code == 302
    pages = [reverse("screening:start", args=[child.person.pk]), online, reverse("screening:check", args=[child.person.pk])]
    for url in pages:
        response = outside.get(url)
        assert response.status_code == 404 and b"Chloe" not in response.content
        assert outside.post(url, {"action": "later", "answer__online_grooming": "no"}).status_code == 404
    assert "Chloe Barker" in inside.get(pages[0]).content.decode()
    assert ScreeningAssessment.objects.filter(started_by=outsider).count() == 0


def test_a_sealed_childs_lower_level_awaiting_approval_is_neither_listed_nor_counted_outside_the_seal(  # type: ignore[no-untyped-def]
    make_user, child: Child
) -> None:
    from django.db import transaction

    from safeguarding.dataprotection.sealing import record_seal

    practitioner = make_user(role=Role.LEAD_PRACTITIONER, agency_kind=AgencyKind.COUNCIL)
    screen(practitioner, child.person, "high", yes={"disclosure": "Told her teacher"})
    screen(practitioner, child.person, "at_risk", reason="Safety plan working")
    named, outsider = (make_user(role=Role.MACE_COORDINATOR, agency_kind=AgencyKind.COUNCIL) for _ in range(2))
    with transaction.atomic():
        record_seal(acting_user=make_user(role=Role.DATA_PROTECTION_OFFICER, agency_kind=AgencyKind.COUNCIL),
                    person=child.person, reason="A witness", named_users=[named])
    for reader, sees in ((named, True), (outsider, False)):
        client = _client(reader)
        approvals = client.get(reverse("screening:approvals")).content.decode()
        work = client.get(reverse("mace:my-work")).content.decode()
        counted = re.search(r'id="count-approvals">(\d+)<', work)
        assert ("Chloe Barker" in approvals, counted and counted.group(1)) == (sees, "1" if sees else "0")
        shown = AuditEvent.objects.get(event_type=AuditEventType.PERSONS_LISTED, actor=reader, target_id="risk level approvals")
        assert shown.detail["persons"] == ([child.person.root_id] if sees else [])
