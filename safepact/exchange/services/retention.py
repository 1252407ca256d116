"""Retention and data-subject rights: legal holds, the daily purge of expired items, and the subject-access
export.

* ``legal_hold_set``: a coordinator stops (or lets go) the purge of one item they may see.
* ``retention_purge``: the daily job deletes posts (by creation), documents (by their last change) and
  information requests with their answers (by closing, or else their last change) older than the
  partnership's retention period for the kind (``ExchangeSettings``, held within the floor and ceiling of
  ``settings.SAFEPACT_EXCHANGE_RETENTION``), unless a legal hold is set on the item (or, for a request, on
  one of its answers). Each purged item leaves an audit tombstone (``exchange.<kind>.purged``: kind, code,
  label, dates; never a title or text); its files leave storage once the deletion is committed; its search
  entry and the notifications about it (which may carry its title, and go out in the next digest) go with it.
  The access log rows of the item stay: like the audit trail they are the record of who read it and when,
  and hold no text. Five Safes assessments and the register stay.
* ``subject_access_export``: a coordinator's JSON export of every visible item that names a person. Items
  labelled TLP:AMBER+STRICT or TLP:RED cannot leave the platform: the export lists them (kind, code, date,
  label) and says to consult their author.

The audit trail is read by every coordinator, who may not see every item: events of restricted items name
the item by kind, code and label, never by title.
"""

import hashlib
import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.audit.selectors import register_action_labels
from safepact.audit.services import audit_record
from safepact.exchange import permissions
from safepact.exchange.models import (
    Answer,
    Attachment,
    Document,
    DocumentVersion,
    ExchangeSettings,
    InformationRequest,
    ItemKind,
    Post,
)
from safepact.lib import clock
from safepact.lib.tlp import RESTRICTED, TLP
from safepact.partnerships.models import Partnership
from safepact.partnerships.selectors import get_partnership_for_user
from safepact.partnerships.tlp import may_see

__all__ = [
    "HOLD_REASON_MAX",
    "audit_target",
    "forget_notifications",
    "item_kind",
    "legal_hold_set",
    "retention_days",
    "retention_purge",
    "subject_access_export",
]

logger = logging.getLogger(__name__)

HOLD_REASON_MAX = Post._meta.get_field("legal_hold_reason").max_length
KINDS = {
    Post: ItemKind.POST,
    Document: ItemKind.DOCUMENT,
    InformationRequest: ItemKind.REQUEST,
    Answer: ItemKind.ANSWER,
}
#: Purged kinds and the settings field of their retention period (answers go with their request).
RETENTION_FIELDS = {
    ItemKind.POST: "post_retention_days",
    ItemKind.DOCUMENT: "document_retention_days",
    ItemKind.REQUEST: "request_retention_days",
}


def register() -> None:
    actions = {}
    for kind in ItemKind.values:
        actions[f"exchange.{kind}.held"] = gettext_lazy("Legal hold set")
        actions[f"exchange.{kind}.released"] = gettext_lazy("Legal hold lifted")
    actions.update(
        {
            "exchange.post.purged": gettext_lazy("Post deleted at the end of its retention period"),
            "exchange.document.purged": gettext_lazy("Document deleted at the end of its retention period"),
            "exchange.request.purged": gettext_lazy(
                "Information request and its answers deleted at the end of their retention period"
            ),
            "exchange.subject_access.exported": gettext_lazy("Subject-access export"),
        }
    )
    register_action_labels(
        actions,
        {
            "exchange.post": gettext_lazy("Posts"),
            "exchange.document": gettext_lazy("Documents"),
            "exchange.request": gettext_lazy("Information requests"),
            "exchange.answer": gettext_lazy("Answers"),
            "exchange.subject_access": gettext_lazy("Subject access"),
        },
    )


# Helpers -------------------------------------------------------------------------------------------


def item_kind(item) -> str:
    try:
        return KINDS[type(item)]
    except KeyError:
        raise TypeError(f"Not an item of the exchange: {type(item).__name__}") from None


class _Named:
    """What the audit trail records as the target of an event about an item whose title may not be shown:
    the item's model and code, labelled "post 1a2b… (TLP:RED)"."""

    def __init__(self, item, kind: str):
        self._meta = item._meta
        self.pk = item.pk
        self.code = item.code
        self._label = f"{kind} {item.code} ({TLP(item.tlp).label})"

    def __str__(self) -> str:
        return self._label


def audit_target(item, *, tombstone: bool = False):
    """The item itself for CLEAR and GREEN (its title is the event's label); for restricted items, and for
    every tombstone, a stand-in that carries only kind, code and label."""
    if tombstone or TLP(item.tlp) in RESTRICTED:
        return _Named(item, item_kind(item))
    return item


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


# Legal holds ---------------------------------------------------------------------------------------


@transaction.atomic
def legal_hold_set(*, actor, item, hold: bool, reason: str = ""):
    """Set (``hold=True``, with a reason) or lift the legal hold of a post, document, request or answer.

    Coordinators only (403), and only on items they may see (404 otherwise, like for anyone else)."""
    kind = item_kind(item)
    model = type(item)
    partnership = get_partnership_for_user(actor, item.partnership.code)
    permissions.ensure(
        permissions.can_hold(partnership.membership),
        _("Only coordinators of this partnership can set a legal hold."),
    )
    locked = model.objects.select_for_update(of=("self",)).filter(pk=item.pk, partnership=partnership).first()
    if locked is None or not may_see(actor, locked):
        raise Http404(_("Item not found."))
    reason = " ".join(str(reason or "").split())
    if hold and not reason:
        raise ValidationError({"reason": _("Say why the item must be kept (the case or the request).")})
    if len(reason) > HOLD_REASON_MAX:
        raise ValidationError({"reason": _("At most %(limit)d characters.") % {"limit": HOLD_REASON_MAX}})
    hold = bool(hold)
    if locked.legal_hold == hold and (not hold or locked.legal_hold_reason == reason):
        return locked
    before = {"legal_hold": locked.legal_hold}
    locked.legal_hold = hold
    locked.legal_hold_reason = reason if hold else ""
    locked.save(update_fields=["legal_hold", "legal_hold_reason"])
    locked.partnership = partnership
    audit_record(
        actor=actor,
        action=f"exchange.{kind}.{'held' if hold else 'released'}",
        target=audit_target(locked),
        partnership=partnership,
        before=before,
        after={"legal_hold": hold, "code": str(locked.code), "tlp": locked.tlp},
        reason=reason,
    )
    return locked


# The purge -----------------------------------------------------------------------------------------


def retention_days(settings_row: ExchangeSettings, kind: str) -> int:
    """The partnership's retention period for ``kind``, held within the floor and ceiling of the settings
    (a period saved before the bounds changed never purges sooner than the floor allows)."""
    floor, ceiling = settings.SAFEPACT_EXCHANGE_RETENTION[kind]
    return min(max(getattr(settings_row, RETENTION_FIELDS[kind]), floor), ceiling)


def _day_start(on: date) -> datetime:
    return timezone.make_aware(datetime.combine(on, time.min), timezone.get_current_timezone())


def _expired(kind: str, on: date, reference: str) -> Q:
    """Items of ``kind`` whose ``reference`` moment is older than their partnership's retention period on
    ``on``: kept for the whole period, purged from the next day on. One condition for every partnership."""
    saved = {row.partnership_id: row for row in ExchangeSettings.objects.all()}
    by_days: dict[int, list[int]] = {}
    for partnership_id, row in saved.items():
        by_days.setdefault(retention_days(row, kind), []).append(partnership_id)
    condition = ~Q(partnership_id__in=list(saved)) & Q(
        **{f"{reference}__lt": _day_start(on - timedelta(days=retention_days(ExchangeSettings(), kind)))}
    )
    for days, partnership_ids in by_days.items():
        condition |= Q(partnership_id__in=partnership_ids) & Q(
            **{f"{reference}__lt": _day_start(on - timedelta(days=days))}
        )
    return condition


def _candidates(kind: str, on: date):
    """(queryset of purgeable items, the condition to re-check each one under lock, days by partnership)."""
    if kind == ItemKind.POST:
        queryset, reference = Post.objects.all(), "created_at"
    elif kind == ItemKind.DOCUMENT:
        queryset, reference = Document.objects.all(), "updated_at"
    else:
        held_answer = Answer.objects.filter(request=OuterRef("pk"), legal_hold=True)
        queryset = InformationRequest.objects.annotate(
            retention_from=Coalesce("closed_at", "updated_at")
        ).filter(~Exists(held_answer))
        reference = "retention_from"
    return queryset.filter(_expired(kind, on, reference), legal_hold=False)


def _files_of(kind: str, item) -> list:
    """The stored files of an item: attachments (and those of a request's answers) or document versions."""
    if kind == ItemKind.POST:
        return list(Attachment.objects.filter(post=item))
    if kind == ItemKind.DOCUMENT:
        return list(DocumentVersion.objects.filter(document=item))
    return list(Attachment.objects.filter(Q(request=item) | Q(answer__request=item)))


def _delete_files_later(stored: list) -> None:
    """Remove the files from storage once the deletion is committed (a rollback keeps them)."""
    names = [(entry.file.storage, entry.file.name) for entry in stored if entry.file.name]

    def remove():
        for storage, name in names:
            try:
                storage.delete(name)
            except OSError:
                logger.exception("Could not delete purged file %s", name)

    if names:
        transaction.on_commit(remove)


def _unindex(item) -> None:
    from safepact.exchange import search

    search.unindex_item(item)


def forget_notifications(item) -> int:
    """Delete the notifications about a post, document or request (an answer's are its request's) that is
    being deleted: they link to its page and, for TLP:CLEAR and GREEN, carry its title, which must not
    outlive the item (nor still go out in a digest). Inside the deleting transaction. Returns how many."""
    from safepact.exchange.selectors.posts import page_path
    from safepact.notifications.models import Notification

    deleted, _by_model = Notification.objects.filter(
        partnership_id=item.partnership_id, url__startswith=page_path(item)
    ).delete()
    return deleted


def _purge_one(kind: str, pk: int, on: date) -> bool:
    """Purge one item if it is still expired and not held (re-checked under lock). ``True`` if purged."""
    with transaction.atomic():
        item = (
            _candidates(kind, on)
            .select_for_update(of=("self",))
            .filter(pk=pk)
            .select_related("partnership")
            .first()
        )
        if item is None:
            return False
        settings_row = (
            ExchangeSettings.objects.filter(partnership=item.partnership).first() or ExchangeSettings()
        )
        stored = _files_of(kind, item)
        after = {
            "kind": kind,
            "code": str(item.code),
            "tlp": item.tlp,
            "created_at": _iso(item.created_at),
            "updated_at": _iso(item.updated_at),
            "retention_days": retention_days(settings_row, kind),
            "files": len(stored),
        }
        if kind == ItemKind.REQUEST:
            after["closed_at"] = _iso(item.closed_at)
            after["answers"] = [str(code) for code in item.answers.values_list("code", flat=True)]
        audit_record(
            actor=None,
            actor_label="safepact",
            action=f"exchange.{kind}.purged",
            target=audit_target(item, tombstone=True),
            partnership=item.partnership,
            after=after,
        )
        _unindex(item)
        forget_notifications(item)
        item.delete()
        _delete_files_later(stored)
    return True


def retention_purge(*, on: date | None = None) -> dict[str, int]:
    """Delete every item past its retention period on ``on`` (today), except those under a legal hold.

    Returns how many were purged per kind (``post``, ``document``, ``request``). Each item goes in its own
    transaction: one that fails is logged and the others still go.
    """
    on = on or clock.today()
    purged = dict.fromkeys(RETENTION_FIELDS, 0)
    for kind in RETENTION_FIELDS:
        for pk in list(_candidates(kind, on).values_list("pk", flat=True)):
            try:
                if _purge_one(kind, pk, on):
                    purged[kind] += 1
            except Exception:
                logger.exception("Purging %s %s failed", kind, pk)
    if any(purged.values()):
        logger.info("Retention purge on %s: %s", on, purged)
    return purged


# Subject access ------------------------------------------------------------------------------------


@transaction.atomic
def subject_access_export(*, actor, partnership: Partnership, term: str) -> bytes:
    """The JSON export of every item the coordinator may see that names ``term`` (GDPR Art. 15), audited.

    Items with an exportable label (CLEAR, GREEN, AMBER) are exported in full; AMBER+STRICT and RED items are
    only listed (kind, code, date, label) with the advice to consult their author."""
    from safepact.exchange import documents
    from safepact.exchange.selectors.retention import clean_term, subject_access_items

    partnership = get_partnership_for_user(actor, partnership.code, manage=True)
    if not permissions.can_subject_access(partnership.membership):  # pragma: no cover - manage implies it
        raise PermissionDenied(_("Only coordinators of this partnership can do this."))
    term = clean_term(term)
    items = subject_access_items(user=actor, partnership=partnership, term=term)
    content, summary = documents.subject_access_json(
        partnership=partnership, term=term, items=items, actor=actor, exported_at=clock.now()
    )
    audit_record(
        actor=actor,
        action="exchange.subject_access.exported",
        partnership=partnership,
        after={
            # The name is personal data: the trail keeps its fingerprint, not the name.
            "term_sha256": hashlib.sha256(term.casefold().encode()).hexdigest(),
            "items": summary["items"],
            "withheld": summary["withheld"],
            "codes": summary["codes"],
            "file_sha256": hashlib.sha256(content).hexdigest(),
        },
    )
    return content
