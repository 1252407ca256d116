"""Forms of the exchange pages for posts, documents, files, search and settings: they parse input; the
services validate the rules (recipients, upload limits, lowering a label) and write.

``LabelFieldsMixin`` gives a form the label fields (``tlp``, ``recipient_organisations``, ``recipient_people``)
that the shared partial ``exchange/_tlp_fields.html`` renders; the request forms use it too.
"""

from django import forms
from django.core.validators import MaxValueValidator
from django.utils.translation import gettext_lazy as _

from safepact.exchange.models import ItemKind, PostKind
from safepact.lib.tlp import TLP

TLP_HELP = _(
    "Who may read this. TLP:CLEAR: anyone. TLP:GREEN: the partnership's members. TLP:AMBER and "
    "TLP:AMBER+STRICT: the recipient organisations you choose. TLP:RED: the people you name. Items labelled "
    "TLP:AMBER+STRICT or TLP:RED never leave the platform: no export, no forwarding, no text in emails."
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none were chosen and none are required)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        items = [item for item in data if item] if isinstance(data, (list, tuple)) else [data] if data else []
        if not items:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        return [single(item, initial) for item in items]


class PersonChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name or obj.email


class LabelFieldsMixin:
    """The label, the recipient organisations (AMBER, AMBER+STRICT) and the recipient people (RED).

    Call ``set_label_choices(organisations=..., people=...)`` from ``__init__``: querysets of
    ``accounts.Organisation`` and of users, both looked up by ``code``.
    """

    label_fields = ("tlp", "recipient_organisations", "recipient_people")

    def add_label_fields(self, *, organisations, people, initial_tlp=TLP.GREEN) -> None:
        self.fields["tlp"] = forms.ChoiceField(
            label=_("TLP label"),
            choices=TLP.choices,
            initial=initial_tlp,
            widget=forms.RadioSelect,
            help_text=TLP_HELP,
        )
        self.fields["recipient_organisations"] = forms.ModelMultipleChoiceField(
            label=_("Recipient organisations (for TLP:AMBER and TLP:AMBER+STRICT)"),
            queryset=organisations,
            required=False,
            to_field_name="code",
            widget=forms.CheckboxSelectMultiple,
            help_text=_("Your own organisation is always included."),
        )
        self.fields["recipient_people"] = PersonChoiceField(
            label=_("Recipient people (for TLP:RED)"),
            queryset=people,
            required=False,
            to_field_name="code",
            widget=forms.CheckboxSelectMultiple,
            help_text=_("Only the people named here read an item labelled TLP:RED."),
        )

    def tlp_options(self) -> list[tuple]:
        """Each radio of ``tlp`` with the description of its label."""
        return [(radio, TLP(radio.data["value"]).description) for radio in self["tlp"]]

    def label_values(self) -> dict:
        data = self.cleaned_data
        return {
            "tlp": data["tlp"],
            "recipient_organisations": list(data.get("recipient_organisations") or []),
            "recipient_people": list(data.get("recipient_people") or []),
        }


def upload_help(limits) -> str:
    """The limits of the partnership in words: largest file and the allowed types."""
    from safepact.exchange.uploads import FILE_TYPES

    keys = list(limits.allowed_types or FILE_TYPES.keys())
    names = []
    for key in keys:
        file_type = FILE_TYPES.get(key)
        if file_type is not None:
            names.append(f"{file_type.label} ({', '.join(file_type.extensions)})")
    return _("At most %(mb)s MB per file. Allowed: %(types)s.") % {
        "mb": limits.max_upload_mb,
        "types": "; ".join(str(name) for name in names),
    }


class PostForm(LabelFieldsMixin, forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of post"), choices=PostKind.choices, initial=PostKind.NEWS, widget=forms.RadioSelect
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text (Markdown)"),
        max_length=100000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Headings with “## ”, lists with “- ”, **bold**; HTML does not work."),
    )

    def __init__(self, *args, organisations=None, people=None, limits=None, creating=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = creating
        if creating:
            self.add_label_fields(organisations=organisations, people=people)
            self.fields["files"] = MultipleFileField(
                label=_("Attachments"),
                required=False,
                help_text=upload_help(limits) if limits is not None else "",
            )

    def service_values(self) -> dict:
        data = self.cleaned_data
        values = {"kind": data["kind"], "title": data["title"], "body": data["body"]}
        if self.creating:
            values.update(self.label_values())
            values["files"] = data.get("files") or []
        return values


class LabelChangeForm(LabelFieldsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you lower the label (towards TLP:CLEAR): it is kept in the audit trail."),
    )

    def __init__(self, *args, organisations, people, **kwargs):
        super().__init__(*args, **kwargs)
        reason = self.fields.pop("reason")
        self.add_label_fields(organisations=organisations, people=people)
        self.fields["reason"] = reason

    @staticmethod
    def initial_for(item) -> dict:
        return {
            "tlp": item.tlp,
            "recipient_organisations": [o.code for o in item.recipient_organisations.all()],
            "recipient_people": [p.code for p in item.recipient_people.all()],
        }


class ForwardForm(forms.Form):
    partnership = forms.ChoiceField(
        label=_("Forward to"),
        help_text=_(
            "A copy is posted in the partnership you choose. A TLP:AMBER post is shared there with your own "
            "organisation only."
        ),
    )

    def __init__(self, *args, partnerships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partnership"].choices = [(str(p.code), p.name) for p in partnerships]


class FilesForm(forms.Form):
    files = MultipleFileField(label=_("Files"))

    def __init__(self, *args, limits, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = upload_help(limits)


class DocumentForm(LabelFieldsMixin, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description (Markdown)"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, organisations=None, people=None, limits=None, creating=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = creating
        if creating:
            self.add_label_fields(organisations=organisations, people=people)
            self.fields["upload"] = forms.FileField(
                label=_("File"), help_text=upload_help(limits) if limits is not None else ""
            )
            self.fields["note"] = forms.CharField(
                label=_("Note on this version (optional)"), max_length=300, required=False
            )

    def service_values(self) -> dict:
        data = self.cleaned_data
        values = {"title": data["title"], "description": data["description"]}
        if self.creating:
            values.update(self.label_values())
            values["upload"] = data["upload"]
            values["note"] = data["note"]
        return values


class VersionForm(forms.Form):
    upload = forms.FileField(label=_("New version of the file"))
    note = forms.CharField(label=_("What changed"), max_length=300, required=False)

    def __init__(self, *args, limits, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["upload"].help_text = upload_help(limits)


class PostFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *PostKind.choices]
    )


SEARCH_KINDS = [
    (ItemKind.POST, _("Posts")),
    (ItemKind.DOCUMENT, _("Documents")),
    (ItemKind.REQUEST, _("Information requests")),
]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search for"), max_length=200, required=False)
    kinds = forms.MultipleChoiceField(
        label=_("Search in"),
        required=False,
        choices=SEARCH_KINDS,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to search everything."),
    )
    offset = forms.IntegerField(required=False, min_value=0, max_value=10000, widget=forms.HiddenInput)


class SettingsForm(forms.Form):
    max_upload_mb = forms.IntegerField(label=_("Largest file (MB)"), min_value=1)
    allowed_types = forms.MultipleChoiceField(
        label=_("Allowed file types"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to allow every type SafePact accepts."),
    )
    red_downloads = forms.BooleanField(
        label=_("TLP:RED files may be downloaded"),
        required=False,
        help_text=_("When off, files of TLP:RED items can be viewed in the browser but not downloaded."),
    )
    post_retention_days = forms.IntegerField(label=_("Keep posts (days)"), min_value=1)
    document_retention_days = forms.IntegerField(label=_("Keep documents (days)"), min_value=1)
    request_retention_days = forms.IntegerField(
        label=_("Keep information requests and answers (days)"), min_value=1
    )
    reminder_days = forms.IntegerField(
        label=_("Remind addressed organisations (days before the deadline)"), min_value=0, max_value=60
    )

    FIELDS = (
        "max_upload_mb",
        "allowed_types",
        "red_downloads",
        "post_retention_days",
        "document_retention_days",
        "request_retention_days",
        "reminder_days",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from django.conf import settings

        from safepact.exchange.uploads import FILE_TYPES

        self.fields["allowed_types"].choices = [(key, t.label) for key, t in FILE_TYPES.items()]
        ceiling = settings.SAFEPACT_EXCHANGE_MAX_UPLOAD_MB
        self.fields["max_upload_mb"].validators.append(MaxValueValidator(ceiling))
        self.fields["max_upload_mb"].widget.attrs["max"] = ceiling
        self.fields["max_upload_mb"].help_text = _("At most %(mb)s MB on this platform.") % {
            "mb": settings.SAFEPACT_EXCHANGE_MAX_UPLOAD_MB
        }
        bounds = settings.SAFEPACT_EXCHANGE_RETENTION
        for kind in ("post", "document", "request"):
            low, high = bounds[kind]
            self.fields[f"{kind}_retention_days"].help_text = _("Between %(low)s and %(high)s days.") % {
                "low": low,
                "high": high,
            }

    @classmethod
    def initial_for(cls, current) -> dict:
        return {name: getattr(current, name) for name in cls.FIELDS}
