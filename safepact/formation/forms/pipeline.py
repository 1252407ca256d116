"""Forms of the candidate pipeline: they parse input; the services validate the rules and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safepact.formation.models import CandidateStage, ImpartialityRule
from safepact.partnerships.models import Role


class CandidateAddForm(forms.Form):
    organisation = forms.UUIDField(label=_("Organisation"))
    suggested = forms.BooleanField(label=_("Suggested by SafePact"), required=False)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CandidateMoveForm(forms.Form):
    to_stage = forms.ChoiceField(label=_("Move to"), choices=CandidateStage.choices)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when rejecting; recorded in the audit trail."),
    )

    def __init__(self, *args, allowed=None, **kwargs):
        super().__init__(*args, **kwargs)
        if allowed is not None:
            labels = dict(CandidateStage.choices)
            self.fields["to_stage"].choices = [(s, labels[s]) for s in allowed]

    def clean(self):
        data = super().clean()
        if data.get("to_stage") == CandidateStage.REJECTED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for rejecting a candidate."))
        return data


class CandidateInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address of the contact person"),
        help_text=_("The person receives an invitation on behalf of the candidate organisation."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MEMBER)
    message = forms.CharField(
        label=_("Personal message"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=2000,
        help_text=_("Optional; included in the email."),
    )


class DismissForm(forms.Form):
    organisation = forms.UUIDField(label=_("Organisation"))
    rule = forms.ChoiceField(label=_("Warning"), choices=ImpartialityRule.choices)
    reason = forms.CharField(
        label=_("Reason for dismissing"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the audit trail."),
        error_messages={"required": _("Give a reason for dismissing the warning.")},
    )
