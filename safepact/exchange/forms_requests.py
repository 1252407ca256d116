"""Forms of the information-request, Five Safes and register pages: they parse input; the services check
the rules (roles, states, recipients, deadlines, four eyes) and write."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safepact.exchange.forms_posts import MultipleFileField
from safepact.exchange.models import (
    AssessmentStatus,
    DataCategory,
    LegalBasis,
    PartyRole,
    RequestStatus,
    Risk,
    Safe,
)
from safepact.lib.tlp import TLP

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MARKDOWN_HELP = _("Markdown: **bold**, lists with “- ”, links; HTML does not work.")

TLP_HELP = _(
    "Who may see the request. TLP:AMBER and TLP:AMBER+STRICT: your organisation and the organisations you "
    "address. TLP:RED: only the people you name below. Emails about restricted requests carry only a link."
)
PERSONAL_DATA_HELP = _(
    "Asking for any of these needs a Five Safes assessment before the request can be sent, approved by a "
    "coordinator of the partnership who is not you. Leave them all empty when you ask for no personal data."
)


class PartnerChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return obj.organisation.name


class PersonChoiceField(forms.ModelMultipleChoiceField):
    """Active memberships as ``name (organisation)``; cleans to the people (users)."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj):
        return f"{obj.user.full_name or obj.user.email} ({obj.partner.organisation.name})"

    def clean(self, value):
        return [membership.user for membership in super().clean(value)]


class TLPChoiceMixin:
    def tlp_options(self) -> list[tuple]:
        """Each radio of ``tlp`` with the label's description in words."""
        return [(radio, TLP(radio.data["value"]).description) for radio in self["tlp"]]


def tlp_field(**kwargs) -> forms.ChoiceField:
    kwargs.setdefault("label", _("TLP label"))
    kwargs.setdefault("choices", TLP.choices)
    kwargs.setdefault("initial", TLP.AMBER)
    kwargs.setdefault("widget", forms.RadioSelect)
    return forms.ChoiceField(**kwargs)


# Information requests -----------------------------------------------------------------------------------


class RequestForm(TLPChoiceMixin, forms.Form):
    """A new request, or the changes to a draft (``creating=False`` drops the attachments)."""

    title = forms.CharField(label=_("Subject"), max_length=200)
    question = forms.CharField(
        label=_("Question (Markdown)"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=MARKDOWN_HELP,
    )
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why you need the information and what you will do with it."),
    )
    legal_basis = forms.ChoiceField(
        label=_("Legal basis (GDPR Art. 6)"), choices=[("", "---------"), *LegalBasis.choices]
    )
    national_provision = forms.CharField(
        label=_("National legal provision"),
        max_length=300,
        required=False,
        help_text=_("The article of national law you rely on, if any."),
    )
    data_categories = forms.MultipleChoiceField(
        label=_("Personal data asked for"),
        choices=DataCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=PERSONAL_DATA_HELP,
    )
    deadline = forms.DateField(label=_("Answer by"), widget=DATE_WIDGET)
    tlp = tlp_field(help_text=TLP_HELP)
    recipient_partners = PartnerChoiceField(
        label=_("Addressed organisations"),
        queryset=None,
        to_field_name="code",
        help_text=_("The partner organisations you ask; your own organisation is not among them."),
    )
    recipient_people = PersonChoiceField(
        label=_("Named people (for TLP:RED)"),
        queryset=None,
        to_field_name="code",
        required=False,
        help_text=_("For TLP:RED: people of the addressed organisations who may read the request."),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args, partners, people, creating: bool = True, upload_help: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient_partners"].queryset = partners
        self.fields["recipient_people"].queryset = people
        if creating:
            self.fields["attachments"].help_text = upload_help
        else:
            del self.fields["attachments"]

    def service_values(self) -> dict:
        data = self.cleaned_data
        values = {
            name: data[name]
            for name in (
                "title",
                "question",
                "purpose",
                "legal_basis",
                "national_provision",
                "data_categories",
                "deadline",
                "tlp",
                "recipient_partners",
            )
        }
        values["recipient_partners"] = list(values["recipient_partners"])
        values["data_categories"] = list(values["data_categories"])
        values["recipient_people"] = list(data["recipient_people"]) if data["tlp"] == TLP.RED else []
        return values

    @staticmethod
    def initial_for(request, *, recipients, people_codes) -> dict:
        return {
            "title": request.title,
            "question": request.question,
            "purpose": request.purpose,
            "legal_basis": request.legal_basis,
            "national_provision": request.national_provision,
            "data_categories": list(request.data_categories),
            "deadline": request.deadline,
            "tlp": request.tlp,
            "recipient_partners": [str(recipient.partner.code) for recipient in recipients],
            "recipient_people": people_codes,
        }


class RequestFilterForm(forms.Form):
    BOXES = [
        ("all", _("All requests I may see")),
        ("sent", _("Sent by my organisation")),
        ("received", _("Received by my organisation")),
        ("mine", _("Asked by me")),
    ]
    box = forms.ChoiceField(label=_("Show"), choices=BOXES, required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *RequestStatus.choices], required=False
    )


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=_("Your answer (Markdown)"),
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=MARKDOWN_HELP,
    )
    tlp = forms.ChoiceField(
        label=_("TLP label of the answer"),
        choices=[("", _("As the request (TLP:AMBER for a TLP:CLEAR or TLP:GREEN request)")), *TLP.choices],
        required=False,
        help_text=_(
            "The requesting organisation and yours see a TLP:AMBER or TLP:AMBER+STRICT answer; a TLP:RED "
            "answer only the person who asked."
        ),
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args, upload_help: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].help_text = upload_help


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for declining"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The person who asked reads it; for example the legal ground that stops you answering."),
    )


class RequestLabelForm(TLPChoiceMixin, forms.Form):
    tlp = tlp_field()
    recipient_people = PersonChoiceField(
        label=_("Named people (for TLP:RED)"), queryset=None, to_field_name="code", required=False
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        help_text=_("Required when you lower the label (towards TLP:CLEAR); recorded in the audit trail."),
    )

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipient_people"].queryset = people


class LegalHoldForm(forms.Form):
    hold = forms.TypedChoiceField(
        label=_("Legal hold"),
        choices=[("1", _("Hold: keep this item past its retention period")), ("0", _("Lift the hold"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        required=False,
        help_text=_("Required to set a hold: for example the case or the proceedings it is kept for."),
    )


# Five Safes assessments ---------------------------------------------------------------------------------


class AssessmentNewForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("For example the data flow it assesses: “Camera images from the shops to the police”."),
    )


class FiveSafesForm(forms.Form):
    """Answer, risk and mitigations for each of the five safes (fields ``<name>_<safe>``)."""

    def __init__(self, *args, safes, **kwargs):
        super().__init__(*args, **kwargs)
        self.safes = list(safes)
        for safe in self.safes:
            name = Safe(safe).label
            self.fields[f"answer_{safe}"] = forms.CharField(
                label=_("%(safe)s: answer") % {"safe": name},
                max_length=10000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
            self.fields[f"risk_{safe}"] = forms.ChoiceField(
                label=_("%(safe)s: risk") % {"safe": name},
                choices=[("", "---------"), *Risk.choices],
                required=False,
            )
            self.fields[f"mitigations_{safe}"] = forms.CharField(
                label=_("%(safe)s: mitigations") % {"safe": name},
                max_length=10000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_(
                    "What lowers the risk: for example pseudonymised data, or access for named people."
                ),
            )

    def clean(self):
        data = super().clean()
        for safe in self.safes:
            answer, risk = data.get(f"answer_{safe}", ""), data.get(f"risk_{safe}", "")
            if answer and not risk and f"risk_{safe}" not in self.errors:
                self.add_error(f"risk_{safe}", _("Rate the risk of this answer."))
            if risk and not answer and f"answer_{safe}" not in self.errors:
                self.add_error(f"answer_{safe}", _("Give an answer with the risk."))
        return data

    def rows(self) -> dict:
        """For each safe: (answer, risk, mitigations) bound fields."""
        return {
            safe: (self[f"answer_{safe}"], self[f"risk_{safe}"], self[f"mitigations_{safe}"])
            for safe in self.safes
        }

    def answers(self) -> dict:
        """The safes answered in this form: ``{safe: {"answer", "risk", "mitigations"}}``."""
        data = self.cleaned_data
        return {
            safe: {
                "answer": data[f"answer_{safe}"],
                "risk": data[f"risk_{safe}"],
                "mitigations": data[f"mitigations_{safe}"],
            }
            for safe in self.safes
            if data.get(f"answer_{safe}")
        }


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (AssessmentStatus.APPROVED, AssessmentStatus.APPROVED.label),
            (AssessmentStatus.APPROVED_WITH_CONDITIONS, AssessmentStatus.APPROVED_WITH_CONDITIONS.label),
            (AssessmentStatus.REJECTED, AssessmentStatus.REJECTED.label),
        ],
        widget=forms.RadioSelect,
    )
    conditions = forms.CharField(
        label=_("Conditions"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for an approval with conditions."),
    )
    note = forms.CharField(
        label=_("Reasoning"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for a rejection: the person who asked reads it."),
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("After this date the assessment no longer lets a request be sent."),
    )


# The data-sharing register ------------------------------------------------------------------------------


class FlowForm(forms.Form):
    title = forms.CharField(label=_("Name of the data flow"), max_length=200)
    purpose = forms.CharField(label=_("Purpose"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    legal_basis = forms.ChoiceField(
        label=_("Legal basis (GDPR Art. 6)"), choices=[("", "---------"), *LegalBasis.choices]
    )
    national_provision = forms.CharField(label=_("National legal provision"), max_length=300, required=False)
    data_subjects = forms.CharField(
        label=_("Data subjects"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Whose data flows: for example “customers selling second-hand engines”."),
    )
    data_categories = forms.MultipleChoiceField(
        label=_("Categories of personal data"),
        choices=DataCategory.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    retention = forms.CharField(
        label=_("Retention"), max_length=300, help_text=_("How long the data is kept, and why that long.")
    )
    security_measures = forms.CharField(
        label=_("Security measures"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    review_on = forms.DateField(label=_("Review date"), widget=DATE_WIDGET)
    assessment = forms.ModelChoiceField(
        label=_("Five Safes assessment"),
        queryset=None,
        required=False,
        to_field_name="code",
        empty_label=_("(none yet)"),
    )
    agreement = forms.ChoiceField(label=_("Data-sharing agreement"), required=False)

    def __init__(self, *args, assessments, agreements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessment"].queryset = assessments
        self.fields["assessment"].label_from_instance = lambda a: f"{a.title} ({a.get_status_display()})"
        self.fields["agreement"].choices = [("", _("(none)")), *[(str(a.code), a.title) for a in agreements]]

    def service_values(self) -> dict:
        data = self.cleaned_data
        values = {
            name: data[name]
            for name in (
                "title",
                "purpose",
                "legal_basis",
                "national_provision",
                "data_subjects",
                "retention",
                "security_measures",
                "review_on",
                "assessment",
            )
        }
        values["data_categories"] = list(data["data_categories"])
        values["agreement_code"] = data["agreement"] or None
        return values

    @staticmethod
    def initial_for(flow) -> dict:
        return {
            "title": flow.title,
            "purpose": flow.purpose,
            "legal_basis": flow.legal_basis,
            "national_provision": flow.national_provision,
            "data_subjects": flow.data_subjects,
            "data_categories": list(flow.data_categories),
            "retention": flow.retention,
            "security_measures": flow.security_measures,
            "review_on": flow.review_on,
            "assessment": flow.assessment.code if flow.assessment_id else None,
            "agreement": str(flow.agreement_code) if flow.agreement_code else "",
        }


class PartyForm(forms.Form):
    """One partner's row of the parties formset: its role in the flow (none: not a party) and its part."""

    partner = forms.UUIDField(widget=forms.HiddenInput)
    role = forms.ChoiceField(
        label=_("Role"), choices=[("", _("Not a party")), *PartyRole.choices], required=False
    )
    part = forms.CharField(
        label=_("Part in the flow"),
        max_length=200,
        required=False,
        help_text=_("For example “provides” or “receives”."),
    )


class BasePartyFormSet(forms.BaseFormSet):
    def __init__(self, *args, partners, **kwargs):
        self.partners = {str(partner.code): partner for partner in partners}
        super().__init__(*args, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        for form in self.forms:
            code = str(form.cleaned_data.get("partner", ""))
            if code not in self.partners:
                raise forms.ValidationError(_("Choose partners of this partnership."))
            form.cleaned_data["partner_obj"] = self.partners[code]
            if form.cleaned_data.get("part") and not form.cleaned_data.get("role"):
                form.add_error("role", _("Choose a role, or leave the part empty."))

    def rows(self) -> list[tuple]:
        """Each form with its partner (for the row header)."""
        rows = []
        for form in self.forms:
            code = str(form["partner"].value() or "")
            rows.append((form, self.partners.get(code)))
        return rows

    def parties(self) -> list[tuple]:
        """``(partner, role, part)`` for every row with a role."""
        return [
            (form.cleaned_data["partner_obj"], form.cleaned_data["role"], form.cleaned_data["part"])
            for form in self.forms
            if form.cleaned_data.get("role")
        ]


PartyFormSet = forms.formset_factory(PartyForm, formset=BasePartyFormSet, extra=0, max_num=200)


def party_initial(partners, parties=()) -> list[dict]:
    """One row per partner, filled in from the flow's current parties."""
    current = {party.partner_id: party for party in parties}
    return [
        {
            "partner": partner.code,
            "role": current[partner.pk].role if partner.pk in current else "",
            "part": current[partner.pk].part if partner.pk in current else "",
        }
        for partner in partners
    ]


class EndFlowForm(forms.Form):
    confirm = forms.BooleanField(label=_("End this data flow: no data is shared under it any more."))


class Art30Form(forms.Form):
    FORMATS = [("csv", _("CSV (spreadsheet)")), ("pdf", _("PDF"))]
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=None,
        to_field_name="code",
        help_text=_("The records of processing of this organisation: every active flow it is a party to."),
    )
    format = forms.ChoiceField(label=_("Format"), choices=FORMATS, initial="csv", widget=forms.RadioSelect)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class SubjectAccessForm(forms.Form):
    term = forms.CharField(
        label=_("Name or other identifier of the person"),
        min_length=3,
        max_length=200,
        help_text=_(
            "Searched in the posts, documents, requests and answers you may see; case does not matter."
        ),
    )
