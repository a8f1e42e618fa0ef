"""The data protection officer's pages: the audit trail, the overview with every clock, subject
access requests with their redaction review and bundle, disclosures, sealed records and break-glass
(the one page here for casework staff: asking to open a sealed record)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from safeguarding.accounts.access import Capability, current_user, has, persons_shown, require
from safeguarding.accounts.downloads import list_download
from safeguarding.accounts.models import User
from safeguarding.core.confirm import Confirmation, confirm_first
from safeguarding.core.errors import ServiceError
from safeguarding.core.forms import add_service_error, number_or_zero
from safeguarding.core.normalise import typed_reference
from safeguarding.core.once import AlreadySent, token_of
from safeguarding.dataprotection import forms as dp_forms
from safeguarding.dataprotection import retention, sealing, selectors, services
from safeguarding.dataprotection.models import BreakGlassAccess


def _posted(request: HttpRequest) -> QueryDict | None:
    return request.POST if request.method == "POST" else None


def trail(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    events, person = selectors.trail_listing(user=user, query=request.GET)
    if events.wants_download:
        return list_download(user=user, listing=events, columns=selectors.TRAIL_COLUMNS, page="audit trail",
                             filename="audit-trail", person_of=lambda e: e.person_id)
    flagged = list(selectors.flagged_searches(user=user)) if not events.selected_filters else []
    return render(request, "dataprotection/trail.html", {"events": events, "person": person, "flagged": flagged,
                                                         "hides_police_work": selectors.trail_hides_police_work(user)})


def overview(request: HttpRequest) -> HttpResponse:
    return render(request, "dataprotection/overview.html", {"o": selectors.overview(user=current_user(request))})


# --- subject access requests ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sar_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    requests = selectors.sars_listing(user=user, query=request.GET)
    persons_shown(user=user, page="subject access requests", person_ids=[r.person_id for r in requests.items])
    form = dp_forms.SarLogForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        person = selectors.person_for_audit(reference=form.cleaned_data["reference"])
        if person is None:
            form.add_error("reference", "No person has this hub reference")
        else:
            try:
                sar = services.sar_log(
                    acting_user=user, person=person, requester_name=form.cleaned_data["requester_name"],
                    requester_relationship=form.cleaned_data["requester_relationship"],
                    received_on=form.cleaned_data["received_on"],
                )
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"Request {sar.reference} logged: due {sar.due_on:%-d %B %Y}")
                return redirect("dataprotection:sar", sar_id=sar.pk)
    return render(request, "dataprotection/sar_list.html", {"requests": requests, "form": form})


_SAR_FORMS = {"verify": dp_forms.VerifyForm, "extend": dp_forms.ExtendForm, "send": dp_forms.SendForm,
              "withdraw": dp_forms.WithdrawForm}


@require_http_methods(["GET", "POST"])
def sar_detail(request: HttpRequest, sar_id: int) -> HttpResponse:
    user = current_user(request)
    sar = selectors.sar_for_user_or_404(user, sar_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    forms = {name: cls(request.POST if action == name else None, prefix=name) for name, cls in _SAR_FORMS.items()}
    error = ""
    if action:
        try:
            if action in forms:
                form = forms[action]
                asked = confirm_first(request, Confirmation(
                    question="Are you sure you want to close this request without a bundle?",
                    caption=f"Subject access request {sar.reference}",
                    confirm_label="Yes, close the request",
                    cancel_url=reverse("dataprotection:sar", args=[sar.pk]),
                    cancel_label="No, go back to the request",
                    answers=[("Why the request is closing without a bundle", form.cleaned_data["note"])],
                    happens=["the request is closed as withdrawn and no bundle is sent",
                             "your name and reason are kept with the request and in the audit trail"],
                    warning="You cannot reopen a closed request. A new request must be logged.",
                )) if action == "withdraw" and sar.is_open and form.is_valid() else None
                if asked is not None:
                    return asked
                if form.is_valid():
                    data = form.cleaned_data
                    if action == "verify":
                        services.sar_verify_identity(acting_user=user, sar=sar, **data)
                    elif action == "extend":
                        services.sar_extend(acting_user=user, sar=sar, **data)
                    elif action == "send":
                        services.sar_send(acting_user=user, sar=sar, **data)
                    else:
                        services.sar_withdraw(acting_user=user, sar=sar, **data)
                    return redirect("dataprotection:sar", sar_id=sar.pk)
            elif action == "assemble":
                services.sar_assemble(acting_user=user, sar=sar)
                return redirect("dataprotection:sar", sar_id=sar.pk)
            elif action == "accept-all":
                services.sar_redactions_accept_all(acting_user=user, sar=sar)
                return redirect("dataprotection:sar", sar_id=sar.pk)
            elif action == "produce":
                services.sar_bundle_produce(acting_user=user, sar=sar)
                messages.success(request, "Bundle produced")
                return redirect("dataprotection:sar", sar_id=sar.pk)
            else:
                raise Http404
        except ServiceError as exc:
            if action in forms:
                add_service_error(forms[action], exc)
            else:
                error = str(exc)
    review = selectors.sar_review(sar=sar)
    return render(request, "dataprotection/sar_detail.html",
                  {"sar": sar, "review": review, "forms": forms, "error": error, "action": action})


@require_POST
def sar_redaction(request: HttpRequest, sar_id: int, redaction_id: int) -> HttpResponse:
    user = current_user(request)
    sar = selectors.sar_for_user_or_404(user, sar_id)
    row = selectors.sar_redaction_or_404(user=user, sar=sar, redaction_id=redaction_id)
    try:
        services.sar_redaction_decide(acting_user=user, redaction_row=row, accept=request.POST.get("decision") == "accept",
                                      note=request.POST.get("note", ""))
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect(f"{request.build_absolute_uri(request.path).rsplit('/redactions/', 1)[0]}/#redaction-{row.pk}")


def sar_download(request: HttpRequest, sar_id: int, copy: str) -> HttpResponse:
    user = current_user(request)
    sar = selectors.sar_for_user_or_404(user, sar_id)
    content, content_type, name = selectors.sar_bundle_download(user=user, sar=sar, copy=copy)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_http_methods(["GET", "POST"])
def disclosure_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = dp_forms.DisclosureForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        reference = data.pop("reference")
        person = selectors.person_for_audit(reference=reference) if reference else None
        if reference and person is None:
            form.add_error("reference", "No person has this hub reference")
        else:
            try:
                services.disclosure_record(acting_user=user, person=person, **data)
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "Disclosure recorded")
                return redirect("dataprotection:disclosures")
    return render(request, "dataprotection/disclosures.html",
                  {"disclosures": selectors.disclosures(user=user), "shared": selectors.shared_elsewhere(user=user),
                   "form": form})


# --- sealed records and break-glass -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sealed_list(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    seals = selectors.sealed_records(user=user)
    form = dp_forms.SealForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        person = selectors.person_for_audit(reference=form.cleaned_data["reference"])
        named = _named_users(form)
        if person is None:
            form.add_error("reference", "No person has this hub reference")
        elif named is not None:
            try:
                sealing.record_seal(acting_user=user, person=person, reason=form.cleaned_data["reason"],
                                    named_users=named)
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{person.reference} sealed")
                return redirect("dataprotection:sealed")
    uses = selectors.break_glass_uses(user=user)
    return render(request, "dataprotection/sealed.html", {"seals": seals, "form": form, "uses": uses})


def _named_users(form: forms.Form) -> list[User] | None:
    """The users a seal form names (usernames separated by commas), or None with the form's error when
    any of them is not someone who can sign in to the hub."""
    names = {n.strip() for n in form.cleaned_data["named"].split(",") if n.strip()}
    named = list(User.objects.filter(username__in=names, is_active=True).order_by("username"))
    unknown = sorted(names - {u.username for u in named})
    if unknown:
        form.add_error("named", f"No one who can sign in to the hub has the username {', '.join(unknown)}")
        return None
    return named


def _as_shown_now(form: forms.Form, request: HttpRequest, **shown: str) -> None:
    """A refused form, as sent but carrying what the page now shows (the other officer's review, who is
    named): sending it again is a decision made with it."""
    seen = request.POST.copy()
    for name, value in shown.items():
        seen[name] = value
    form.data = seen


@require_http_methods(["GET", "POST"])
def seal_detail(request: HttpRequest, seal_id: int) -> HttpResponse:
    user = current_user(request)
    seal = selectors.seal_for_user_or_404(user, seal_id)
    naming = request.method == "POST" and request.POST.get("change") == "named"
    current = sealing.named_seen(seal)
    names_form = dp_forms.SealNamesForm(request.POST if naming else None,
                                        initial={"named": current, "named_before": current})
    reviews_seen = seal.reviews.count()
    form = dp_forms.SealReviewForm(_posted(request) if not naming else None,
                                   initial={"based_on": reviews_seen, "named_before": current})
    if naming and names_form.is_valid():
        named = _named_users(names_form)
        if named is not None:
            try:
                sealing.seal_name(acting_user=user, seal=seal, named_users=named,
                                  reason=names_form.cleaned_data["reason"],
                                  named_before=names_form.cleaned_data["named_before"] or None)
            except ServiceError as exc:
                add_service_error(names_form, exc)
                _as_shown_now(names_form, request, named_before=sealing.named_seen(seal))
            else:
                messages.success(request, "The people named on the seal are changed")
                return redirect("dataprotection:seal", seal.pk)
    if request.method == "POST" and not naming and form.is_valid():
        try:
            sealing.seal_review(acting_user=user, seal=seal, keep_sealed=form.cleaned_data["keep_sealed"] == "yes",
                                note=form.cleaned_data["note"], based_on=form.cleaned_data["based_on"],
                                named_before=form.cleaned_data["named_before"] or None)
        except ServiceError as exc:
            add_service_error(form, exc)
            seal.refresh_from_db()
            _as_shown_now(form, request, based_on=str(seal.reviews.count()), named_before=sealing.named_seen(seal))
        else:
            messages.success(request, "Review recorded")
            return redirect("dataprotection:sealed")
    return render(request, "dataprotection/seal_detail.html",
                  {"seal": seal, "form": form, "names_form": names_form, "summary_forms": [names_form, form],
                   "named": list(seal.named_users.select_related("agency").order_by("username")), "reviews": list(seal.reviews.select_related("reviewed_by")),
                   "uses": list(seal.break_glass.select_related("user__agency").order_by("-at"))})


@require_http_methods(["GET", "POST"])
def break_glass_review(request: HttpRequest, use_id: int) -> HttpResponse:
    user = current_user(request)
    require(user, Capability.RECORDS_MANAGEMENT)
    use = BreakGlassAccess.objects.select_related("seal__person", "user__agency").filter(pk=use_id).first()
    if use is None:
        raise Http404
    form = dp_forms.BreakGlassReviewForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            sealing.break_glass_review(acting_user=user, use=use, justified=form.cleaned_data["justified"] == "yes",
                                       note=form.cleaned_data["note"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Break-glass use reviewed")
            return redirect("dataprotection:overview")
    return render(request, "dataprotection/break_glass_review.html", {"use": use, "form": form})


@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    """For casework staff: open a record that is restricted, giving the reason. The answer is the same
    whether or not the record is sealed: the person's page, which opens if they may see it."""
    user = current_user(request)
    require(user, Capability.VIEW_PERSON)
    form = dp_forms.BreakGlassForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        number = typed_reference(form.cleaned_data["reference"])
        if number is None:
            form.add_error("reference", "Enter a hub reference, like P0000123")
        else:
            try:
                sealing.break_glass(acting_user=user, person_id=number, reason=form.cleaned_data["reason"])
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                return redirect("people:detail", person_id=number)
    return render(request, "dataprotection/break_glass.html", {"form": form})


# --- retention and legal holds --------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def retention_page(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = dp_forms.HoldForm(_posted(request))
    if request.method == "POST" and request.POST.get("action") == "hold" and form.is_valid():
        person = selectors.person_for_audit(reference=form.cleaned_data["reference"])
        if person is None:
            form.add_error("reference", "No person has this hub reference")
        else:
            try:
                retention.legal_hold_place(acting_user=user, person=person, reason=form.cleaned_data["reason"],
                                           form_token=token_of(form))
            except AlreadySent as exc:  # a double click: the first send placed it, and the list shows it
                messages.info(request, str(exc))
                return redirect("dataprotection:retention")
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"Legal hold placed on {person.reference}")
                return redirect("dataprotection:retention")
    elif request.method == "POST" and request.POST.get("action") == "release":
        if has(user, Capability.RECORDS_MANAGEMENT) and request.POST.get("reason", "").strip():
            hold_id = number_or_zero(request.POST.get("hold"))
            hold = next((h for h in retention.disposal_review(user=user).holds if h.pk == hold_id), None)
            asked = confirm_first(request, Confirmation(
                question="Are you sure you want to release this legal hold?",
                caption=f"Legal hold on {hold.person.reference}",
                confirm_label="Yes, release the hold",
                cancel_url=reverse("dataprotection:retention"),
                cancel_label="No, go back to retention",
                answers=[("Why the hold was placed", hold.reason),
                         ("Why release it", request.POST.get("reason", "").strip())],
                happens=["records about the person can be disposed of again once they are due",
                         "your name and reason are kept with the hold and in the audit trail"],
                warning="Records disposed of after the hold is released cannot be brought back.",
            )) if hold is not None else None
            if asked is not None:
                return asked
        try:
            retention.legal_hold_release(acting_user=user, hold_id=number_or_zero(request.POST.get("hold")),
                                         reason=request.POST.get("reason", ""))
        except ServiceError as exc:
            messages.error(request, str(exc))
        return redirect("dataprotection:retention")
    elif request.method == "POST" and request.POST.get("action") == "dispose":
        if has(user, Capability.RECORDS_MANAGEMENT):
            wanted = (number_or_zero(request.POST.get("person")), request.POST.get("kind", ""))
            due = next((d for d in retention.disposal_review(user=user).due
                        if (d.person.pk, d.kind) == wanted and not d.held), None)
            asked = confirm_first(request, Confirmation(
                question="Are you sure you want to dispose of these records?",
                caption=f"{due.kind_label} about {due.person.reference}",
                confirm_label="Yes, dispose of the records",
                cancel_url=reverse("dataprotection:retention"),
                cancel_label="No, go back to retention",
                answers=[("Records", due.kind_label), ("What you checked", request.POST.get("note", ""))],
                happens=["the records are deleted from the hub now",
                         "what was disposed of, by whom and when is recorded; the audit trail keeps its rows"],
                warning="You cannot undo this. Disposed records cannot be brought back.",
            )) if due is not None else None
            if asked is not None:
                return asked
        try:
            disposal = retention.disposal_confirm(
                acting_user=user, person_id=number_or_zero(request.POST.get("person")),
                kind=request.POST.get("kind", ""), note=request.POST.get("note", ""),
            )
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Disposed of {sum(disposal.what.values())} records; the audit trail keeps its rows")
        return redirect("dataprotection:retention")
    review = retention.disposal_review(user=user)
    return render(request, "dataprotection/retention.html", {"review": review, "form": form})
