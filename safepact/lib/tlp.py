"""Traffic Light Protocol 2.0: labels, the model field, the labelled mixin and the pure sharing rule.

Floor 0: nothing here knows about partnerships or memberships. The policy that needs them
(``may_see``, ``visible_to``) lives in ``safepact/partnerships/tlp.py``; see
docs/decisions/0001-tlp-policy-lives-in-partnerships.md.

The rule, per label, for an item that belongs to one partnership:

========================  =================================================================
``TLP:CLEAR``             everyone (public)
``TLP:GREEN``             the community: active members of the item's partnership
``TLP:AMBER``             active members whose organisation (the partner they take part
``TLP:AMBER+STRICT``      through) is a recipient organisation of the item
``TLP:RED``               active members named as recipient people of the item
========================  =================================================================

The author always sees their own item while they are still an active member. AMBER and
AMBER+STRICT see the same people on the platform; they differ in what recipients may do
next: AMBER+STRICT and RED may not leave the platform (``may_export``).

Recipient organisations only matter for AMBER and AMBER+STRICT, recipient people only for
RED; forms should offer the field that matters for the chosen label.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TLP(models.TextChoices):
    # Translators: TLP 2.0 asks that the label itself stay in English (TLP:CLEAR); translate the descriptions.
    CLEAR = "clear", _("TLP:CLEAR")
    # Translators: keep the TLP label in English.
    GREEN = "green", _("TLP:GREEN")
    # Translators: keep the TLP label in English.
    AMBER = "amber", _("TLP:AMBER")
    # Translators: keep the TLP label in English.
    AMBER_STRICT = "amber+strict", _("TLP:AMBER+STRICT")
    # Translators: keep the TLP label in English.
    RED = "red", _("TLP:RED")

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self]

    @property
    def css_class(self) -> str:
        """The stylesheet class: ``tlp-amber-strict`` for ``amber+strict``."""
        return "tlp-" + self.value.replace("+", "-")


# FIRST.org TLP 2.0 definitions, shortened and applied to a partnership.
DESCRIPTIONS = {
    TLP.CLEAR: _("Disclosure is not limited: this may be shared with anyone, including the public."),
    TLP.GREEN: _(
        "Limited disclosure: for the members of this partnership; do not share it via publicly "
        "accessible channels."
    ),
    TLP.AMBER: _(
        "Limited disclosure: for the recipient organisations only; they may share it within their "
        "organisation and with its clients on a need-to-know basis."
    ),
    TLP.AMBER_STRICT: _(
        "Limited disclosure: for the recipient organisations only; they may share it within their "
        "own organisation on a need-to-know basis, and with no one else."
    ),
    TLP.RED: _("For the named recipients only: no further disclosure, not even within their organisation."),
}

#: Labels narrowed to recipients; the confidentiality gates apply to these only.
RESTRICTED = (TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)
#: Labels that never leave the platform: no export, no forwarding, no e-mail body. (Downloading a file is
#: governed by the exchange: AMBER+STRICT files stay downloadable within the organisation, RED files are
#: view-only unless the partnership allows downloads.)
NOT_EXPORTABLE = (TLP.AMBER_STRICT, TLP.RED)

DEFAULT = TLP.GREEN


class TLPField(models.CharField):
    """A TLP 2.0 label.

    The default is ``TLP:GREEN``: content lives inside a closed partnership workspace, so the
    community of active members is its natural audience. ``CLEAR`` would publish by accident;
    ``AMBER`` without chosen recipients would hide the item from everybody but its author,
    a surprise that pushes people to over-share to fix it. A form should still ask the author
    to choose consciously.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 16)
        kwargs.setdefault("choices", TLP.choices)
        kwargs.setdefault("default", DEFAULT)
        kwargs.setdefault("verbose_name", _("TLP label"))
        kwargs.setdefault(
            "help_text", _("Traffic Light Protocol: who may see this and what they may do with it.")
        )
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        """Keep label wording out of migrations: only deviations from the defaults are recorded."""
        name, path, args, kwargs = super().deconstruct()
        for key, value in (("max_length", 16), ("choices", TLP.choices), ("default", DEFAULT)):
            if kwargs.get(key) == value:
                kwargs.pop(key)
        kwargs.pop("verbose_name", None)
        kwargs.pop("help_text", None)
        return name, path, args, kwargs


class TLPLabelled(models.Model):
    """Mixin for labelled content. Concrete models must also have a ``partnership`` foreign key.

    A concrete model that declares its own ``Meta`` should inherit ``TLPLabelled.Meta`` to keep
    the check constraint. Read access always goes through ``safepact.partnerships.tlp``.
    """

    tlp = TLPField()
    recipient_organisations = models.ManyToManyField(
        "accounts.Organisation",
        blank=True,
        related_name="+",
        verbose_name=_("recipient organisations"),
        help_text=_("For TLP:AMBER and TLP:AMBER+STRICT: the organisations that may see this."),
    )
    recipient_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("recipient people"),
        help_text=_("For TLP:RED: the people who may see this."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(condition=Q(tlp__in=TLP.values), name="%(app_label)s_%(class)s_tlp_valid"),
        ]


def may_see_label(
    label, *, is_author: bool, is_member: bool, org_is_recipient: bool, is_named_recipient: bool
) -> bool:
    """The pure sharing rule. ``is_member``: an active member of the item's partnership.

    ``org_is_recipient``: an organisation the person takes part through (in that partnership)
    is a recipient organisation. ``is_named_recipient``: the person is a recipient person.
    """
    label = TLP(label)
    if label == TLP.CLEAR:
        return True
    if not is_member:
        return False
    if is_author or label == TLP.GREEN:
        return True
    if label in (TLP.AMBER, TLP.AMBER_STRICT):
        return org_is_recipient
    return is_named_recipient  # RED


def may_export(label) -> bool:
    """Whether content with this label may leave the platform (download, export, e-mail)."""
    return TLP(label) not in NOT_EXPORTABLE
