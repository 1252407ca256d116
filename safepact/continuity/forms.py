"""Forms of the continuity pages: they parse input; the services validate the rules and write."""

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from safepact.continuity.models import ActivityStatus, Frequency, ResourceKind

DATE_WIDGET = {"widget": forms.DateInput(attrs={"type": "date"})}
MONTH_WIDGET = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class PartnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.organisation.name


class ActivityChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.title


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("Activity"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    objective = forms.ModelChoiceField(
        label=_("Objective"),
        queryset=None,
        to_field_name="code",
        required=False,
        empty_label=_("(none)"),
        help_text=_("The partnership's objective this activity works towards."),
    )
    owner_partner = PartnerChoiceField(
        label=_("Owner (partner)"), queryset=None, to_field_name="code", empty_label=None
    )
    start_date = forms.DateField(label=_("Start"), **DATE_WIDGET)
    due_date = forms.DateField(label=_("Due"), **DATE_WIDGET)
    depends_on = ActivityChoiceField(
        label=_("Depends on"),
        queryset=None,
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Activities that must be finished before this one can be."),
    )

    def __init__(self, *args, objectives, partners, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objective"].queryset = objectives
        self.fields["owner_partner"].queryset = partners
        self.fields["depends_on"].queryset = activities
        if not activities.exists():
            del self.fields["depends_on"]


class ActivityStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActivityStatus.choices)


class ScheduleForm(forms.Form):
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    starts_on = forms.DateField(
        label=_("First period starts"),
        help_text=_("Later periods follow on without gaps."),
        **DATE_WIDGET,
    )
    days_to_contribute = forms.IntegerField(
        label=_("Days after the period for partners' sections"), min_value=0, max_value=365
    )
    remind_days_before = forms.IntegerField(
        label=_("Remind late partners this many days before the deadline"), min_value=0, max_value=365
    )
    active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("When off, no reports are opened and nobody is reminded."),
    )


class SectionForm(forms.Form):
    activities_done = forms.CharField(
        label=_("Activities done"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    outputs = forms.CharField(label=_("Outputs"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    problems = forms.CharField(label=_("Problems"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    next_steps = forms.CharField(
        label=_("Next steps"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    hours_used = forms.DecimalField(
        label=_("Hours spent"), min_value=0, max_digits=8, decimal_places=1, initial=0
    )
    money_used = forms.DecimalField(
        label=_("Money spent (EUR)"), min_value=0, max_digits=12, decimal_places=2, initial=0
    )

    FIELDS = ("activities_done", "outputs", "problems", "next_steps", "hours_used", "money_used")


class SignOffForm(forms.Form):
    summary = forms.CharField(
        label=_("Coordinator's summary"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown. The summary opens the report; after sign-off the report cannot change."),
    )


class CommitmentForm(forms.Form):
    partner = PartnerChoiceField(label=_("Partner"), queryset=None, to_field_name="code", empty_label=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=ResourceKind.choices)
    amount = forms.DecimalField(
        label=_("Amount"),
        min_value=0,
        max_digits=12,
        decimal_places=2,
        help_text=_("Hours a month, people (staff), or euros in total (funding)."),
    )
    source = forms.CharField(
        label=_("Source"), max_length=200, required=False, help_text=_("For funding: who pays.")
    )
    starts_on = forms.DateField(label=_("From"), **DATE_WIDGET)
    ends_on = forms.DateField(
        label=_("Until"),
        required=False,
        help_text=_("Leave empty when there is no end date."),
        **DATE_WIDGET,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, partners, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:  # the partner and kind stay: a different one is a new commitment
            del self.fields["partner"]
            del self.fields["kind"]
        else:
            self.fields["partner"].queryset = partners


class ActualForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        widget=MONTH_WIDGET,
        help_text=_("The month the resources were used in (YYYY-MM)."),
    )
    amount = forms.DecimalField(label=_("Used"), min_value=0, max_digits=12, decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class SettingsForm(forms.Form):
    disengagement_days = forms.IntegerField(label=_("Warn when a partner has not taken part for (days)"))
    runway_warning_days = forms.IntegerField(label=_("Warn this many days before a funding source ends"))
    underspend_percent = forms.IntegerField(
        label=_("Warn when time spent falls below this share of the time committed (%)")
    )
    meeting_gap_days = forms.IntegerField(label=_("Warn when no meeting was held for (days)"))

    FIELDS = ("disengagement_days", "runway_warning_days", "underspend_percent", "meeting_gap_days")

    def __init__(self, *args, **kwargs):
        from safepact.continuity.services import SETTINGS_LIMITS  # the service's bounds, shown in the form

        super().__init__(*args, **kwargs)
        for name, (low, high) in SETTINGS_LIMITS.items():
            if name in self.fields:
                self.fields[name].min_value = low
                self.fields[name].max_value = high
                self.fields[name].widget.attrs.update({"min": low, "max": high})
                self.fields[name].validators += [MinValueValidator(low), MaxValueValidator(high)]
