"""Forms of the Austin continuum page: one radio group per dimension (more accessible than a slider)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safepact.formation.models import AustinStage
from safepact.formation.selectors.austin import DIMENSIONS, POSITION_LABELS, POSITIONS, summary_text

POSITION_CHOICES = [(str(p), POSITION_LABELS[p]) for p in POSITIONS]


class AustinProfileForm(forms.Form):
    """The coordinator's profile: all seven dimensions, each with the partners' input as help text."""

    declared_stage = forms.ChoiceField(
        label=_("Declared stage"), choices=AustinStage.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )

    def __init__(self, *args, summary: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        fields = {}
        for dimension in DIMENSIONS:
            fields[dimension.value] = forms.TypedChoiceField(
                label=dimension.label,
                choices=POSITION_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                help_text=summary_text(summary[dimension.value]) if summary else "",
                error_messages={"required": _("Choose a position for this dimension.")},
            )
        # dimensions first, then the stage and the note
        fields.update(self.fields)
        self.fields = fields

    def dimension_fields(self):
        return [self[d.value] for d in DIMENSIONS]

    def scores(self) -> dict:
        return {d.value: self.cleaned_data[d.value] for d in DIMENSIONS}


class AustinInputForm(forms.Form):
    """A partner's input: a position (or no view) and a comment per dimension."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for dimension in DIMENSIONS:
            self.fields[dimension.value] = forms.TypedChoiceField(
                label=dimension.label,
                choices=[("", _("No view")), *POSITION_CHOICES],
                coerce=int,
                empty_value=None,
                required=False,
            )
            self.fields[f"comment_{dimension.value}"] = forms.CharField(
                label=_("Comment on “%(dimension)s”") % {"dimension": dimension.label},
                max_length=2000,
                required=False,
            )

    def rows(self):
        return [{"position": self[d.value], "comment": self[f"comment_{d.value}"]} for d in DIMENSIONS]

    def positions(self) -> dict:
        return {d.value: self.cleaned_data.get(d.value) for d in DIMENSIONS}

    def comments(self) -> dict:
        return {d.value: self.cleaned_data.get(f"comment_{d.value}", "") for d in DIMENSIONS}
