"""Forms of the partner directory: they parse input; the services validate the rules and write."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from safepact.accounts.models import OrganisationKind, Sector
from safepact.formation.models import Capability
from safepact.partnerships.models import CrimeArea

ANY = ("", _("Any"))


class DirectorySearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Words in the name, description, regions, offers, capabilities or crime areas."),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[ANY, *OrganisationKind.choices])
    sector = forms.ChoiceField(label=_("Sector"), required=False, choices=[ANY, *Sector.choices])
    country = LazyTypedChoiceField(label=_("Country"), required=False, choices=[ANY, *countries])
    crime_area = forms.ChoiceField(label=_("Crime area"), required=False, choices=[ANY, *CrimeArea.choices])
    capability = forms.ChoiceField(label=_("Capability"), required=False, choices=[ANY, *Capability.choices])

    FILTERS = ("kind", "sector", "country", "crime_area", "capability")

    def filters(self) -> dict:
        data = self.cleaned_data
        return {"text": data.get("q") or "", **{name: data.get(name) or "" for name in self.FILTERS}}


class DirectoryProfileForm(forms.Form):
    summary = forms.CharField(
        label=_("Who we are"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
        help_text=_("A few sentences about your organisation. Needed before you publish."),
    )
    regions = forms.CharField(
        label=_("Regions served"),
        required=False,
        max_length=300,
        help_text=_("Cities, municipalities or regions, separated by commas."),
    )
    crime_areas = forms.MultipleChoiceField(
        label=_("Crime areas we work on"),
        choices=CrimeArea.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    capabilities = forms.MultipleChoiceField(
        label=_("Capabilities"),
        choices=Capability.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    offers = forms.CharField(
        label=_("What we offer a partnership"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=5000,
    )
    contact_role = forms.CharField(
        label=_("Contact role"),
        required=False,
        max_length=200,
        help_text=_("A role, not a person's name: e.g. crime prevention officer."),
    )


class PublishForm(forms.Form):
    published = forms.TypedChoiceField(
        label=_("Published"),
        choices=[("1", _("Publish")), ("0", _("Unpublish"))],
        coerce=lambda value: value == "1",
    )
