"""Forms of the objectives pages: they parse input; the services validate the rules and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safepact.formation.models import Benefit, ObjectiveStatus
from safepact.formation.selectors.objectives import FOCUS_LIMIT_MAX, FOCUS_LIMIT_MIN


class ObjectiveForm(forms.Form):
    title = forms.CharField(label=_("Objective"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )
    indicator = forms.CharField(
        label=_("Indicator"),
        max_length=300,
        help_text=_("How you will know it is achieved, e.g. “a fifth fewer burglaries than in 2024”."),
    )
    target_date = forms.DateField(
        label=_("Target date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ObjectiveCreateForm(ObjectiveForm):
    priority = forms.IntegerField(
        label=_("Priority"),
        min_value=1,
        required=False,
        help_text=_("1 is the highest. Leave empty to add it after the other active objectives."),
    )


class ObjectiveMoveForm(forms.Form):
    priority = forms.IntegerField(label=_("Priority"), min_value=1)


class ObjectiveStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ObjectiveStatus.choices)


class FocusLimitForm(forms.Form):
    focus_limit = forms.IntegerField(
        label=_("Focus limit"),
        min_value=FOCUS_LIMIT_MIN,
        max_value=FOCUS_LIMIT_MAX,
        help_text=_(
            "The most active objectives the partnership means to pursue at once (from 1 to 20). "
            "More is allowed, with a warning."
        ),
    )


class MotivationForm(forms.Form):
    economic = forms.CharField(
        label=_("Economic motives"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
        help_text=_("For example: fewer losses from theft, lower insurance premiums."),
    )
    societal = forms.CharField(
        label=_("Societal motives"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
        help_text=_("For example: a safer neighbourhood, the issue is on the political agenda."),
    )
    legislative = forms.CharField(
        label=_("Legislative motives"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=5000,
        help_text=_("For example: a new law requires public-private cooperation."),
    )
    benefits = forms.MultipleChoiceField(
        label=_("Expected benefits and incentives"),
        choices=Benefit.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    benefits_other = forms.CharField(
        label=_("Other benefit"),
        max_length=200,
        required=False,
        help_text=_("Needed when you tick “Other”."),
    )


class CommitmentsForm(forms.Form):
    """One checkbox (and a contribution note) per active objective."""

    def __init__(self, *args, objectives, committed: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.objectives = list(objectives)
        for objective in self.objectives:
            key = str(objective.code)
            self.fields[f"commit_{key}"] = forms.BooleanField(
                label=_("Commit to “%(title)s”") % {"title": objective.title},
                required=False,
                initial=objective.pk in committed,
            )
            self.fields[f"note_{key}"] = forms.CharField(
                label=_("Contribution to “%(title)s”") % {"title": objective.title},
                max_length=300,
                required=False,
                initial=committed.get(objective.pk, ""),
                help_text=_("Optional: what your organisation brings (people, money, data, premises)."),
            )

    def rows(self):
        return [
            {"objective": o, "commit": self[f"commit_{o.code}"], "note": self[f"note_{o.code}"]}
            for o in self.objectives
        ]

    def chosen(self) -> dict:
        data = self.cleaned_data
        return {o: data.get(f"note_{o.code}", "") for o in self.objectives if data.get(f"commit_{o.code}")}
