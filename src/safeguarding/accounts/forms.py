"""Forms for signing in and for administrators' pages."""

from __future__ import annotations

from django import forms

from safeguarding.accounts.models import Agency, AgencyKind, Role


class SignInForm(forms.Form):
    username = forms.CharField(
        label="Username",
        widget=forms.TextInput(attrs={"autocomplete": "username", "spellcheck": "false"}),
        error_messages={"required": "Enter your username"},
    )
    password = forms.CharField(
        label="Password",
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
    role = forms.ChoiceField(label="Role", choices=Role.choices, widget=forms.RadioSelect)
    password = forms.CharField(
        label="Temporary password",
        help_text="At least 12 characters. Give it to the person by a separate, secure route.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        required=False,
    )
    is_active = forms.BooleanField(label="Can sign in", required=False, initial=True)
