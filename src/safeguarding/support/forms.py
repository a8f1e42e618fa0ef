"""The support room's forms, rendered by the one GOV.UK form renderer."""

from __future__ import annotations

from django import forms

from safeguarding.core.forms import GovukDateField
from safeguarding.core.lists import ListFilters
from safeguarding.support.models import (
    ContactKind,
    GoalStatus,
    PlanStage,
    ReferralOutcome,
    ServiceKind,
    ServiceStatus,
    Theme,
    VoiceKind,
)


def _date(label: str, *, required_message: str, help_text: str = "For example, 27 3 2026") -> GovukDateField:
    return GovukDateField(label=label, help_text=help_text, error_messages={"required": required_message})


def _text(label: str, *, required: str | None = None, help_text: str = "", max_length: int = 4000) -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=forms.Textarea,
        max_length=max_length,
        required=required is not None,
        help_text=help_text,
        error_messages={"required": required} if required else {},
    )


class OpenPlanForm(forms.Form):
    care_leaver = forms.BooleanField(
        label="They are a care leaver", required=False,
        help_text="Leaving-care support continues to their 25th birthday.",
    )
    abused_as_child = forms.BooleanField(label="An adult supported for abuse they suffered as a child", required=False)


class AdultSurvivorForm(forms.Form):
    given_name = forms.CharField(label="Given name", max_length=200, required=False)
    family_name = forms.CharField(label="Family name", max_length=200, required=False)
    date_of_birth = _date("Date of birth", required_message="Enter their date of birth", help_text="For example, 4 7 1992")
    address = forms.CharField(label="Address (optional)", max_length=300, required=False)
    postcode = forms.CharField(label="Postcode (optional)", max_length=10, required=False)
    care_leaver = forms.BooleanField(
        label="They are a care leaver", required=False,
        help_text="Leaving-care support continues to their 25th birthday.",
    )


class ServiceForm(forms.Form):
    kind = forms.ChoiceField(label="Service", choices=ServiceKind.choices, widget=forms.RadioSelect,
                             error_messages={"required": "Choose the service"})
    status = forms.ChoiceField(label="Taken up?", choices=ServiceStatus.choices, widget=forms.RadioSelect,
                               error_messages={"required": "Say whether the service was taken up"})
    offered_on = _date("When was it offered?", required_message="Enter the date it was offered")
    provider = forms.CharField(label="Provider (optional)", max_length=200, required=False)
    note = _text("Notes (optional)")


class ReferralForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of support", choices=ServiceKind.choices, widget=forms.RadioSelect,
                             error_messages={"required": "Choose the kind of support"})
    provider = forms.CharField(label="Provider", max_length=200,
                               error_messages={"required": "Enter the provider the survivor was referred to"})
    referred_on = _date("Date of the referral", required_message="Enter the date of the referral")
    note = _text("Notes (optional)")


class ReferralOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label="What came of the referral?",
        choices=[c for c in ReferralOutcome.choices if c[0] != ReferralOutcome.AWAITING],
        widget=forms.RadioSelect, error_messages={"required": "Choose what came of the referral"},
    )
    outcome_on = _date("Date", required_message="Enter the date")
    note = _text("Notes (optional)")


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of contact", choices=ContactKind.choices, widget=forms.RadioSelect,
                             error_messages={"required": "Choose the kind of contact"})
    happened_on = _date("Date", required_message="Enter the date of the contact")
    note = _text("What happened (optional)")


class GoalForm(forms.Form):
    description = _text("The goal", required="Describe the goal, in the survivor's words where you can",
                        help_text="In the survivor's words where you can.")
    set_on = _date("When was it set?", required_message="Enter the date the goal was set")


class GoalProgressForm(forms.Form):
    status = forms.ChoiceField(label="How is it going?", choices=GoalStatus.choices, widget=forms.RadioSelect,
                               error_messages={"required": "Say how the goal is going"})
    note = _text("What has happened", required="Say how the goal is going")
    recorded_on = _date("Date", required_message="Enter the date")


class WordsForm(forms.Form):
    kind = forms.ChoiceField(label="What are the words about?", choices=VoiceKind.choices, widget=forms.RadioSelect,
                             error_messages={"required": "Choose what the words are about"})
    words = _text("Their words", required="Write down what they said, in their words",
                  help_text="Exactly as they said them. They will not be edited, and are never redacted from their own records.")
    said_on = _date("When did they say it?", required_message="Enter the date they said it")


class SharingWishForm(forms.Form):
    what = _text("What", required="Say what the survivor wants shared, or not shared")
    with_whom = forms.CharField(label="With whom", max_length=300, error_messages={"required": "Say with whom"})
    share = forms.ChoiceField(
        label="Do they want it shared?", choices=[("yes", "Yes, share it"), ("no", "No, do not share it")],
        widget=forms.RadioSelect, error_messages={"required": "Say whether they want it shared"},
    )
    recorded_on = _date("When did they say so?", required_message="Enter the date they said so")


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="How did they rate the service?", coerce=int,
        choices=[(5, "5: very good"), (4, "4: good"), (3, "3: neither good nor poor"), (2, "2: poor"),
                 (1, "1: very poor")],
        widget=forms.RadioSelect, error_messages={"required": "Choose a rating from 1 to 5"},
    )
    words = _text("What they said (optional)")
    given_on = _date("Date", required_message="Enter the date of the feedback")


class WithdrawConsentForm(forms.Form):
    their_words = forms.CharField(
        label="What they said (optional)", widget=forms.Textarea, required=False, max_length=4000,
        help_text="The partnership stops reading the summary at once; it stays on this plan, marked withdrawn.",
    )


class LivedExperienceForm(forms.Form):
    summary = _text(
        "Summary", required="Write the summary",
        help_text="Anonymised: no names, places or dates that could lead back to them. The partnership reads these together.",
    )
    themes = forms.MultipleChoiceField(label="Themes", choices=Theme.choices, widget=forms.CheckboxSelectMultiple,
                                       required=False)
    consent_given = forms.BooleanField(
        label="The survivor agrees to this summary being shared with the partnership", required=False
    )
    written_on = _date("Date", required_message="Enter the date")


class TransitionForm(forms.Form):
    note = _text("What changes for them, and who supports them now",
                 required="Say what changes for the survivor, and who supports them now")


class CloseForm(forms.Form):
    reason = _text("Why is the plan closing?", required="Give the reason for closing the plan",
                   help_text="A plan does not close because the survivor turns 18: record the transition instead.")


class ContactWishForm(forms.Form):
    no_contact = forms.ChoiceField(
        label="Do they want to be contacted?",
        choices=[("no", "No: no letters, no e-mails, no calls"), ("yes", "Yes, they may be contacted")],
        widget=forms.RadioSelect, error_messages={"required": "Say whether they want to be contacted"},
    )
    their_words = _text("In their words (optional)")


class SupportPlanFilters(ListFilters):
    """The support plans list's filters (issue 16)."""

    show = forms.ChoiceField(label="Plans", required=False, widget=forms.RadioSelect,
                             choices=[("open", "Open"), ("all", "Open and closed")])
    stage = forms.MultipleChoiceField(label="Stage", required=False, choices=PlanStage.choices,
                                      widget=forms.CheckboxSelectMultiple)
    mine = forms.BooleanField(label="Only plans I lead", required=False)
    survivor = forms.CharField(label="Survivor", required=False, max_length=100,
                               help_text="Name or hub reference, for example P0000239")
