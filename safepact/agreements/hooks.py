"""How agreements plug into the floors below: the confidentiality gate (``partnerships.tlp``), the
dashboard's attention list, the overview page's notices and section link, and the demo."""

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from safepact.agreements import selectors
from safepact.agreements.models import Agreement, Status
from safepact.partnerships import hooks
from safepact.partnerships.hooks import AttentionItem, Notice
from safepact.partnerships.models import Role
from safepact.partnerships.tlp import register_gate


def _url(agreement: Agreement) -> str:
    return reverse(
        "agreements:detail", kwargs={"code": agreement.partnership.code, "agreement_code": agreement.code}
    )


def due_text(due: selectors.Due) -> str:
    title, date = due.agreement.title, formats.date_format(due.due, "DATE_FORMAT")
    if due.kind == "expired":
        return _("“%(title)s” expired on %(date)s.") % {"title": title, "date": date}
    days = due.days_left
    if due.kind == "expiry":
        return ngettext(
            "“%(title)s” expires on %(date)s (in %(days)s day).",
            "“%(title)s” expires on %(date)s (in %(days)s days).",
            days,
        ) % {"title": title, "date": date, "days": days}
    if days < 0:
        return _("The review of “%(title)s” was due on %(date)s.") % {"title": title, "date": date}
    return ngettext(
        "“%(title)s” is due for review on %(date)s (in %(days)s day).",
        "“%(title)s” is due for review on %(date)s (in %(days)s days).",
        days,
    ) % {"title": title, "date": date, "days": days}


def attention(*, user, memberships) -> dict[int, list[AttentionItem]]:
    """Coordinators: review and expiry dates within the notice period, and expired agreements.
    Everyone with a signatory flag: agreements waiting for their organisation's signature."""
    coordinated = [m.partner.partnership_id for m in memberships if m.role == Role.COORDINATOR]
    items: dict[int, list[AttentionItem]] = {}
    if coordinated:
        for due in selectors.reminders_due(partnership_ids=coordinated):
            items.setdefault(due.agreement.partnership_id, []).append(
                AttentionItem(due_text(due), _url(due.agreement))
            )
    signing_for = {m.partner_id: m.partner.partnership_id for m in memberships if m.is_signatory}
    if signing_for:
        waiting = (
            Agreement.objects.filter(status=Status.SIGNING, parties__partner_id__in=signing_for.keys())
            .filter(parties__withdrawn_on__isnull=True)
            .exclude(signatures__party__partner_id__in=signing_for.keys())
            .select_related("partnership")
            .distinct()
        )
        for agreement in waiting:
            items.setdefault(agreement.partnership_id, []).append(
                AttentionItem(
                    _("“%(title)s” awaits your organisation's signature.") % {"title": agreement.title},
                    _url(agreement),
                )
            )
    return items


def notices(*, user, partnership) -> list[Notice]:
    """The partnership's state as agreements give it: an expired or missing covenant, a closed gate."""
    found = []
    ended = Agreement.objects.filter(
        partnership=partnership, status=Status.IN_FORCE, expiry_date__lt=selectors.today()
    ) | Agreement.objects.filter(partnership=partnership, status=Status.EXPIRED)
    latest_expired = ended.select_related("partnership").order_by("-expiry_date").first()
    if (
        latest_expired is not None
        and not Agreement.objects.filter(
            partnership=partnership,
            kind=latest_expired.kind,
            status=Status.IN_FORCE,
            in_force_at__gt=latest_expired.in_force_at,
        )
        .exclude(expiry_date__lt=selectors.today())
        .exists()
    ):
        found.append(
            Notice(
                "error",
                _(
                    "“%(title)s” expired on %(date)s: the partnership works without this agreement in force until it is renewed."
                )
                % {
                    "title": latest_expired.title,
                    "date": formats.date_format(latest_expired.expiry_date, "DATE_FORMAT"),
                },
                _url(latest_expired),
                _("Open the agreement"),
            )
        )
    gate = selectors.confidentiality_status(user, partnership)
    if gate.required and not gate.passes:
        found.append(
            Notice(
                "warning", gate.message, gate.url, _("Open the confidentiality agreement") if gate.url else ""
            )
        )
    return found


def register() -> None:
    register_gate(selectors.confidentiality_gate, explain=selectors.explain_withheld)
    hooks.register_attention(attention)
    hooks.register_notice(notices)
    hooks.register_section(gettext_lazy("Agreements"), "agreements:list")
