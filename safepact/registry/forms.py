"""Forms of the law-enforcement pages of the registry: they parse input; the services validate the rules
and write. An identifier row is also parsed here (``identifiers.parse``) so that a bad value is marked at
its own field of its own row; the service checks it again and decides."""

import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from safepact.registry.models import (
    AlertStatus,
    Category,
    DocumentType,
    HitAction,
    HitStatus,
    IdentifierKind,
    OverlapStatus,
)

__all__ = [
    "AlertFilterForm",
    "AlertForm",
    "AlertStatusForm",
    "HitDecideForm",
    "HitFilterForm",
    "IdentifierForm",
    "IdentifierFormSet",
    "IdentifierRemoveForm",
    "ImportForm",
    "OverlapFilterForm",
    "OverlapResolveForm",
    "SearchForm",
    "SettingsForm",
    "apply_identifier_errors",
]

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
#: Rows of the identifier formset on a new alert; more are added one at a time.
EMPTY_IDENTIFIER_ROWS = 3
MAX_IDENTIFIERS = 50


def _country_choices(blank_label):
    return [("", blank_label), *countries]


# Alerts -------------------------------------------------------------------------------------------------


class AlertFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        max_length=200,
        required=False,
        help_text=_("Reference, case reference or words of the description."),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Every status")), *AlertStatus.choices]
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("Every category")), *Category.choices]
    )
    mine = forms.BooleanField(label=_("Only my unit's alerts"), required=False)


class AlertForm(forms.Form):
    """The alert's own fields (new and edit); the identifiers of a new alert come in a formset."""

    category = forms.ChoiceField(label=_("Category"), choices=[("", "---------"), *Category.choices])
    description = forms.CharField(
        label=_("Description"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the object looks like. Only law-enforcement members read it."),
    )
    case_reference = forms.CharField(
        label=_("Case reference"),
        max_length=64,
        help_text=_("Your unit's own case number. Partners never see it."),
    )
    legal_basis = forms.CharField(label=_("Legal basis"), max_length=300)
    jurisdiction = LazyTypedChoiceField(label=_("Jurisdiction"), choices=_country_choices("---------"))
    action = forms.ChoiceField(
        label=_("Action on a hit"),
        choices=HitAction.choices,
        initial=HitAction.HOLD,
        widget=forms.RadioSelect,
        help_text=_("What a partner who checks a matching identifier is told to do."),
    )
    action_note = forms.CharField(
        label=_("Note for the checking partner"),
        max_length=300,
        required=False,
        help_text=_("Shown to the checking partner with the action: write nothing about the case here."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Leave empty for the partnership's default."),
    )

    FIELDS = (
        "category",
        "description",
        "case_reference",
        "legal_basis",
        "jurisdiction",
        "action",
        "action_note",
        "expires_on",
    )

    def __init__(self, *args, default_days: int | None = None, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if default_days is not None:
            self.fields["expires_on"].help_text = _(
                "Leave empty for the partnership's default: %(days)s days from today."
            ) % {"days": default_days}
        if editing:
            self.fields["expires_on"].required = True
            self.fields["expires_on"].help_text = ""

    @classmethod
    def initial_for(cls, alert) -> dict:
        return {name: getattr(alert, name) for name in cls.FIELDS}

    def service_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class IdentifierForm(forms.Form):
    """One identifier: its kind, the parts some kinds need and the value as written on the object."""

    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "---------"), *IdentifierKind.choices])
    manufacturer = forms.CharField(
        label=_("Manufacturer"),
        max_length=100,
        required=False,
        help_text=_("Engine, firearm and serial numbers."),
    )
    country = LazyTypedChoiceField(
        label=_("Country"),
        required=False,
        choices=_country_choices(_("none")),
        help_text=_("Licence plates and documents."),
    )
    document_type = forms.ChoiceField(
        label=_("Document type"),
        required=False,
        choices=[("", _("none")), *DocumentType.choices],
        help_text=_("Documents only."),
    )
    value = forms.CharField(label=_("Identifier"), max_length=100)

    PARTS = ("kind", "value", "manufacturer", "country", "document_type")

    def clean(self):
        data = super().clean()
        kind, value = data.get("kind"), data.get("value")
        if not kind or not value:
            return data
        from safepact.registry import identifiers

        try:
            parsed = identifiers.parse(
                kind,
                value,
                manufacturer=data.get("manufacturer", ""),
                country=data.get("country", ""),
                document_type=data.get("document_type", ""),
            )
        except identifiers.IdentifierError as exc:
            field = getattr(exc, "field", "value")
            self.add_error(field if field in self.fields else "value", str(exc))
        else:
            data["warnings"] = list(parsed.warnings)
        return data

    def identifier(self) -> dict:
        """The row as the services take it (blank parts left out)."""
        item = {"kind": self.cleaned_data["kind"], "value": self.cleaned_data["value"]}
        for part in ("manufacturer", "country", "document_type"):
            if self.cleaned_data.get(part):
                item[part] = self.cleaned_data[part]
        return item


class BaseIdentifierFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not self.identifiers():
            raise ValidationError(_("Give at least one identifier of the object."))

    def filled(self) -> list[tuple[int, IdentifierForm]]:
        """The rows someone filled in, with their place in the formset (empty rows are skipped)."""
        return [
            (index, form)
            for index, form in enumerate(self.forms)
            if form.has_changed() and getattr(form, "cleaned_data", None)
        ]

    def identifiers(self) -> list[dict]:
        return [form.identifier() for _index, form in self.filled()]


IdentifierFormSet = forms.formset_factory(
    IdentifierForm,
    formset=BaseIdentifierFormSet,
    extra=EMPTY_IDENTIFIER_ROWS,
    max_num=MAX_IDENTIFIERS,
    validate_max=True,
    absolute_max=MAX_IDENTIFIERS,
)

#: "Identifier 2: ..." or "Identifier 2 is the same as identifier 1." (in any language): the first number
#: names the row; a colon after it ends the prefix.
ROW_NUMBER = re.compile(r"^\D{0,40}?(\d+)(?:\s*:\s*(.+))?", re.S)


def apply_identifier_errors(formset, messages: list[str]) -> list[str]:
    """Put the service's "Identifier N: ..." messages at row N of the filled rows; return the others."""
    filled = formset.filled()
    rest = []
    for message in messages:
        message = str(message)
        found = ROW_NUMBER.match(message)
        number = int(found.group(1)) if found else 0
        if 1 <= number <= len(filled):
            _index, form = filled[number - 1]
            form.add_error(None, found.group(2) or message)
        else:
            rest.append(message)
    return rest


class AlertStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[
            (AlertStatus.ACTIVE, AlertStatus.ACTIVE.label),
            (AlertStatus.LOCATED, AlertStatus.LOCATED.label),
            (AlertStatus.WITHDRAWN, AlertStatus.WITHDRAWN.label),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Kept on the alert, which only law enforcement reads; the audit trail records the change without it."
        ),
    )


class IdentifierRemoveForm(forms.Form):
    """Only the confirmation: the audit trail records the removal with references only (no reason)."""


# Hits and overlaps ----------------------------------------------------------------------------------------


class HitFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Every status")), *HitStatus.choices]
    )


class HitDecideForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (HitStatus.CONFIRMED, _("Confirm: it is the object of the alert")),
            (HitStatus.REJECTED, _("Reject: it is not the object of the alert")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note for your unit"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Never shown to the checking partner."),
    )


class OverlapFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Every status")), *OverlapStatus.choices]
    )


class OverlapResolveForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (OverlapStatus.SAME_OBJECT, OverlapStatus.SAME_OBJECT.label),
            (OverlapStatus.DIFFERENT_OBJECTS, OverlapStatus.DIFFERENT_OBJECTS.label),
            (OverlapStatus.DISMISSED, OverlapStatus.DISMISSED.label),
        ],
    )


# Search, import, settings ---------------------------------------------------------------------------------


class SearchForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "---------"), *IdentifierKind.choices])
    value = forms.CharField(label=_("Identifier"), max_length=100)
    max_distance = forms.TypedChoiceField(
        label=_("How close"),
        coerce=int,
        choices=[(1, _("One character apart")), (2, _("Up to two characters apart"))],
        initial=2,
        widget=forms.RadioSelect,
    )


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File of alerts (CSV or JSON)"))
    mapping_file = forms.FileField(
        label=_("Mapping (JSON)"),
        required=False,
        help_text=_("Which column or field holds what. Leave empty to use the SafePact format."),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: only report what would happen"),
        required=False,
        initial=True,
        help_text=_("Nothing is stored. Untick it to import."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.SAFEPACT_REGISTRY_IMPORT_MAX_MB
        if upload.size > limit * 1024 * 1024:
            raise ValidationError(_("The file is larger than %(mb)s MB.") % {"mb": limit})
        return upload

    def clean_mapping_file(self):
        upload = self.cleaned_data.get("mapping_file")
        if upload and upload.size > 1024 * 1024:
            raise ValidationError(_("A mapping is at most 1 MB."))
        return upload


class SettingsForm(forms.Form):
    escalation_hours = forms.IntegerField(
        label=_("Escalate an unhandled hit after (hours)"), min_value=1, max_value=168
    )
    retention_days = forms.IntegerField(label=_("Keep the check log for (days)"), min_value=1)
    default_alert_days = forms.IntegerField(
        label=_("Alerts expire after (days)"),
        min_value=1,
        max_value=7300,
        help_text=_("For alerts created without an expiry date."),
    )

    FIELDS = ("escalation_hours", "retention_days", "default_alert_days")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = settings.SAFEPACT_REGISTRY_RETENTION
        field = self.fields["retention_days"]
        field.validators += [MinValueValidator(low), MaxValueValidator(high)]
        field.widget.attrs.update(min=low, max=high)
        field.help_text = _("Between %(low)s and %(high)s days.") % {"low": low, "high": high}

    @classmethod
    def initial_for(cls, current) -> dict:
        return {name: getattr(current, name) for name in cls.FIELDS}
