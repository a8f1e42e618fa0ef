"""Forms for signing in and for administrators' pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_ipv46_address

from safeguarding.accounts.access import CAPABILITY_LABELS, NOT_FOR_OWN_ROLES, assignable_roles
from safeguarding.accounts.models import Agency, AgencyKind
from safeguarding.core.lists import ListFilters


class SignInForm(forms.Form):
    username = forms.CharField(
        label="Username",
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
        error_messages={"required": "Enter your username", "max_length": "Enter a username of 150 characters or fewer"},
    )
    password = forms.CharField(
        strip=False,  # a password is kept exactly as typed, spaces at either end included
        label="Password",
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password"},
    )


class AgencyForm(forms.Form):
    code = forms.SlugField(label="Code", help_text="Short, lower case, for example east-police", max_length=60)
    name = forms.CharField(label="Name", max_length=200)
    kind = forms.ChoiceField(label="Kind of agency", choices=AgencyKind.choices, widget=forms.RadioSelect)
    is_active = forms.BooleanField(label="Active", required=False, initial=True)


class UserForm(forms.Form):
    username = forms.CharField(label="Username", max_length=150)
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    email = forms.EmailField(label="Email address", required=False)
    job_title = forms.CharField(label="Job title", required=False, max_length=200)
    agency = forms.ModelChoiceField(
        label="Agency", queryset=Agency.objects.filter(is_active=True), empty_label="Choose an agency"
    )
    role = forms.ChoiceField(label="Role", choices=assignable_roles, widget=forms.RadioSelect)
    is_active = forms.BooleanField(label="Can sign in", required=False, initial=True)
    reason = forms.CharField(
        label="Reason for a change of access",
        help_text="Raising someone's access (a new account, a role with more capabilities, another agency) "
        "waits for a second administrator, who reads this",
        max_length=500,
        required=False,
        widget=forms.Textarea,
    )


class SecurityCodeForm(forms.Form):
    token = forms.CharField(
        label="Security code",
        help_text="The 6-digit code your authenticator app shows now, or one of your backup codes",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "class": "govuk-input--width-10"}
        ),
        error_messages={"required": "Enter the security code"},
    )


class AuthenticatorConfirmForm(forms.Form):
    token = forms.CharField(
        label="Code from your app",
        help_text="After scanning, your app shows a 6-digit code. Enter it to finish setting up",
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false", "class": "govuk-input--width-10"}
        ),
        error_messages={"required": "Enter the 6-digit code your app shows"},
    )


def _password_field(label: str, required: str, *, autocomplete: str = "new-password", help_text: str = "") -> forms.CharField:
    return forms.CharField(
        strip=False,  # a password is kept exactly as typed, spaces at either end included
        label=label,
        help_text=help_text,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
        error_messages={"required": required},
    )


_STRONG_ENOUGH = "At least 12 characters and hard to guess: 3 or more unrelated words work well"


class _NewPasswordForm(forms.Form):
    """A new password, typed twice; the two must match (its strength is checked where it is saved)."""

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password_again") and data["new_password"] != data["new_password_again"]:
            self.add_error("new_password_again", "The passwords do not match")
        return data


class PasswordChangeForm(_NewPasswordForm):
    current_password = _password_field("Current password", "Enter your current password",
                                       autocomplete="current-password")
    new_password = _password_field("New password", "Enter a new password", help_text=_STRONG_ENOUGH)
    new_password_again = _password_field("Confirm new password", "Enter the new password again")


class SetUpPasswordForm(_NewPasswordForm):
    """A person chooses their own password through the set-up link e-mailed to them."""

    new_password = _password_field("Password", "Enter a password", help_text=_STRONG_ENOUGH)
    new_password_again = _password_field("Confirm password", "Enter the password again")


class TemporaryPasswordForm(forms.Form):
    password = _password_field(
        "Temporary password", "Enter a temporary password",
        help_text="They must change it when they next sign in. Give it to them by a separate, secure route.")


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        widget=forms.Textarea,
        error_messages={"required": "Enter a reason"},
    )


class AccessDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=[("approve", "Approve: apply the change now"), ("refuse", "Refuse: nothing changes")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to approve or refuse the change"},
    )
    reason = forms.CharField(
        label="Reason",
        help_text="Needed to refuse",
        max_length=500,
        required=False,
        widget=forms.Textarea,
    )
    # Where the page said approving it e-mails a set-up link ("" for nowhere): the approval is bound to it.
    set_up_link_to = forms.CharField(required=False, widget=forms.HiddenInput, max_length=254)


class UnlockForm(forms.Form):
    kind = forms.ChoiceField(choices=[("username", "username"), ("address", "address")], widget=forms.HiddenInput)
    value = forms.CharField(max_length=255, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # The lockout list sends the address it shows; anything else is no address a lockout could hold
        # (and PostgreSQL refuses to compare it with one).
        if data.get("kind") == "address" and data.get("value"):
            try:
                validate_ipv46_address(data["value"])
            except ValidationError:
                self.add_error("value", "Enter an address like 192.0.2.10")
        return data


# --- administrators' lists: filters (issue 16) -----------------------------------------------------


class UserFilters(ListFilters):
    name = forms.CharField(label="Name or username", required=False, max_length=150)
    agency = forms.TypedChoiceField(label="Agency", required=False, coerce=int, empty_value=None)
    role = forms.MultipleChoiceField(label="Role", required=False, choices=assignable_roles,
                                     widget=forms.CheckboxSelectMultiple)
    status = forms.ChoiceField(label="Status", required=False, widget=forms.RadioSelect,
                               choices=[("active", "Can sign in"), ("inactive", "Cannot sign in"),
                                        ("pending", "Change awaiting approval")])

    def __init__(self, *args: Any, agencies: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", "Any agency"), *(agencies or [])]  # type: ignore[attr-defined]


class AgencyFilters(ListFilters):
    kind = forms.MultipleChoiceField(label="Kind of agency", required=False, choices=AgencyKind.choices,
                                     widget=forms.CheckboxSelectMultiple)
    status = forms.ChoiceField(label="Status", required=False, widget=forms.RadioSelect,
                               choices=[("active", "Active"), ("inactive", "Inactive")])


class CustomRoleForm(forms.Form):
    name = forms.CharField(label="Name of the role", max_length=100,
                           help_text="As the partnership calls it, for example \"Youth justice worker\"")
    description = forms.CharField(label="What the role is for (optional)", required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    capabilities = forms.MultipleChoiceField(
        label="What its users may do", widget=forms.CheckboxSelectMultiple,
        choices=[(c.value, label) for c, label in CAPABILITY_LABELS.items() if c not in NOT_FOR_OWN_ROLES],
        help_text="What a role grants never changes once it is made. Giving the role to someone who could do "
                  "less waits for a second administrator. Some need another beside them: anything about "
                  "children by name (searching, triage, matches, alerts, screening, plans, meetings, casework, "
                  "running the panel, allocating, support plans) needs the child's single view; work on "
                  "intelligence, places and disruption needs the networks; the strategic group needs the "
                  "escalations page.",
        error_messages={"required": "Choose what the role lets its users do"})
