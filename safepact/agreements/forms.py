"""Forms of the agreement pages: they parse input; the services validate the rules and write."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from safepact.agreements.models import Formality, Kind
from safepact.agreements.schemas import MAX_QUORUM  # the API's bound; more does not fit the column

DATE_WIDGET = {"widget": forms.DateInput(attrs={"type": "date"})}


class PartnerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.organisation.name


class SingleAgreementField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return _("%(title)s (%(status)s)") % {"title": obj.title, "status": obj.get_status_display()}


class AgreementDatesMixin(forms.Form):
    effective_from = forms.DateField(
        label=_("In force from"),
        required=False,
        help_text=_("Leave empty: the agreement takes effect on the day the last needed signature is set."),
        **DATE_WIDGET,
    )
    review_date = forms.DateField(
        label=_("Review date"),
        required=False,
        help_text=_("When the partners look at the agreement again; coordinators are reminded ahead of it."),
        **DATE_WIDGET,
    )
    expiry_date = forms.DateField(
        label=_("Expiry date"),
        required=False,
        help_text=_("Leave empty for an agreement without an end date."),
        **DATE_WIDGET,
    )


class AgreementCreateForm(AgreementDatesMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=Kind.choices, initial=Kind.COVENANT)
    formality = forms.ChoiceField(
        label=_("Formality"),
        choices=Formality.choices,
        initial=Formality.SPECIFIED,
        widget=forms.RadioSelect,
        help_text=_("Decides which sections the text must have before it can be made final."),
    )
    language = forms.ChoiceField(label=_("Language of the text"), choices=settings.LANGUAGES, initial="en")
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the template's title, e.g. “Covenant of <partnership>”."),
    )
    parties = PartnerChoiceField(
        label=_("Parties"),
        queryset=None,
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The active partners that conclude the agreement. Others can accede later."),
    )
    quorum = forms.IntegerField(
        label=_("Quorum"),
        min_value=1,
        max_value=MAX_QUORUM,
        required=False,
        help_text=_(
            "How many required parties must sign for the agreement to enter into force. "
            "Leave empty: every required party."
        ),
    )
    supersedes = SingleAgreementField(
        label=_("Replaces"),
        queryset=None,
        to_field_name="code",
        required=False,
        empty_label=_("(none)"),
        help_text=_("An agreement in force that this one replaces once it enters into force."),
    )

    field_order = [
        "kind",
        "formality",
        "language",
        "title",
        "parties",
        "quorum",
        "effective_from",
        "review_date",
        "expiry_date",
        "supersedes",
    ]

    def __init__(self, *args, partners, replaceable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parties"].queryset = partners
        self.fields["supersedes"].queryset = replaceable
        if not self.is_bound:
            self.initial.setdefault("parties", [p.code for p in partners])


class AgreementUpdateForm(AgreementDatesMixin, forms.Form):
    """Title, formality, quorum and dates; once final, only the review date (the others are dropped)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    formality = forms.ChoiceField(label=_("Formality"), choices=Formality.choices, widget=forms.RadioSelect)
    quorum = forms.IntegerField(
        label=_("Quorum"),
        min_value=1,
        max_value=MAX_QUORUM,
        required=False,
        help_text=_("Leave empty: every required party must sign."),
    )
    reason = forms.CharField(
        label=_("Why (optional)"),
        max_length=500,
        required=False,
        help_text=_("Kept in the audit trail with the change."),
    )

    field_order = ["title", "formality", "quorum", "effective_from", "review_date", "expiry_date", "reason"]
    FROZEN_KEEP = ("review_date", "reason")

    def __init__(self, *args, editable: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not editable:
            for name in list(self.fields):
                if name not in self.FROZEN_KEEP:
                    del self.fields[name]

    def changes(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "reason"}


class VersionForm(forms.Form):
    body = forms.CharField(
        label=_("Text (Markdown)"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "true", "class": "agreement-editor-text"}),
        help_text=_(
            "“# ” starts the title, “## ” each section. **bold**, *italic*, lists with “- ” and tables "
            "with “|” work; HTML does not."
        ),
    )
    note = forms.CharField(
        label=_("What changed"),
        max_length=300,
        required=False,
        help_text=_("A short note for the version list, e.g. “Meetings every month instead of quarterly”."),
    )


class CompareForm(forms.Form):
    """``from`` and ``to`` are version numbers (``from`` is a keyword, so the fields are added here)."""

    def __init__(self, *args, numbers: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(n, _("Version %(number)s") % {"number": n}) for n in numbers]
        self.fields["from"] = forms.TypedChoiceField(label=_("From"), choices=choices, coerce=int)
        self.fields["to"] = forms.TypedChoiceField(label=_("To"), choices=choices, coerce=int)


class TransitionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class PartyAddForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=_("Partner"), queryset=None, to_field_name="code", empty_label=None
    )
    required = forms.BooleanField(
        label=_("Signature required"),
        required=False,
        initial=True,
        help_text=_(
            "Required parties must sign for the agreement to enter into force (unless a quorum is set)."
        ),
    )

    def __init__(self, *args, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners
        self.fields["partner"].label_from_instance = lambda partner: partner.organisation.name


class PartyRequiredForm(forms.Form):
    required = forms.TypedChoiceField(
        label=_("Signature required"),
        choices=[("true", _("Required")), ("false", _("Optional"))],
        coerce=lambda value: value == "true",
    )


class WithdrawForm(forms.Form):
    on_date = forms.DateField(label=_("Withdrawn on"), **DATE_WIDGET)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class CommentForm(forms.Form):
    section = forms.ChoiceField(label=_("Section"), required=False)
    body = forms.CharField(label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, headings: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [("", _("The agreement as a whole")), *[(h, h) for h in headings]]


class SettingsForm(forms.Form):
    require_confidentiality = forms.BooleanField(
        label=_("Require the confidentiality agreement for TLP:AMBER and TLP:RED content"),
        required=False,
        help_text=_(
            "When on, information labelled TLP:AMBER, TLP:AMBER+STRICT or TLP:RED is withheld from a "
            "member until their organisation has signed (or acceded to) the partnership's confidentiality "
            "agreement in force. Until such an agreement is in force, that information is withheld from "
            "everyone."
        ),
    )
    review_notice_days = forms.IntegerField(
        label=_("Remind before a review date (days)"), min_value=1, max_value=730
    )
    expiry_notice_days = forms.IntegerField(
        label=_("Remind before an expiry date (days)"), min_value=1, max_value=730
    )


class VerifyForm(forms.Form):
    file = forms.FileField(
        label=_("PDF file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,application/pdf"}),
    )

    def __init__(self, *args, max_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        self.fields["file"].help_text = _("A PDF that SafePact produced, at most %(size)s MB.") % {
            "size": max_bytes // (1024 * 1024)
        }

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("The file is too large: at most %(size)s MB.") % {"size": self.max_bytes // (1024 * 1024)}
            )
        return upload
