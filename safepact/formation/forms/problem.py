"""Forms of the problem statement pages: they parse input; the services validate the rules and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safepact.lib.tlp import TLP


class ProblemStatementForm(forms.Form):
    nature = forms.CharField(
        label=_("Nature of the problem"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What happens, where and to whom. Plain text; line breaks are kept."),
    )
    causes = forms.CharField(
        label=_("Causes"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Why it happens: opportunities, offenders, what partners do or leave undone."),
    )
    tlp = forms.ChoiceField(
        label=_("TLP label"),
        choices=TLP.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Who may read the statement. TLP:GREEN: the partnership's members. TLP:CLEAR: anyone, also "
            "candidates through a briefing link. TLP:AMBER: the recipient organisations below, which may "
            "include candidates. TLP:RED: the recipient people below."
        ),
    )
    recipient_organisations = forms.ModelMultipleChoiceField(
        label=_("Recipient organisations (for TLP:AMBER and TLP:AMBER+STRICT)"),
        queryset=None,
        required=False,
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
    )
    recipient_people = forms.ModelMultipleChoiceField(
        label=_("Recipient people (for TLP:RED)"),
        queryset=None,
        required=False,
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, organisations, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient_organisations"].queryset = organisations
        self.fields["recipient_people"].queryset = people
        self.fields["recipient_people"].label_from_instance = lambda user: f"{user} ({user.email})"


class FigureForm(forms.Form):
    label = forms.CharField(
        label=_("What is counted"),
        max_length=200,
        help_text=_("For example: reported burglaries in Sofielund."),
    )
    value = forms.DecimalField(label=_("Value"), max_digits=14, decimal_places=2, localize=True)
    unit = forms.CharField(
        label=_("Unit"),
        max_length=50,
        required=False,
        help_text=_("Optional, for example: per year, EUR, %."),
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=300,
        help_text=_("Where the figure comes from, for example: police statistics."),
    )
    as_of = forms.DateField(
        label=_("Date of the figure"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The date or the end of the period the figure describes."),
    )


class BriefingForm(forms.Form):
    candidate = forms.ModelChoiceField(
        label=_("Candidate partner"),
        queryset=None,
        to_field_name="code",
        help_text=_(
            "The briefing shows the problem statement only if its TLP label allows sharing with them."
        ),
    )
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_(
            "A personal link, valid for 30 days, is sent here; the email holds nothing of the statement."
        ),
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["candidate"].queryset = candidates
        self.fields["candidate"].label_from_instance = lambda c: (
            f"{c.organisation.name} ({c.get_stage_display()})"
        )
