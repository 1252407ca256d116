"""Forms of the due-diligence page: they parse input; the services validate the rules and write."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from safepact.formation.models import DueDiligenceDecision
from safepact.formation.question_banks import RED_FLAG, QuestionBank, chosen_option, evidence_of, tr
from safepact.formation.services.diligence import EVIDENCE_MAX, REASON_MAX


def option_label(option) -> str:
    points = ngettext("%(points)s point", "%(points)s points", option.points) % {"points": option.points}
    if option.red_flag:
        return _("%(text)s (%(points)s, %(flag)s red flag)") % {
            "text": tr(option.text),
            "points": points,
            "flag": RED_FLAG,
        }
    return _("%(text)s (%(points)s)") % {"text": tr(option.text), "points": points}


def option_field_name(question_id: str) -> str:
    return f"q_{question_id}"


def evidence_field_name(question_id: str) -> str:
    return f"e_{question_id}"


class AnswersForm(forms.Form):
    """One radio group and one evidence field per question of the bank, in the active language."""

    def __init__(self, *args, bank: QuestionBank, answers: dict | None = None, **kwargs):
        answers = answers or {}
        initial = {}
        for question in bank.questions:
            initial[option_field_name(question.id)] = chosen_option(answers, question.id)
            initial[evidence_field_name(question.id)] = evidence_of(answers, question.id)
        super().__init__(*args, initial=initial, **kwargs)
        self.bank = bank
        for number, question in enumerate(bank.questions, start=1):
            help_text = tr(question.help)
            if question.expects_evidence():
                if question.evidence_expected is True:
                    help_text = _("%(help)s Evidence is expected with every answer.") % {"help": help_text}
                else:
                    names = [tr(o.text) for o in question.options if o.id in question.evidence_expected]
                    help_text = _("%(help)s Evidence is expected with these answers: %(answers)s.") % {
                        "help": help_text,
                        "answers": "; ".join(names),
                    }
            self.fields[option_field_name(question.id)] = forms.ChoiceField(
                label=_("%(number)s. %(text)s") % {"number": number, "text": tr(question.text)},
                choices=[(option.id, option_label(option)) for option in question.options],
                widget=forms.RadioSelect,
                required=False,
                help_text=help_text,
            )
            self.fields[evidence_field_name(question.id)] = forms.CharField(
                label=_("Evidence for question %(number)s") % {"number": number},
                help_text=_("A note, a link or a document reference."),
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
                max_length=EVIDENCE_MAX,
            )

    def option_field(self, question_id: str):
        return self[option_field_name(question_id)]

    def evidence_field(self, question_id: str):
        return self[evidence_field_name(question_id)]

    def answers(self) -> dict:
        data = self.cleaned_data
        return {
            question.id: {
                "option": data.get(option_field_name(question.id)) or "",
                "evidence": data.get(evidence_field_name(question.id)) or "",
            }
            for question in self.bank.questions
        }

    def service_field(self, name: str) -> str | None:
        """The form field for a service error key (``answers.<id>`` or ``answers.<id>.evidence``)."""
        if not name.startswith("answers."):
            return None
        rest = name.removeprefix("answers.")
        if rest.endswith(".evidence"):
            field = evidence_field_name(rest.removesuffix(".evidence"))
        else:
            field = option_field_name(rest)
        return field if field in self.fields else None


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (DueDiligenceDecision.ADMIT, _("Admit the candidate")),
            (DueDiligenceDecision.REJECT, _("Reject the candidate")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reasons for the decision"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REASON_MAX,
        help_text=_("Required; recorded in the audit trail."),
    )
    reassess_on = forms.DateField(
        label=_("Reassess on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Optional: the coordinators are reminded as this date approaches."),
    )


class ApproveForm(forms.Form):
    reason = forms.CharField(
        label=_("Note with your approval"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional; recorded in the audit trail."),
    )
