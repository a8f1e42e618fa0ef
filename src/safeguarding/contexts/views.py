"""Pages of the contexts room: networks over a window and the hotspots, one entity and what is
linked to it, a child's network as a chart with its table alternative and CSV, submitting
information, graded intelligence and disclosures, and work on contexts."""

from __future__ import annotations

import datetime as dt
import io

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html_join
from django.views.decorators.http import require_http_methods

from safeguarding.accounts.access import (
    Capability,
    current_user,
    has,
    require,
    sees_intelligence_sources,
    sees_police_only_links,
)
from safeguarding.contexts import forms, selectors, services
from safeguarding.contexts.models import EntityKind, LinkNature
from safeguarding.core.confirm import Confirmation, confirm_first
from safeguarding.core.csvfile import spreadsheet_safe_writer
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error, refused
from safeguarding.dataprotection.assemble import NETWORK_OPENED
from safeguarding.people.selectors import person_for_user_or_404


def _window(request: HttpRequest) -> tuple[forms.WindowForm, selectors.Window]:
    form = forms.WindowForm(request.GET or None)
    if request.GET and form.is_valid():
        return form, selectors.Window(form.cleaned_data.get("start"), form.cleaned_data.get("end"))
    return form, selectors.Window()


def networks(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.VIEW_NETWORKS)
    window_form, window = _window(request)
    search = forms.EntitySearchForm(request.GET if "text" in request.GET else None)
    found = []
    if search.is_bound and search.is_valid():
        found = selectors.entities_search(user=user, kind=search.cleaned_data["kind"], text=search.cleaned_data["text"])
    overview = selectors.networks_overview(user=user, window=window, query=request.GET)
    return render(request, "contexts/networks.html", {
        "overview": overview, "window_form": window_form, "search": search, "found": found,
        "searched": search.is_bound, "build": selectors.last_build(),
        "police_view": sees_police_only_links(user),
        "can_submit": has(user, Capability.SUBMIT_INFORMATION),
        "can_grade": sees_intelligence_sources(user),
    })


@require_http_methods(["GET", "POST"])
def entity_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = current_user(request)
    entity = selectors.entity_for_user_or_404(user, public_id)
    correcting = request.method == "POST" and "kind-place_kind" in request.POST
    kind_form = forms.PlaceKindForm(request.POST if correcting else None, prefix="kind",
                                    initial={"place_kind": entity.place_kind}) if (
        entity.kind == EntityKind.PLACE and has(user, Capability.WORK_CONTEXTS)) else None
    clear_form = forms.PlaceholderClearForm(request.POST if not correcting else None) if (
        entity.placeholder and sees_intelligence_sources(user)) else None
    if correcting:
        if kind_form is None:
            raise Http404
        if kind_form.is_valid():
            try:
                changed = services.place_kind_set(acting_user=user, entity=entity,
                                                  place_kind=kind_form.cleaned_data["place_kind"],
                                                  reason=kind_form.cleaned_data["reason"])
            except ServiceError as exc:
                add_service_error(kind_form, exc)
            else:
                messages.success(request, f"{entity.label} is now recorded as: {changed.get_place_kind_display()}")
                return redirect("contexts:entity", public_id=entity.public_id)
    elif request.method == "POST":
        if clear_form is None:
            raise Http404
        if clear_form.is_valid():
            try:
                services.placeholder_clear(acting_user=user, entity=entity, reason=clear_form.cleaned_data["reason"])
            except ServiceError as exc:
                add_service_error(clear_form, exc)
            else:
                messages.success(request, f"{entity.label} now links the people it names")
                return redirect("contexts:entity", public_id=entity.public_id)
    page = selectors.entity_page(user=user, entity=entity)
    return render(request, "contexts/entity.html", {
        "page": page, "entity": entity, "can_open_child": has(user, Capability.VIEW_PERSON),
        "can_work_contexts": has(user, Capability.WORK_CONTEXTS), "form": clear_form, "kind_form": kind_form,
    })


def _chart(request: HttpRequest, person_id: int) -> tuple[selectors.Chart, forms.WindowForm]:
    user = current_user(request)
    if not has(user, Capability.VIEW_NETWORKS):
        raise Http404
    person = person_for_user_or_404(user, person_id, purpose=NETWORK_OPENED)  # withheld from subject access
    window_form, window = _window(request)
    return selectors.chart_for_person(user=user, person=person, window=window), window_form


# A row of the links table (every value escaped by format_html_join). A child's network can hold hundreds
# of links: written by the template, a dozen lookups a row were half the page's time (the crawl's budget of
# 300 ms, docs/benchmarks.md); joined here they cost a tenth of that.
_LINK_ROW = (
    '<tr class="govuk-table__row" data-edge="{}" data-source="{}" data-target="{}" data-agency="{}" data-date="{}">'
    '<td class="govuk-table__cell">{}</td><td class="govuk-table__cell">{}</td><td class="govuk-table__cell">{}</td>'
    '<td class="govuk-table__cell">{}</td><td class="govuk-table__cell">{}</td>'
    '<td class="govuk-table__cell govuk-body-s">{}</td></tr>'
)


def _link_rows(chart: selectors.Chart) -> str:
    return format_html_join("\n", _LINK_ROW, (
        (e.id, e.source, e.target, e.agency, e.date_iso, e.date_text, e.source_label, e.nature, e.target_label,
         e.agency, e.origin) for e in chart.edges))


def person_network(request: HttpRequest, person_id: int) -> HttpResponse:
    """The chart (drawn by Cytoscape.js from the JSON embedded in the page) and, always, the table
    alternative with the same nodes and links, so the page works without JavaScript."""
    chart, window_form = _chart(request, person_id)
    user = current_user(request)
    query = request.GET.urlencode()
    return render(request, "contexts/person_network.html", {
        "chart": chart, "link_rows": _link_rows(chart), "person_id": person_id, "window_form": window_form,
        "chart_json": chart.as_json(), "query": f"?{query}" if query else "",
        "kinds": sorted({n.kind for n in chart.nodes}),
        "can_record_disruption": has(user, Capability.RECORD_DISRUPTION),
    })


def person_network_json(request: HttpRequest, person_id: int) -> JsonResponse:
    chart, _ = _chart(request, person_id)
    return JsonResponse(chart.as_json())


def person_network_csv(request: HttpRequest, person_id: int) -> HttpResponse:
    """The network's links as CSV: the same rows as the table, built for the viewer."""
    chart, _ = _chart(request, person_id)
    labels = {n.id: (n.label, n.kind) for n in chart.nodes}
    buffer = io.StringIO()
    writer = spreadsheet_safe_writer(buffer)  # labels come from records and practitioners' submissions
    writer.writerow(["date", "from", "from_kind", "link", "to", "to_kind", "agency", "source"])
    for e in chart.edges:
        writer.writerow([e.date.isoformat(), labels.get(e.source, ("", ""))[0], labels.get(e.source, ("", ""))[1],
                         e.nature, labels.get(e.target, ("", ""))[0], labels.get(e.target, ("", ""))[1], e.agency, e.origin])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="network-P{person_id:07d}.csv"'
    return response


@require_http_methods(["GET", "POST"])
def submit(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.SUBMIT_INFORMATION)
    form = forms.SubmissionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = selectors.person_by_reference(user=user, reference=data["person_ref"])
        if person is None:
            form.add_error("person_ref", "We could not find that person: check the reference or record id")
        else:
            try:
                submission = services.information_submit(
                    acting_user=user, person=person, observed_on=data["observed_on"], summary=data["summary"],
                    reported=[services.Reported(kind=data["kind"], value=data["value"], postcode=data["postcode"],
                                                nature=data["nature"])],
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"Information {submission.reference} submitted. Thank you.")
                return redirect("contexts:submit")
    return render(request, "contexts/submit.html", {"form": form})


# --- intelligence ------------------------------------------------------------------------------


def intelligence_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.VIEW_NETWORKS)
    return render(request, "contexts/intelligence_list.html", {
        "reports": list(selectors.intelligence_list(user=user)[:200]), "can_grade": sees_intelligence_sources(user),
    })


def _people(user: object, refs: str) -> list:
    out = []
    for ref in filter(None, (r.strip() for r in refs.replace(";", ",").split(","))):
        person = selectors.person_by_reference(user=user, reference=ref)  # type: ignore[arg-type]
        if person is None:
            raise ServiceError(f"We could not find {ref}", field="person_refs")
        out.append(person)
    return out


@require_http_methods(["GET", "POST"])
def intelligence_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not sees_intelligence_sources(user):
        raise Http404
    form = forms.IntelligenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            persons = _people(user, data["person_refs"])
            adult = None
            if data["adult_ref"]:
                adult = selectors.person_by_reference(user=user, reference=data["adult_ref"])
                if adult is None:
                    raise ServiceError("We could not find that person", field="adult_ref")
            reported = []
            if data["kind"]:
                reported.append(services.Reported(kind=data["kind"], value=data["value"], postcode=data["postcode"],
                                                  nature=data["nature"] or LinkNature.OTHER))
            report = services.intelligence_record(
                acting_user=user, observed_on=data["observed_on"], source_evaluation=data["source_evaluation"],
                assessment=data["assessment"], handling=data["handling"],
                handling_conditions=data["handling_conditions"], sanitised_text=data["sanitised_text"],
                source_description=data["source_description"], original_text=data["original_text"],
                persons=persons, reported=reported, adult=adult,
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Intelligence {report.reference} recorded, graded {report.grading}")
            return redirect("contexts:intelligence-detail", reference=report.reference)
    return render(request, "contexts/intelligence_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def intelligence_detail(request: HttpRequest, reference: str) -> HttpResponse:
    user = current_user(request)
    report = selectors.intelligence_for_user_or_404(user, reference)
    can_disclose = sees_intelligence_sources(user)
    form = forms.DisclosureForm(request.POST or None) if can_disclose else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.intelligence_disclose(
                    acting_user=user, report=report, to_agency=data["to_agency"], to_person=data["to_person"],
                    purpose=data["purpose"], lawful_basis=data["lawful_basis"],
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"Disclosure of {report.reference} recorded")
                return redirect("contexts:intelligence-detail", reference=report.reference)
    source = selectors.intelligence_source(user=user, report=report) if request.GET.get("source") == "show" else None
    return render(request, "contexts/intelligence_detail.html", {
        "report": report, "form": form, "source": source, "can_see_source": sees_intelligence_sources(user),
        "disclosures": selectors.disclosures_of(user=user, report=report),
    })


# --- contexts ----------------------------------------------------------------------------------


def context_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.VIEW_NETWORKS)
    return render(request, "contexts/context_list.html", {
        "cases": list(selectors.contexts_open(user=user)),
        "due": selectors.contexts_due_for_panel(user=user),
    })


@require_http_methods(["GET", "POST"])
def peer_group_new(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.WORK_CONTEXTS)
    form = forms.PeerGroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            members = _people(user, data["member_refs"])
            group = services.peer_group_record(acting_user=user, name=data["name"], members=members, since=data["since"])
        except ServiceError as exc:
            if exc.field == "person_refs":
                exc.field = "member_refs"
            add_service_error(form, exc)
        else:
            messages.success(request, f"Peer group {group.label} recorded")
            return redirect("contexts:entity", public_id=group.public_id)
    return render(request, "contexts/peer_group_form.html", {"form": form})


@require_http_methods(["GET", "POST"])
def context_open(request: HttpRequest, public_id: str) -> HttpResponse:
    user = current_user(request)
    entity = selectors.entity_for_user_or_404(user, public_id)
    if not has(user, Capability.WORK_CONTEXTS):
        raise Http404
    form = forms.ContextOpenForm(request.POST or None, initial={"review_due_on": forms.default_review()})
    if request.method == "POST" and form.is_valid():
        try:
            case = services.context_open(acting_user=user, entity=entity, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Work on {entity.label} opened as {case.reference}")
            return redirect("contexts:context-detail", public_id=case.public_id)
    return render(request, "contexts/context_open.html", {"form": form, "entity": entity})


@require_http_methods(["GET", "POST"])
def context_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    user = current_user(request)
    case = selectors.context_for_user_or_404(user, public_id)
    can_work = has(user, Capability.WORK_CONTEXTS) and case.status == "open"
    review_form = forms.ContextReviewForm(request.POST if "review" in request.POST else None,
                                          initial={"next_review_on": forms.default_review()}) if can_work else None
    close_form = forms.ContextCloseForm(request.POST if "close" in request.POST else None) if can_work else None
    if request.method == "POST":
        if not can_work:
            raise Http404
        try:
            if "review" in request.POST and review_form is not None and review_form.is_valid():
                services.context_review(acting_user=user, case=case, **review_form.cleaned_data)
                messages.success(request, "Review recorded")
                return redirect("contexts:context-detail", public_id=case.public_id)
            if "close" in request.POST and close_form is not None and close_form.is_valid():
                asked = confirm_first(request, Confirmation(
                    question="Are you sure you want to close the work on this context?",
                    caption=f"Work {case.reference}",
                    confirm_label="Yes, close the work",
                    cancel_url=reverse("contexts:context-detail", args=[case.public_id]),
                    cancel_label="No, go back to the work",
                    answers=[("Why the work is being closed", close_form.cleaned_data["reason"])],
                    happens=["the work leaves the open contexts and its reviews stop falling due for the panel",
                             "your reason is kept with the work and in the audit trail"],
                    warning="You cannot reopen closed work. If the place or vehicle worries you again, open new work.",
                ))
                if asked is not None:
                    return asked
                services.context_close(acting_user=user, case=case, reason=close_form.cleaned_data["reason"])
                messages.success(request, f"Work {case.reference} closed")
                return redirect("contexts:contexts")
        except ServiceError as exc:
            add_service_error(review_form if "review" in request.POST else close_form, exc)  # type: ignore[arg-type]
    return render(request, "contexts/context_detail.html", {
        "case": case, "children": selectors.children_of_context(user=user, case=case),
        "reviews": list(case.reviews.select_related("reviewed_by")), "review_form": review_form,
        "close_form": close_form, "today": dt.date.today(),
        # The form sent and refused: the error summary says why (a refusal of the whole form, such as a
        # next review not after today, shows nowhere else).
        "form": refused(review_form, close_form),
    })


