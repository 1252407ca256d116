"""Forms of the structure pages. They parse input; the services validate the rules and write.

Choices (parent bodies, partners, people) are computed once per page by the view and passed in,
so a page with many bodies and forms costs the same number of queries as one with two.
"""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from safepact.formation.models import Level, Raci

NO_ONE = ("", _("— nobody named —"))


class BodyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=200, help_text=_("E.g. Steering board, Working group retail.")
    )
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices)
    parent = forms.ChoiceField(label=_("Reports to"), required=False)
    mandate = forms.CharField(
        label=_("Mandate"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What this body decides or does, and on whose behalf."),
    )
    position = forms.IntegerField(
        label=_("Order within its level"),
        required=False,
        min_value=0,
        max_value=100000,
        help_text=_("Lower numbers come first. Leave empty to add it at the end."),
    )

    def __init__(self, *args, parents: dict, **kwargs):
        """``parents`` maps a body code (str) to the body it may report to."""
        super().__init__(*args, **kwargs)
        self.parents = parents
        self.fields["parent"].choices = [("", _("— no one (top of the structure) —"))] + [
            (code, body.name) for code, body in parents.items()
        ]

    def clean_parent(self):
        code = self.cleaned_data["parent"]
        return self.parents.get(code) if code else None


class SeatForm(forms.Form):
    partner = forms.ChoiceField(label=_("Organisation"))
    person = forms.ChoiceField(
        label=_("Person"),
        required=False,
        help_text=_("Optional: a member of the partnership on behalf of that organisation."),
    )
    role_title = forms.CharField(
        label=_("Role"), max_length=200, help_text=_("E.g. Chair, Secretary, Member.")
    )
    mandate = forms.CharField(label=_("Mandate"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    hours_per_month = forms.DecimalField(
        label=_("Hours per month"),
        min_value=Decimal(0),
        max_value=Decimal(200),
        decimal_places=1,
        max_digits=4,
        localize=True,
        initial=Decimal(0),
        required=False,
        help_text=_("The time this role is expected to take, 0 to 200."),
    )

    def __init__(self, *args, partners: dict, people: dict, person_groups: list, **kwargs):
        """``partners`` maps a partner code to the partner, ``people`` a person code to the person;
        ``person_groups`` are the grouped choices (one group per organisation)."""
        super().__init__(*args, **kwargs)
        self.partners, self.people = partners, people
        self.fields["partner"].choices = [("", _("— choose —"))] + [
            (code, partner.organisation.name) for code, partner in partners.items()
        ]
        self.fields["person"].choices = [NO_ONE, *person_groups]

    def clean_partner(self):
        return self.partners[self.cleaned_data["partner"]]

    def clean_person(self):
        code = self.cleaned_data["person"]
        return self.people.get(code) if code else None

    def clean_hours_per_month(self):
        value = self.cleaned_data["hours_per_month"]
        return Decimal(0) if value is None else value


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    position = forms.IntegerField(
        label=_("Order"),
        required=False,
        min_value=0,
        max_value=100000,
        help_text=_("Lower numbers come first. Leave empty to add it at the end."),
    )


RACI_CHOICES = [("", "—"), *Raci.choices]


class CellForm(forms.Form):
    raci = forms.ChoiceField(label=_("Role"), choices=RACI_CHOICES, required=False)
