"""Forms of the partner pages of the registry (a single check and a batch upload): they parse input; the
services (``services.checks``) normalise and validate identifiers, apply the rate limits and write.

The check form renders every part an identifier may need (manufacturer, country, document type), each with
a hint naming the kinds that need it, so it works without JavaScript; ``kind_fields`` says which kinds need
which part, for the small script on the page that hides the parts the chosen kind does not need.
"""

from django import forms
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from safepact.registry.models import CheckContext, DocumentType, IdentifierKind

__all__ = ["PART_FIELDS", "BatchForm", "CheckForm", "kinds_needing"]

#: The parts of an identifier besides its value, and the ``KindSpec`` flag that says a kind needs it.
PART_FIELDS = {
    "manufacturer": "needs_manufacturer",
    "country": "needs_country",
    "document_type": "needs_document_type",
}
VALUE_MAX_LENGTH = 100
#: Run by the kind select when it changes (htmx's ``hx-on``): hide the parts the chosen kind does not need.
#: Without JavaScript every part stays visible, each with its hint.
HIDE_PARTS_SCRIPT = (
    "for (const part of this.form.querySelectorAll('[data-kinds]')) "
    "{ part.hidden = this.value !== '' && !part.dataset.kinds.split(' ').includes(this.value); }"
)


def kinds_needing() -> dict[str, dict[str, list[str]]]:
    """For each part (``manufacturer``, ``country``, ``document_type``) the kinds that need it
    (``"needed"``) and those that take it if given (``"optional"``: a manufacturer of a serial number), in
    the order of the kind select."""
    from safepact.registry.identifiers import KINDS

    found = {}
    for field, flag in PART_FIELDS.items():
        needed = [k for k in IdentifierKind.values if k in KINDS and getattr(KINDS[k], flag, False)]
        optional = []
        if field == "manufacturer":
            optional = [
                k
                for k in IdentifierKind.values
                if k in KINDS and k not in needed and getattr(KINDS[k], "takes_manufacturer", False)
            ]
        found[field] = {"needed": needed, "optional": optional, "used": needed + optional}
    return found


def _labels(kinds: list[str]) -> str:
    labels = dict(IdentifierKind.choices)
    return ", ".join(str(labels[kind]) for kind in kinds)


class CheckForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of identifier"),
        choices=[("", _("Choose the kind of identifier")), *IdentifierKind.choices],
        widget=forms.Select(attrs={"hx-on:change": HIDE_PARTS_SCRIPT}),
    )
    manufacturer = forms.CharField(label=_("Manufacturer"), max_length=100, required=False)
    country = LazyTypedChoiceField(
        label=_("Country"), choices=[("", "---------"), *countries], required=False
    )
    document_type = forms.ChoiceField(
        label=_("Document type"),
        choices=[("", "---------"), *DocumentType.choices],
        required=False,
    )
    value = forms.CharField(
        label=_("Identifier"),
        max_length=VALUE_MAX_LENGTH,
        help_text=_(
            "The whole identifier as it is written on the object or document. Spaces, dashes and "
            "capitals do not matter; partial identifiers (with * or ?) are not accepted."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}),
    )
    context = forms.ChoiceField(
        label=_("Why are you checking?"),
        choices=[("", "---------"), *CheckContext.choices],
        help_text=_("Logged with the check; the police see it if the identifier is wanted."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.needs = kinds_needing()
        extra = {"country": _("The country that issued the plate or document.")}
        for field, kinds in self.needs.items():
            hints = []
            if kinds["needed"]:
                hints.append(_("Needed for: %(kinds)s.") % {"kinds": _labels(kinds["needed"])})
            if kinds["optional"]:
                hints.append(_("Optional for: %(kinds)s.") % {"kinds": _labels(kinds["optional"])})
            if field in extra:
                hints.append(str(extra[field]))
            self.fields[field].help_text = " ".join(str(hint) for hint in hints)

    def kind_fields(self) -> list[dict]:
        """The part fields with the kinds that need them (``data-kinds`` on the page) and whether the kind
        currently chosen needs them."""
        chosen = self.data.get("kind") if self.is_bound else self.initial.get("kind")
        return [
            {
                "field": self[name],
                "kinds": " ".join(self.needs[name]["used"]),
                "needed": not chosen or chosen in self.needs[name]["used"],
            }
            for name in PART_FIELDS
        ]

    def service_values(self) -> dict:
        """The arguments of ``services.check_identifier``; a part the chosen kind does not need is left out
        (the page hides it, so a value typed there before changing the kind does not count)."""
        data = self.cleaned_data
        kind = data["kind"]
        values = {"kind": kind, "value": data["value"], "context": data["context"]}
        for name in PART_FIELDS:
            if kind in self.needs[name]["used"]:
                values[name] = data.get(name) or ""
        return values


class BatchForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("A CSV file with a header row, up to %(rows)s rows."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    context = forms.ChoiceField(
        label=_("Why are you checking?"),
        choices=[("", "---------"), *CheckContext.choices],
        help_text=_("Logged with every check of the file."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rows = settings.SAFEPACT_REGISTRY_BATCH_MAX_ROWS
        self.fields["file"].help_text = self.fields["file"].help_text % {
            "rows": number_format(rows, force_grouping=True)
        }
