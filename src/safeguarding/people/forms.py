"""The search form used to find a person (by casework staff, and by referrers raising a concern)."""

from __future__ import annotations

from django import forms

from safeguarding.core.forms import GovukDateField


class PersonSearchForm(forms.Form):
    given_name = forms.CharField(label="First name", required=False, max_length=100)
    family_name = forms.CharField(label="Last name", required=False, max_length=100)
    date_of_birth = GovukDateField(label="Date of birth", required=False, help_text="For example, 27 3 2010")
    nhs_number = forms.CharField(label="NHS number", required=False, max_length=20, help_text="10 digits")
    upn = forms.CharField(label="Unique pupil number", required=False, max_length=20)
    postcode = forms.CharField(label="Postcode", required=False, max_length=10)
    address = forms.CharField(
        label="Address", required=False, max_length=200, help_text="Part of the address, for example Fern Road"
    )
