"""Forms of the CLAIMED journey page: they parse input; the services validate the rules and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

NOT_APPLICABLE = "not_applicable"
REOPEN = "reopen"


class StepDecisionForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Decision"),
        choices=[(NOT_APPLICABLE, _("Mark not applicable")), (REOPEN, _("Reopen"))],
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why this step does not apply to this partnership; recorded in the audit trail."),
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == NOT_APPLICABLE and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason why this step does not apply."))
        return data
