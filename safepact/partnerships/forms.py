"""Forms of the partnership pages: they parse input; the services validate the rules and write."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from safepact.accounts.models import OrganisationKind
from safepact.partnerships.models import (
    CrimeArea,
    Listing,
    MembershipStatus,
    PartnershipStatus,
    PartnerStatus,
    Role,
)


def apply_service_errors(
    form: forms.Form, exc: ValidationError, rename: dict[str, str] | None = None
) -> None:
    """Put a service's ValidationError next to the fields it names (unknown names go on top of the form)."""
    rename = rename or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.error_dict.items():
        field = rename.get(name, name)
        form.add_error(field if field in form.fields else None, errors)


def error_summary(form: forms.Form) -> str:
    """One line naming each field in error, for a flash message (the inline forms of the overview)."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        for error in errors:
            parts.append(
                _("%(field)s: %(error)s") % {"field": label, "error": error} if label else str(error)
            )
    return " ".join(parts)


class PartnershipForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    purpose = forms.CharField(
        label=_("Purpose"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the partnership wants to achieve, in one or two sentences."),
    )
    crime_areas = forms.MultipleChoiceField(
        label=_("Crime areas"),
        choices=CrimeArea.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    country = LazyTypedChoiceField(label=_("Country"), choices=[("", "---------"), *countries])
    region = forms.CharField(label=_("Region"), max_length=120, required=False)
    municipality = forms.CharField(label=_("Municipality"), max_length=120, required=False)
    listing = forms.ChoiceField(
        label=_("Listing"),
        choices=Listing.choices,
        initial=Listing.PRIVATE,
        widget=forms.RadioSelect,
        help_text=_("A public partnership appears in the public register; a private one does not."),
    )


class PartnershipCreateForm(PartnershipForm):
    organisation = forms.ModelChoiceField(
        label=_("On behalf of"),
        queryset=None,
        empty_label=None,
        to_field_name="code",
        help_text=_("Your organisation becomes the first partner and you its coordinator."),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class PartnershipEditForm(PartnershipForm):
    status = forms.ChoiceField(label=_("Status"), choices=PartnershipStatus.choices)
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        max_length=500,
        help_text=_("Optional; recorded in the audit trail."),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)
    organisation = forms.ModelChoiceField(
        label=_("Existing partner organisation"),
        queryset=None,
        required=False,
        to_field_name="code",
        empty_label=_("(none: a new organisation, below)"),
    )
    new_name = forms.CharField(label=_("Name of the new organisation"), max_length=200, required=False)
    new_kind = forms.ChoiceField(
        label=_("Kind of organisation"),
        choices=[("", "---------"), *OrganisationKind.choices],
        required=False,
    )
    new_country = LazyTypedChoiceField(
        label=_("Country of the organisation"), choices=[("", "---------"), *countries], required=False
    )
    message = forms.CharField(
        label=_("Personal message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text=_("Optional; included in the email."),
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations

    def clean(self):
        data = super().clean()
        organisation, new_name = data.get("organisation"), (data.get("new_name") or "").strip()
        if organisation is not None and new_name:
            self.add_error(
                "organisation", _("Choose an existing organisation or describe a new one, not both.")
            )
        elif organisation is None and not new_name and "organisation" not in self.errors:
            self.add_error(
                "organisation", _("Choose an existing organisation, or give the name of a new one.")
            )
        elif new_name:
            if not data.get("new_kind"):
                self.add_error("new_kind", _("Choose the kind of the new organisation."))
            if not data.get("new_country"):
                self.add_error("new_country", _("Choose the country of the new organisation."))
        return data

    def new_organisation(self) -> dict | None:
        data = self.cleaned_data
        if data.get("organisation") is not None:
            return None
        return {"name": data["new_name"].strip(), "kind": data["new_kind"], "country": data["new_country"]}


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class MemberSignatoryForm(forms.Form):
    """Mark a member as authorised signatory of their organisation (``true``) or take it away (``false``)."""

    is_signatory = forms.TypedChoiceField(
        label=_("Authorised signatory"),
        choices=[("true", _("Yes")), ("false", _("No"))],
        coerce=lambda value: value == "true",
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class MemberStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=MembershipStatus.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def clean(self):
        data = super().clean()
        if data.get("status") == MembershipStatus.SUSPENDED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for suspending a member."))
        return data


class PartnerStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=PartnerStatus.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def clean(self):
        data = super().clean()
        if (
            data.get("status") in (PartnerStatus.SUSPENDED, PartnerStatus.WITHDRAWN)
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Give a reason for suspending or withdrawing a partner."))
        return data


class SignUpForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    password1 = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text=_("At least 10 characters; not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data
