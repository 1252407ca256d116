"""How agreements plug into the floors below: the confidentiality gate (``partnerships.tlp``), the
dashboard's attention list, the overview page's notices and section link, and the demo."""

from django.db.models import Exists, Max, OuterRef, Q
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from safepact.agreements import selectors
from safepact.agreements.models import Agreement, Party, Signature, Status
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


def _renewed(expired: list[selectors.Due]) -> set[int]:
    """Of these expired agreements, the ids of those a later agreement of the same type in force has
    replaced (their reminder is no longer news). One query for all of them."""
    if not expired:
        return set()
    latest: dict[tuple[int, str], object] = {}
    for row in (
        Agreement.objects.filter(
            partnership_id__in={d.agreement.partnership_id for d in expired},
            status=Status.IN_FORCE,
            in_force_at__isnull=False,
        )
        .filter(Q(expiry_date__isnull=True) | Q(expiry_date__gte=selectors.today()))
        .order_by()
        .values("partnership_id", "kind")
        .annotate(latest=Max("in_force_at"))
    ):
        latest[(row["partnership_id"], row["kind"])] = row["latest"]
    renewed = set()
    for due in expired:
        newer = latest.get((due.agreement.partnership_id, due.agreement.kind))
        if newer is not None and (due.agreement.in_force_at is None or newer > due.agreement.in_force_at):
            renewed.add(due.agreement.pk)
    return renewed


def attention(*, user, memberships) -> dict[int, list[AttentionItem]]:
    """Coordinators: review and expiry dates within the notice period, and expired agreements not yet
    renewed. Everyone with a signatory flag: agreements waiting for their organisation's signature.

    A fixed number of queries for any number of partnerships: one for the dates (plus one for the notice
    settings and one for renewals when there is something to show), one for the signatures awaited.
    """
    coordinated = [m.partner.partnership_id for m in memberships if m.role == Role.COORDINATOR]
    items: dict[int, list[AttentionItem]] = {}
    if coordinated:
        due = selectors.reminders_due(partnership_ids=coordinated)
        renewed = _renewed([d for d in due if d.kind == "expired"])
        for item in due:
            if item.agreement.pk in renewed:
                continue
            items.setdefault(item.agreement.partnership_id, []).append(
                AttentionItem(due_text(item), _url(item.agreement))
            )
    # a viewer flagged as signatory cannot sign (signing is a write), so is not asked to
    signing_for = {
        m.partner_id: m.partner.partnership_id
        for m in memberships
        if m.is_signatory and m.role != Role.VIEWER
    }
    if signing_for:
        signed = Signature.objects.filter(
            party=OuterRef("pk"), version_id=OuterRef("agreement__final_version_id")
        )
        waiting = (
            Party.objects.filter(
                partner_id__in=signing_for.keys(),
                withdrawn_on__isnull=True,
                agreement__status=Status.SIGNING,
            )
            .filter(~Exists(signed))
            .select_related("agreement__partnership")
            .order_by("agreement__created_at", "agreement_id")
        )
        shown = set()
        for party in waiting:
            agreement = party.agreement
            if agreement.pk in shown:
                continue
            shown.add(agreement.pk)
            items.setdefault(agreement.partnership_id, []).append(
                AttentionItem(
                    _("“%(title)s” awaits your organisation's signature.") % {"title": agreement.title},
                    _url(agreement),
                )
            )
    return items


def notices(*, user, partnership) -> list[Notice]:
    """The partnership's state as agreements give it: an agreement that expired and was not renewed (one
    notice per type), and a closed confidentiality gate. Two queries, plus the gate's."""
    found = []
    today = selectors.today()
    ended = list(
        Agreement.objects.filter(
            Q(status=Status.EXPIRED) | Q(status=Status.IN_FORCE, expiry_date__lt=today),
            partnership=partnership,
        ).order_by("-expiry_date", "-pk")
    )
    if ended:
        current = dict(
            Agreement.objects.filter(
                partnership=partnership, status=Status.IN_FORCE, in_force_at__isnull=False
            )
            .filter(Q(expiry_date__isnull=True) | Q(expiry_date__gte=today))
            .order_by()
            .values_list("kind")
            .annotate(latest=Max("in_force_at"))
        )
        kinds = set()
        for agreement in ended:
            if agreement.kind in kinds:
                continue  # an older one of the same type
            kinds.add(agreement.kind)
            newer = current.get(agreement.kind)
            if newer is not None and agreement.in_force_at is not None and newer > agreement.in_force_at:
                continue  # renewed
            agreement.partnership = partnership
            found.append(
                Notice(
                    "error",
                    _(
                        "“%(title)s” expired on %(date)s: the partnership works without this agreement in "
                        "force until it is renewed."
                    )
                    % {
                        "title": agreement.title,
                        "date": formats.date_format(agreement.expiry_date, "DATE_FORMAT"),
                    },
                    _url(agreement),
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
    from safepact.agreements.demo import agreements_demo

    register_gate(
        selectors.confidentiality_gate,
        explain=selectors.explain_withheld,
        organisation_passes=selectors.organisation_passes,
    )
    hooks.register_demo(agreements_demo)
    hooks.register_attention(attention)
    hooks.register_notice(notices)
    hooks.register_section(gettext_lazy("Agreements"), "agreements:list")
