"""Pages of the panel at work: meetings (agenda, attendance, each child's discussion, minutes),
plans, actions, the work lists, escalations, and the roles and responsibilities matrix."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from safeguarding.accounts.access import Capability, current_user, has, persons_hidden_from, persons_shown, require
from safeguarding.accounts.downloads import list_download
from safeguarding.accounts.models import Agency, AgencyKind
from safeguarding.contexts.selectors import contexts_due_for_panel
from safeguarding.core import once
from safeguarding.core.confirm import Confirmation, confirm_first
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error, number_or_zero, refused
from safeguarding.core.once import AlreadySent
from safeguarding.earlywarning.selectors import alert_for_user_or_404
from safeguarding.frontdoor.selectors import concern_for_user_or_404
from safeguarding.mace import forms as f
from safeguarding.mace import raci, selectors, services
from safeguarding.mace.models import AgendaItem, AttendanceStatus, MeetingStatus, PanelDecision, PoliceMinutes
from safeguarding.people.models import Person
from safeguarding.people.selectors import person_for_user_or_404
from safeguarding.screening.selectors import tool_current


def _steps(actions_only: bool = True) -> list[tuple[str, str]]:
    return [(s.code, s.name) for s in raci.parse(services.raci_current().matrix) if s.action or not actions_only]


# --- meetings -----------------------------------------------------------------------------------


def meeting_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    meetings = selectors.meetings_listing(user=user, query=request.GET)
    return render(request, "mace/meetings.html", {"meetings": meetings, "can_run": has(user, Capability.RUN_PANEL)})


@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RUN_PANEL)
    form = f.ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meetings = services.meetings_schedule(
                acting_user=user, first_at=form.first_at(), place=data["place"], police_chair=data["police_chair"],
                council_chair=data["council_chair"], every_weeks=data["every_weeks"], count=data["count"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{len(meetings)} meeting{'s' if len(meetings) != 1 else ''} scheduled")
            return redirect("mace:meeting", meeting_id=meetings[0].pk)
    return render(request, "mace/meeting_new.html", {"form": form})


def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    user = current_user(request)
    meeting = selectors.meeting_for_user_or_404(user, meeting_id)
    rows = selectors.agenda(meeting=meeting)
    hidden = persons_hidden_from(user)
    persons_shown(user=user, page=request.path, person_ids=[r.person.pk for r in rows if r.person.pk not in hidden])
    can_run = has(user, Capability.RUN_PANEL)
    is_chair = user.pk in meeting.chairs
    # The minutes and addenda are free text about the children on the agenda: to a reader from whom a seal
    # hides one of them, they are not shown (nor offered to write or approve).
    withheld = selectors.minutes_sealed_from(user, meeting)
    # The police-only part: read, and written, by the police's members of the panel only; for anyone
    # else nothing of it (not even whether there is one) is put on the page.
    police = selectors.sees_police_minutes(user, meeting)
    police_parts = selectors.police_minutes(user=user, meeting=meeting) if police else []
    can_approve = (is_chair and not withheld and meeting.status == MeetingStatus.MINUTES_DRAFTED
                   and meeting.minutes_by_id != user.pk)
    context: dict[str, Any] = {
        "minutes_withheld": withheld,
        "minutes_versions": selectors.minutes_versions(user=user, meeting=meeting),
        "police_reader": police,
        "police_rows": [(_police_part_label(part.item), part) for part in police_parts],
        "police_form": _police_form(rows, police_parts)
        if police and meeting.status in (MeetingStatus.HELD, MeetingStatus.MINUTES_DRAFTED) else None,
        "meeting": meeting, "rows": rows, "can_run": can_run, "is_chair": is_chair,
        "attendance": list(meeting.attendance.select_related("agency")),
        "addenda": selectors.addenda(user=user, meeting=meeting),
        "can_open_child": has(user, Capability.VIEW_PERSON),
        "minutes_form": f.MinutesForm(initial={"minutes": meeting.minutes})
        if (can_run or is_chair) and not withheld and meeting.status in (MeetingStatus.HELD, MeetingStatus.MINUTES_DRAFTED)
        else None,
        "can_approve": can_approve,
        # What the co-chair reads as they approve: a record changed before they press is not approved unread.
        "approve_based_on": services.record_hash(services.meeting_record(meeting)) if can_approve else "",
        "addendum_form": f.AddendumForm(police=police)
        if (can_run or is_chair or police) and not withheld and meeting.is_locked else None,
        "add_form": f.AgendaAddForm() if can_run and meeting.status == MeetingStatus.SCHEDULED else None,
        # Contexts the panel follows (work on a place, a peer group, a vehicle) whose review falls due by
        # the meeting: listed beside the children, for those who may see networks.
        "contexts_due": contexts_due_for_panel(
            user=user, on=timezone.localtime(meeting.scheduled_for).date(), within_days=0
        ),
    }
    return render(request, "mace/meeting.html", context)


def _police_part_label(item: AgendaItem | None) -> str:
    if item is None:
        return "The meeting as a whole"
    return f"About {item.person.full_name or item.person.reference} ({item.person.reference})"


def _police_form(rows: list[selectors.AgendaRow], parts: list[PoliceMinutes], data: Any = None) -> f.PoliceMinutesForm:
    """The police-only part's form, each box holding the part's text as it stands."""
    initial = {"meeting" if p.item_id is None else f"item_{p.item_id}": p.text for p in parts}
    items = [(r.item.pk, f"{r.person.full_name or r.person.reference} ({r.person.reference})") for r in rows]
    return f.PoliceMinutesForm(data, items=items, initial=initial)


def _back_to_meeting(request: HttpRequest, meeting_id: int, error: ServiceError | None, done: str) -> HttpResponse:
    if error is not None:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("mace:meeting", meeting_id=meeting_id)


@require_POST
def agenda_build(request: HttpRequest, meeting_id: int) -> HttpResponse:
    user = current_user(request)
    meeting = selectors.meeting_for_user_or_404(user, meeting_id)
    try:
        added = services.agenda_build(acting_user=user, meeting=meeting)
    except ServiceError as exc:
        return _back_to_meeting(request, meeting_id, exc, "")
    return _back_to_meeting(request, meeting_id, None,
                            f"Agenda built: {len(added)} item{'s' if len(added) != 1 else ''} added")


@require_POST
def agenda_add(request: HttpRequest, meeting_id: int) -> HttpResponse:
    user = current_user(request)
    meeting = selectors.meeting_for_user_or_404(user, meeting_id)
    form = f.AgendaAddForm(request.POST)
    if not form.is_valid():
        return _back_to_meeting(request, meeting_id, ServiceError(" ".join(
            str(e) for errors in form.errors.values() for e in errors)), "")
    person = Person.objects.filter(pk=form.cleaned_data["person"]).first()
    if person is None or not has(user, Capability.VIEW_PERSON) or person.pk in persons_hidden_from(user):
        return _back_to_meeting(request, meeting_id, ServiceError("No one in the hub has that reference"), "")
    try:
        services.agenda_item_add(acting_user=user, meeting=meeting, person=person, note=form.cleaned_data["note"])
    except ServiceError as exc:
        return _back_to_meeting(request, meeting_id, exc, "")
    return _back_to_meeting(request, meeting_id, None, f"{person.reference} added to the agenda")


@require_http_methods(["GET", "POST"])
def attendance(request: HttpRequest, meeting_id: int) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RUN_PANEL)
    meeting = selectors.meeting_for_user_or_404(user, meeting_id)
    agencies = list(Agency.objects.filter(is_active=True).order_by("name"))
    initial = {a.agency_id: (a.status, a.names) for a in meeting.attendance.all()}
    if not initial:
        initial = {a.pk: (AttendanceStatus.ATTENDED if a.kind in (AgencyKind.POLICE, AgencyKind.COUNCIL)
                          else AttendanceStatus.ABSENT, "") for a in agencies}
    form = f.AttendanceForm(request.POST or None, agencies=agencies, initial_by_agency=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.attendance_record(acting_user=user, meeting=meeting, entries=form.entries())
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Attendance recorded: the meeting is held")
            return redirect("mace:meeting", meeting_id=meeting.pk)
    rows = [(a, form[f"status_{a.pk}"], form[f"names_{a.pk}"]) for a in agencies]
    return render(request, "mace/attendance.html", {"meeting": meeting, "form": form, "rows": rows})


@require_http_methods(["GET", "POST"])
def discuss(request: HttpRequest, meeting_id: int, item_id: int) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RUN_PANEL)
    meeting = selectors.meeting_for_user_or_404(user, meeting_id)
    item = selectors.agenda_item_or_404(user=user, meeting=meeting, item_id=item_id)
    person = person_for_user_or_404(user, item.person_id, purpose=f"panel meeting {meeting.reference}")
    tool = tool_current().tool
    steps = _steps()
    form = f.DiscussionForm(request.POST or None, levels=[(lv.code, lv.name) for lv in tool.levels], steps=steps)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        goals = [line.strip() for line in data["goals"].splitlines() if line.strip()]
        actions = [services.ActionInput(text, owner, due, step) for text, owner, due, step in form.action_rows()]
        try:
            services.discussion_record(
                acting_user=user, item=item, summary=data["summary"], decision=data["decision"],
                confirmed_level=data["confirmed_level"], level_reasons=data["level_reasons"],
                downgrade_reason=data["downgrade_reason"], actions=actions, goals=goals, outcome=data["outcome"],
                closure_reason=data["summary"] if data["decision"] == PanelDecision.CLOSE_PLAN else "",
                child_views=data["child_views"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Discussion of {person.full_name or person.reference} recorded")
            return redirect("mace:meeting", meeting_id=meeting.pk)
    plan = selectors.plan_for_person(user=user, person=person)
    return render(request, "mace/discuss.html", {
        "meeting": meeting, "item": item, "person": person, "form": form, "plan": plan,
        # each kind of action by its name in the partnership's roles and responsibilities, with the agency they suggest
        "suggestions": [(name, getattr(services.suggested_agency(code), "name", "")) for code, name in steps],
    })


@require_POST
def minutes(request: HttpRequest, meeting_id: int) -> HttpResponse:
    user = current_user(request)
    meeting = selectors.meeting_for_user_or_404(user, meeting_id)
    form = f.MinutesForm(request.POST)
    error: ServiceError | None = None
    if not form.is_valid():
        error = ServiceError("Write the minutes")
    else:
        try:
            services.minutes_draft(acting_user=user, meeting=meeting, text=form.cleaned_data["minutes"])
        except ServiceError as exc:
            error = exc
    return _back_to_meeting(request, meeting_id, error, "Minutes saved: a co-chair who did not draft them approves them")


@require_POST
def police_minutes(request: HttpRequest, meeting_id: int) -> HttpResponse:
    user = current_user(request)
    meeting = selectors.meeting_for_user_or_404(user, meeting_id)
    form = _police_form(selectors.agenda(meeting=meeting), [], request.POST)
    error: ServiceError | None = None
    if not form.is_valid():
        error = ServiceError(" ".join(str(e) for errors in form.errors.values() for e in errors))
    else:
        try:
            services.police_minutes_draft(acting_user=user, meeting=meeting, texts=form.texts())
        except ServiceError as exc:
            error = exc
    return _back_to_meeting(request, meeting_id, error, "Police-only minutes saved")


@require_POST
def minutes_version_withhold(request: HttpRequest, meeting_id: int, version_id: int) -> HttpResponse:
    user = current_user(request)
    meeting = selectors.meeting_for_user_or_404(user, meeting_id)
    version = meeting.minutes_versions.filter(pk=version_id).first()
    if version is None:
        raise Http404
    try:
        services.minutes_version_withhold(acting_user=user, version=version, reason=request.POST.get("reason", ""))
    except ServiceError as exc:
        return _back_to_meeting(request, meeting_id, exc, "")
    return _back_to_meeting(request, meeting_id, None, "The earlier draft is withheld from everyone outside the police")


@require_POST
def approve(request: HttpRequest, meeting_id: int) -> HttpResponse:
    user = current_user(request)
    meeting = selectors.meeting_for_user_or_404(user, meeting_id)
    may = user.pk in meeting.chairs and meeting.status == MeetingStatus.MINUTES_DRAFTED and meeting.minutes_by_id != user.pk
    asked = confirm_first(request, Confirmation(
        question="Are you sure you want to approve and lock the minutes?",
        caption=f"Panel meeting {meeting.reference}, {timezone.localtime(meeting.scheduled_for):%-d %B %Y}",
        confirm_label="Yes, approve and lock the minutes",
        cancel_url=reverse("mace:meeting", args=[meeting.pk]),
        cancel_label="No, go back to the meeting",
        happens=["the minutes, attendance, discussions, decisions and actions are locked as they are now",
                 "the meeting's record is kept with a fingerprint (hash), so any later change would show",
                 "a correction can only be added beside the minutes, as an addendum",
                 "the police-only part of the minutes, if the police wrote one, is locked with them"],
        warning="You cannot change the minutes once they are locked.",
    )) if may else None
    if asked is not None:
        return asked
    try:
        # The page always sends the fingerprint of the record it showed: a request without one (made by
        # hand) approves nothing unread either.
        services.minutes_approve(acting_user=user, meeting=meeting, based_on=request.POST.get("based_on", ""))
    except ServiceError as exc:
        return _back_to_meeting(request, meeting_id, exc, "")
    return _back_to_meeting(request, meeting_id, None, "Minutes approved and locked")


@require_POST
def addendum(request: HttpRequest, meeting_id: int) -> HttpResponse:
    user = current_user(request)
    meeting = selectors.meeting_for_user_or_404(user, meeting_id)
    form = f.AddendumForm(request.POST, police=selectors.sees_police_minutes(user, meeting))
    error: ServiceError | None = None
    if not form.is_valid():
        error = ServiceError("Write the addendum")
    else:
        try:
            services.minutes_addendum_add(acting_user=user, meeting=meeting, text=form.cleaned_data["text"],
                                          police_only=f.AddendumForm.asks_police_only(request.POST))
        except ServiceError as exc:
            error = exc
    return _back_to_meeting(request, meeting_id, error, "Addendum added beside the locked minutes")


# --- plans and actions --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = current_user(request)
    plan = selectors.plan_for_user_or_404(user, plan_id)
    can_run = has(user, Capability.RUN_PANEL)
    steps = _steps()
    forms_: dict[str, Any] = {
        "action_form": f.ActionForm(steps=steps) if can_run and plan.is_open else None,
        "goal_form": f.GoalForm() if can_run and plan.is_open else None,
        "close_form": f.CloseForm() if can_run and plan.is_open else None,
        "reopen_form": f.ReopenForm() if can_run and not plan.is_open else None,
    }
    if request.method == "POST":
        if not can_run:
            raise Http404
        what = request.POST.get("form")
        form: Any = None
        try:
            if what == "action":
                form = forms_["action_form"] = f.ActionForm(request.POST, steps=steps)
                if form.is_valid():
                    d = form.cleaned_data
                    action = services.action_create(acting_user=user, plan=plan, description=d["description"],
                                                    owner=d["owner"], due_on=d["due_on"], step=d["step"],
                                                    form_token=once.token_of(form))
                    messages.success(request, f"Action {action.reference} agreed" + (
                        f". {action.due_note}" if action.due_note else ""))
                    return redirect("mace:plan", plan_id=plan.pk)
            elif what == "goal":
                form = forms_["goal_form"] = f.GoalForm(request.POST)
                if form.is_valid():
                    services.plan_goal_add(acting_user=user, plan=plan, text=form.cleaned_data["text"],
                                           form_token=once.token_of(form))
                    return redirect("mace:plan", plan_id=plan.pk)
            elif what == "close":
                form = forms_["close_form"] = f.CloseForm(request.POST)
                if form.is_valid():
                    services.plan_close(acting_user=user, plan=plan, outcome=form.cleaned_data["outcome"],
                                        reason=form.cleaned_data["reason"])
                    messages.success(request, f"Plan {plan.reference} closed")
                    return redirect("mace:plan", plan_id=plan.pk)
            elif what == "reopen":
                form = forms_["reopen_form"] = f.ReopenForm(request.POST)
                if form.is_valid():
                    services.plan_reopen(acting_user=user, plan=plan, reason=form.cleaned_data["reason"])
                    messages.success(request, f"Plan {plan.reference} reopened")
                    return redirect("mace:plan", plan_id=plan.pk)
            else:
                raise Http404
        except AlreadySent as exc:  # a double click: the first send did it, and the page shows it
            messages.info(request, str(exc))
            return redirect("mace:plan", plan_id=plan.pk)
        except ServiceError as exc:
            add_service_error(form, exc)
    matrix = raci.parse(services.raci_current().matrix)
    used = {a.step for a in plan.actions.all() if a.step}
    return render(request, "mace/plan.html", {
        "plan": plan, "actions": selectors.plan_actions(plan=plan), "goals": list(plan.goals.all()),
        "history": list(plan.history.select_related("by")), "can_run": can_run,
        "raci_steps": [s for s in matrix if s.code in used or not s.action], "agency_kinds": AgencyKind.choices,
        "can_open_child": has(user, Capability.VIEW_PERSON), "today": timezone.localdate(), **forms_,
        # The form sent and refused: its problems head the page, as on every page (the forms' own markup
        # shows a field's error, not a refusal of the whole form such as a plan closing with open actions).
        "form": refused(*forms_.values()),
    })


@require_http_methods(["GET", "POST"])
def action_detail(request: HttpRequest, action_id: int) -> HttpResponse:
    user = current_user(request)
    action = selectors.action_for_user_or_404(user, action_id)
    can_update = action.is_open and services.can_update_action(user, action)
    note_form = f.NoteForm() if can_update else None
    complete_form = f.CompleteForm() if can_update else None
    if request.method == "POST":
        if not can_update:
            raise Http404
        try:
            if request.POST.get("form") == "note":
                note_form = f.NoteForm(request.POST)
                if note_form.is_valid():
                    services.action_note_add(acting_user=user, action=action, text=note_form.cleaned_data["text"])
                    messages.success(request, "Progress note added")
                    return redirect("mace:action", action_id=action.pk)
            else:
                complete_form = f.CompleteForm(request.POST)
                if complete_form.is_valid():
                    services.action_complete(acting_user=user, action=action,
                                             outcome=complete_form.cleaned_data["outcome"])
                    messages.success(request, f"Action {action.reference} completed")
                    return redirect("mace:action", action_id=action.pk)
        except ServiceError as exc:
            add_service_error(note_form if request.POST.get("form") == "note" else complete_form, exc)  # type: ignore[arg-type]
    return render(request, "mace/action.html", {
        "action": action, "notes": list(action.notes.select_related("by")),
        "escalations": list(action.escalations.all()), "note_form": note_form, "complete_form": complete_form,
        "can_open_child": has(user, Capability.VIEW_PERSON), "today": timezone.localdate(),
    })


# --- work lists ---------------------------------------------------------------------------------


def _work(request: HttpRequest, *, agency_view: bool) -> HttpResponse:
    user = current_user(request)
    work = (selectors.agency_work if agency_view else selectors.my_work)(user=user, query=request.GET)
    if work.actions.wants_download:
        return list_download(user=user, listing=work.actions, columns=selectors.ACTION_COLUMNS,
                             page=request.path, filename="actions", person_of=lambda a: a.plan.child_id)
    persons_shown(user=user, page=request.path, person_ids=work.persons)
    return render(request, "mace/work.html", {"work": work, "agency_view": agency_view, "today": timezone.localdate()})


def my_work(request: HttpRequest) -> HttpResponse:
    return _work(request, agency_view=False)


def agency_work(request: HttpRequest) -> HttpResponse:
    return _work(request, agency_view=True)


def plan_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    plans = selectors.plans_listing(user=user, query=request.GET)
    if plans.wants_download:
        return list_download(user=user, listing=plans, columns=selectors.PLAN_COLUMNS, page="plans",
                             filename="plans", person_of=lambda p: p.child_id)
    persons_shown(user=user, page="plans", person_ids=[p.child_id for p in plans.items])
    return render(request, "mace/plans.html", {"plans": plans})


def escalations(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    rows = selectors.strategic_escalations(user=user)
    return render(request, "mace/escalations.html", {"rows": rows})


# --- roles and responsibilities -------------------------------------------------------------------


def plan_figures(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    rows = selectors.plan_figures(user=user)
    outcomes = list(rows[0].closed) if rows else []
    return render(request, "mace/figures.html", {"rows": rows, "outcomes": outcomes,
                                                 "agencies": selectors.agency_timeliness(user=user)})


@require_http_methods(["GET", "POST"])
def raci_matrix(request: HttpRequest) -> HttpResponse:
    """What each kind of agency is responsible for (DOMAIN.md, priority 6): every signed-in user of
    every partner may read it (it names no one); administrators change it."""
    user = current_user(request)
    current = services.raci_current()
    steps = raci.parse(current.matrix)
    can_edit = has(user, Capability.CONFIGURE_TOOLS)
    problems: list[str] = []
    note_error = ""  # beside the change note, as GOV.UK shows a field's error, and linked from the summary
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        data = raci.as_json(steps)
        for step in data["steps"]:
            for kind in AgencyKind.values:
                step["roles"][kind] = request.POST.get(f"{step['code']}__{kind}", "").strip().upper()
        try:
            version = services.raci_change(acting_user=user, based_on=number_or_zero(request.POST.get("based_on")),
                                           matrix=data, change_note=request.POST.get("change_note", ""))
        except raci.RaciError as exc:
            problems = exc.problems
        except ServiceError as exc:
            if exc.field == "change_note":
                note_error = str(exc)
            else:
                problems = [str(exc)]
        else:
            messages.success(request, f"Roles and responsibilities saved as version {version.number}")
            return redirect("mace:raci")
    return render(request, "mace/raci.html", {
        "version": current, "steps": steps, "kinds": AgencyKind.choices, "can_edit": can_edit, "problems": problems,
        "note_error": note_error,
        "letters": raci.LETTERS, "change_note": request.POST.get("change_note", ""),
    })


# --- allocation ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def allocate(request: HttpRequest, kind: str, record_id: int) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.ALLOCATE)
    concern = alert = child = None
    if kind == "concern":
        concern = concern_for_user_or_404(user, record_id)
        label, back = f"concern {concern.reference}", ("frontdoor:detail", concern.pk)
    elif kind == "alert":
        alert = alert_for_user_or_404(user, record_id)
        label, back = f"alert {alert.reference}", ("earlywarning:detail", alert.pk)
    elif kind == "child":
        child = person_for_user_or_404(user, record_id, purpose="allocating the child to a worker")
        label, back = child.full_name or child.reference, ("people:detail", child.pk)
    else:
        raise Http404
    form = f.AllocateForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.allocate(acting_user=user, worker=form.cleaned_data["worker"], concern=concern, alert=alert,
                              child=child)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Allocated {label} to {form.cleaned_data['worker']}")
            return redirect(back[0], back[1])
    return render(request, "mace/allocate.html", {"form": form, "label": label, "back": back})
