"""Writes for posts, documents and their files, label changes, forwarding, the access log and settings.

Every service is keyword-only and atomic, re-checks the actor's scope inside the transaction (404 for
outsiders and for items they may not see, 403 without the role), refuses bad input with a
``ValidationError`` naming the field before anything is stored, and writes an audit event in the same
transaction. The audit trail is read by every coordinator, and not every coordinator may read every item:
so it records codes, labels, kinds and sizes, never the title or text of a TLP:AMBER, AMBER+STRICT or RED
item (``audit_target`` keeps the title out of the event's target label too). Notifications of restricted
items carry a neutral title ("New warning in Sofielund") and no text.

Files are checked (``uploads.check_upload``) before the first one is written; files written by a service
that then fails are removed again, and the files of a deleted item are removed once the deletion commits.
"""

from contextlib import contextmanager
from functools import partial

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.accounts.models import Organisation
from safepact.audit.selectors import register_action_labels
from safepact.audit.services import audit_record, audit_record_changes
from safepact.exchange import permissions
from safepact.exchange.models import (
    AccessAction,
    AccessLog,
    Assessment,
    Attachment,
    Document,
    DocumentVersion,
    ExchangeSettings,
    InformationRequest,
    Post,
    PostKind,
)
from safepact.exchange.selectors.posts import (
    item_kind_of,
    owner_of,
    page_path,
    parse_code,
    settings_for,
)
from safepact.exchange.services import requests as request_services
from safepact.exchange.uploads import FILE_TYPES, check_upload
from safepact.lib import clock
from safepact.lib.tlp import RESTRICTED, TLP
from safepact.notifications.services import notify
from safepact.partnerships.models import Membership, Partnership, PartnerStatus
from safepact.partnerships.selectors import ACTIVE_MEMBERSHIP, get_partnership_for_user, membership_in
from safepact.partnerships.tlp import may_see, withheld_reason

__all__ = [
    "access_record",
    "attachment_add",
    "document_create",
    "document_update",
    "document_version_add",
    "label_change",
    "post_create",
    "post_delete",
    "post_forward",
    "post_update",
    "posts_export_record",
    "settings_update",
]

TITLE_MAX = 200
TEXT_MAX = 50_000
NOTE_MAX = 300
REASON_MAX = 1000
MAX_FILES = 20
#: Order of the labels, from the widest audience to the narrowest: a lower rank is a lowering.
RANK = {TLP.CLEAR: 0, TLP.GREEN: 1, TLP.AMBER: 2, TLP.AMBER_STRICT: 3, TLP.RED: 4}
#: Settings a coordinator changes, and the retention kind of each retention field.
SETTING_FIELDS = (
    "max_upload_mb",
    "allowed_types",
    "red_downloads",
    "post_retention_days",
    "document_retention_days",
    "request_retention_days",
    "reminder_days",
)
RETENTION_FIELDS = {
    "post_retention_days": "post",
    "document_retention_days": "document",
    "request_retention_days": "request",
}
REMINDER_MAX = 30


def register() -> None:
    register_action_labels(
        {
            "exchange.post.created": gettext_lazy("Post published"),
            "exchange.post.updated": gettext_lazy("Post changed"),
            "exchange.post.deleted": gettext_lazy("Post deleted"),
            "exchange.post.forwarded": gettext_lazy("Post forwarded to another partnership"),
            "exchange.post.relabelled": gettext_lazy("TLP label of a post changed"),
            "exchange.post.exported": gettext_lazy("Posts exported (CSV)"),
            "exchange.attachment.added": gettext_lazy("File attached"),
            "exchange.document.created": gettext_lazy("Document added"),
            "exchange.document.updated": gettext_lazy("Document changed"),
            "exchange.document.version_added": gettext_lazy("New version of a document"),
            "exchange.document.relabelled": gettext_lazy("TLP label of a document changed"),
            "exchange.request.relabelled": gettext_lazy("TLP label of an information request changed"),
            "exchange.settings.changed": gettext_lazy("Information exchange settings changed"),
        },
        {
            "exchange": gettext_lazy("Information exchange"),
            "exchange.post": gettext_lazy("Posts"),
            "exchange.attachment": gettext_lazy("Files"),
            "exchange.document": gettext_lazy("Documents"),
            "exchange.settings": gettext_lazy("Information exchange settings"),
        },
    )


# Helpers -------------------------------------------------------------------------------------------


class _AuditTarget:
    """Stands in for an item as ``audit_record(target=...)``: its type and code, and as label its title
    only when the label is CLEAR or GREEN (``str(item)`` is the title, which the trail must not hold for
    restricted items)."""

    def __init__(self, item):
        self._meta = item._meta
        self.code = item.code
        self.pk = item.pk
        restricted = getattr(item, "tlp", TLP.GREEN) in RESTRICTED
        self._label = f"{item._meta.model_name} {item.code}" if restricted else str(item)

    def __str__(self) -> str:
        return self._label


def audit_target(item):
    """The target to give ``audit_record`` for a labelled item: no restricted title in the trail."""
    return _AuditTarget(item)


def _scope(actor, partnership: Partnership, *, write: bool = False, manage: bool = False) -> Partnership:
    return get_partnership_for_user(actor, partnership.code, write=write, manage=manage)


def _lock(actor, item, *, write: bool = False):
    """Re-check the actor's scope, lock and re-read ``item``; 404 when the actor may not see it."""
    partnership = get_partnership_for_user(actor, item.partnership.code, write=write)
    model = type(item)
    locked = model.objects.select_for_update().filter(pk=item.pk, partnership=partnership).first()
    if locked is None or not may_see(actor, locked):
        raise Http404(_("Not found."))
    locked.partnership = partnership
    return locked


def _ensure_editor(item) -> None:
    permissions.ensure(
        permissions.can_edit_item(item.partnership.membership, item),
        _("Only the author and the coordinators can do this."),
    )


def _text(errors: dict, field: str, value, *, required: bool, limit: int, message: str) -> str:
    value = (value or "").strip() if isinstance(value, str) or value is None else None
    if value is None:
        errors[field] = message
        return ""
    if required and not value:
        errors[field] = message
    elif len(value) > limit:
        errors[field] = _("This can be at most %(max)s characters.") % {"max": limit}
    return value


def _label(errors: dict, tlp) -> TLP | None:
    try:
        return TLP(tlp)
    except ValueError:
        errors["tlp"] = _("Choose a TLP label: clear, green, amber, amber+strict or red.")
        return None


def _active_members(partnership: Partnership):
    return Membership.objects.filter(
        ACTIVE_MEMBERSHIP, partner__partnership=partnership, user__is_active=True
    )


def _resolve(values, model, field: str, errors: dict, message: str) -> list:
    """Instances of ``model`` given as instances or codes, de-duplicated; an unknown code is an error."""
    found, codes = [], []
    for value in values or ():
        if isinstance(value, model):
            found.append(value)
        else:
            parsed = parse_code(value)
            if parsed is None:
                errors[field] = message
                return []
            codes.append(parsed)
    if codes:
        by_code = {o.code: o for o in model.objects.filter(code__in=codes)}
        if len(by_code) != len(set(codes)):
            errors[field] = message
            return []
        found.extend(by_code[c] for c in codes)
    unique, seen = [], set()
    for obj in found:
        if obj.pk not in seen:
            seen.add(obj.pk)
            unique.append(obj)
    return unique


def _clean_recipients(
    errors: dict, *, partnership: Partnership, label: TLP | None, organisations, people, author
) -> tuple[list, list]:
    """The recipients the label needs: for AMBER and AMBER+STRICT at least one organisation of an active
    partner (the author's own organisation is added), for RED at least one active member. Recipients the
    label does not use are dropped."""
    if label in (TLP.AMBER, TLP.AMBER_STRICT):
        message = _("Recipient organisations must be active partners of this partnership.")
        orgs = _resolve(organisations, Organisation, "recipient_organisations", errors, message)
        if "recipient_organisations" in errors:
            return [], []
        allowed = set(
            partnership.partners.filter(status=PartnerStatus.ACTIVE).values_list("organisation_id", flat=True)
        )
        if not orgs:
            errors["recipient_organisations"] = _(
                "Name at least one recipient organisation for %(label)s."
            ) % {"label": label.label}
        elif any(o.pk not in allowed for o in orgs):
            errors["recipient_organisations"] = message
        else:
            own = membership_in(author, partnership) if author is not None else None
            if own is not None and own.partner.organisation_id not in {o.pk for o in orgs}:
                orgs.append(own.partner.organisation)
        return orgs, []
    if label == TLP.RED:
        message = _("Recipient people must be active members of this partnership.")
        users = _resolve(people, get_user_model(), "recipient_people", errors, message)
        if "recipient_people" in errors:
            return [], []
        allowed = set(_active_members(partnership).values_list("user_id", flat=True))
        if not users:
            errors["recipient_people"] = _("Name at least one recipient person for TLP:RED.")
        elif any(u.pk not in allowed for u in users):
            errors["recipient_people"] = message
        return [], users
    return [], []


def _label_snapshot(item) -> dict:
    return {
        "tlp": item.tlp,
        "recipient_organisations": sorted(
            str(c) for c in item.recipient_organisations.values_list("code", flat=True)
        ),
        "recipient_people": sorted(str(c) for c in item.recipient_people.values_list("code", flat=True)),
    }


def _set_recipients(item, label: TLP, organisations, people) -> None:
    item.recipient_organisations.set(organisations if label in (TLP.AMBER, TLP.AMBER_STRICT) else [])
    item.recipient_people.set(people if label == TLP.RED else [])


def _check_visible_to_writer(actor, item) -> None:
    """The writer must still see what they wrote (a gate may withhold restricted items)."""
    if not may_see(actor, item):
        reason = withheld_reason(actor, item)
        raise ValidationError(
            {"tlp": reason or _("With this label and these recipients you could no longer see it yourself.")}
        )


def _index(item) -> None:
    from safepact.exchange import search

    search.index_item(item)


def _unindex(item) -> None:
    from safepact.exchange import search

    search.unindex_item(item)


def _storage(model):
    return model._meta.get_field("file").storage


@contextmanager
def _files_removed_on_error(model):
    """Yields a list to put the stored names of newly written files in; removes them if the block fails."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        storage = _storage(model)
        for name in written:
            storage.delete(name)
        raise


def _delete_files_after_commit(model, names) -> None:
    names = [n for n in names if n]
    if names:
        transaction.on_commit(partial(_delete_files, _storage(model), names))


def _delete_files(storage, names) -> None:
    for name in names:
        storage.delete(name)


def _checked_files(files, limits: ExchangeSettings) -> list:
    """Check every upload before any is stored: a list of (upload, CheckedFile)."""
    files = [f for f in (files or ()) if f is not None]
    if len(files) > MAX_FILES:
        raise ValidationError({"file": _("Attach at most %(max)s files at once.") % {"max": MAX_FILES}})
    return [(f, check_upload(f, limits=limits)) for f in files]


def _store(model, written: list, *, actor, upload, checked, **owner):
    """Write one checked file and its row (an ``Attachment`` or ``DocumentVersion``)."""
    stored = model(
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        created_by=actor,
        created_at=clock.now(),
        **owner,
    )
    if hasattr(upload, "seek"):
        upload.seek(0)
    stored.file.save(checked.name, upload, save=False)
    written.append(stored.file.name)
    stored.save()
    return stored


def _file_record(stored, label) -> dict:
    record = {
        "file": str(stored.code),
        "type": stored.content_type,
        "size": stored.size,
        "sha256": stored.sha256,
    }
    if TLP(label) not in RESTRICTED:
        record["name"] = stored.name
    return record


# Posts ---------------------------------------------------------------------------------------------

KIND_NOTICES = {
    PostKind.NEWS: gettext_lazy("New news item in %(partnership)s"),
    PostKind.UPDATE: gettext_lazy("New update in %(partnership)s"),
    PostKind.WARNING: gettext_lazy("New warning in %(partnership)s"),
    PostKind.GOOD_PRACTICE: gettext_lazy("New good practice in %(partnership)s"),
}
KIND_TITLED_NOTICES = {
    PostKind.NEWS: gettext_lazy("News: %(title)s"),
    PostKind.UPDATE: gettext_lazy("Update: %(title)s"),
    PostKind.WARNING: gettext_lazy("Warning: %(title)s"),
    PostKind.GOOD_PRACTICE: gettext_lazy("Good practice: %(title)s"),
}


def _post_snapshot(post: Post) -> dict:
    snapshot = {"kind": post.kind, "title_characters": len(post.title), "body_characters": len(post.body)}
    if TLP(post.tlp) not in RESTRICTED:
        snapshot["title"] = post.title
    return snapshot


def _clean_post_fields(errors: dict, *, kind, title, body) -> tuple[str, str, str]:
    if kind not in PostKind.values:
        errors["kind"] = _("Choose news, update, warning or good practice.")
    title = _text(errors, "title", title, required=True, limit=TITLE_MAX, message=_("Give the post a title."))
    body = _text(
        errors, "body", body, required=True, limit=TEXT_MAX, message=_("Write the text of the post.")
    )
    return kind, title, body


def _readers(item, *, exclude) -> list:
    """The active members who may see ``item`` (without ``exclude``): who is told about it."""
    members = (
        _active_members(item.partnership)
        .exclude(user_id=exclude.pk)
        .select_related("user")
        .order_by("user_id")
    )
    label = TLP(item.tlp)
    if label in (TLP.AMBER, TLP.AMBER_STRICT):
        members = members.filter(partner__organisation__in=item.recipient_organisations.all())
    elif label == TLP.RED:
        members = members.filter(user__in=item.recipient_people.all())
    users, seen = [], set()
    for membership in members:
        if membership.user_id not in seen:
            seen.add(membership.user_id)
            users.append(membership.user)
    if label in RESTRICTED:  # the confidentiality gates
        users = [user for user in users if may_see(user, item)]
    return users


def _notify_post(post: Post, *, actor) -> None:
    label = TLP(post.tlp)
    if label in RESTRICTED:
        title = KIND_NOTICES[post.kind] % {"partnership": post.partnership.name}
    else:
        title = KIND_TITLED_NOTICES[post.kind] % {"title": post.title}
    notify(
        recipients=_readers(post, exclude=actor),
        kind="exchange.post",
        title=title,
        url=page_path(post),
        # No copy of the text: the label may be raised later, and a copy would not follow it.
        body="",
        tlp=label.value,
        partnership=post.partnership,
    )


def _create_post(
    *, actor, partnership, kind, title, body, label, organisations, people, checked, forwarded_from=None
) -> Post:
    now = clock.now()
    post = Post.objects.create(
        partnership=partnership,
        kind=kind,
        title=title,
        body=body,
        tlp=label.value,
        forwarded_from=forwarded_from,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _set_recipients(post, label, organisations, people)
    post.partnership = partnership
    with _files_removed_on_error(Attachment) as written:
        stored = [
            _store(Attachment, written, actor=actor, upload=upload, checked=check, post=post)
            for upload, check in checked
        ]
        after = {
            **_post_snapshot(post),
            **_label_snapshot(post),
            "files": [_file_record(s, label) for s in stored],
        }
        if forwarded_from is not None:
            after["forwarded_from"] = str(forwarded_from.code)
        audit_record(
            actor=actor,
            action="exchange.post.created",
            target=audit_target(post),
            partnership=partnership,
            after=after,
        )
        _check_visible_to_writer(actor, post)
        _index(post)
        _notify_post(post, actor=actor)
    return post


@transaction.atomic
def post_create(
    *,
    actor,
    partnership: Partnership,
    kind: str,
    title: str,
    body: str,
    tlp: str,
    recipient_organisations=(),
    recipient_people=(),
    files=(),
) -> Post:
    """Publish a post (members with the write role). TLP:AMBER and AMBER+STRICT need recipient organisations
    (active partners; the author's own is added), TLP:RED recipient people (active members). The people who
    may see it are told (a neutral title for restricted labels)."""
    partnership = _scope(actor, partnership, write=True)
    errors: dict = {}
    kind, title, body = _clean_post_fields(errors, kind=kind, title=title, body=body)
    label = _label(errors, tlp)
    organisations, people = _clean_recipients(
        errors,
        partnership=partnership,
        label=label,
        organisations=recipient_organisations,
        people=recipient_people,
        author=actor,
    )
    if errors:
        raise ValidationError(errors)
    checked = _checked_files(files, settings_for(partnership))
    return _create_post(
        actor=actor,
        partnership=partnership,
        kind=kind,
        title=title,
        body=body,
        label=label,
        organisations=organisations,
        people=people,
        checked=checked,
    )


@transaction.atomic
def post_update(
    *, actor, post: Post, kind: str | None = None, title: str | None = None, body: str | None = None
) -> Post:
    """Change the kind, title or text of a post (its author or a coordinator). The label has its own
    service (``label_change``)."""
    post = _lock(actor, post, write=True)
    _ensure_editor(post)
    errors: dict = {}
    new_kind, new_title, new_body = _clean_post_fields(
        errors,
        kind=post.kind if kind is None else kind,
        title=post.title if title is None else title,
        body=post.body if body is None else body,
    )
    if errors:
        raise ValidationError(errors)
    before = _post_snapshot(post)
    if (new_kind, new_title, new_body) == (post.kind, post.title, post.body):
        return post
    post.kind, post.title, post.body, post.updated_at = new_kind, new_title, new_body, clock.now()
    post.save(update_fields=["kind", "title", "body", "updated_at"])
    after = _post_snapshot(post)
    if before == after:  # a restricted post whose text changed but kept its lengths
        before["text_changed"], after["text_changed"] = False, True
    audit_record_changes(
        actor=actor,
        action="exchange.post.updated",
        target=audit_target(post),
        partnership=post.partnership,
        before=before,
        after=after,
    )
    _index(post)
    return post


@transaction.atomic
def post_delete(*, actor, post: Post) -> None:
    """Delete a post and its files (its author or a coordinator). The audit trail keeps a tombstone: code,
    kind, label and dates, never the content; the notifications about it go too (they may carry its title)."""
    from safepact.exchange.services.retention import forget_notifications

    post = _lock(actor, post, write=True)
    _ensure_editor(post)
    names = list(post.attachments.values_list("file", flat=True))
    audit_record(
        actor=actor,
        action="exchange.post.deleted",
        target=audit_target(post),
        partnership=post.partnership,
        before={
            "code": str(post.code),
            "kind": post.kind,
            "tlp": post.tlp,
            "created_at": post.created_at.isoformat(),
            "files": len(names),
        },
    )
    _unindex(post)
    forget_notifications(post)
    post.delete()
    _delete_files_after_commit(Attachment, names)


@transaction.atomic
def post_forward(*, actor, post: Post, partnership: Partnership) -> Post:
    """Copy a post into another partnership the actor is a write member of.

    TLP:CLEAR and GREEN keep their label; TLP:AMBER becomes AMBER for the actor's own organisation in the
    target; TLP:AMBER+STRICT and RED never leave their partnership. Files are copied (and checked against
    the target's limits). Both partnerships' trails record it.
    """
    source = _lock(actor, post)
    target = _scope(actor, partnership, write=True)
    label = TLP(source.tlp)
    if label in (TLP.AMBER_STRICT, TLP.RED):
        raise ValidationError(
            {
                "tlp": _("%(label)s posts cannot be forwarded: they stay with their recipients.")
                % {"label": label.label}
            }
        )
    if target.pk == source.partnership_id:
        raise ValidationError({"partnership": _("Choose another partnership than the one the post is in.")})
    organisations = []
    if label == TLP.AMBER:
        organisations = [target.membership.partner.organisation]
    copies = []
    limits = settings_for(target)
    for attachment in source.attachments.all():
        with attachment.file.open("rb") as handle:
            content = ContentFile(handle.read(), name=attachment.name)
        copies.append((content, check_upload(content, limits=limits)))
    copy = _create_post(
        actor=actor,
        partnership=target,
        kind=source.kind,
        title=source.title,
        body=source.body,
        label=label,
        organisations=organisations,
        people=[],
        checked=copies,
        forwarded_from=source,
    )
    audit_record(
        actor=actor,
        action="exchange.post.forwarded",
        target=audit_target(source),
        partnership=source.partnership,
        after={"to_partnership": str(target.code), "copy": str(copy.code), "tlp": copy.tlp},
    )
    return copy


@transaction.atomic
def attachment_add(*, actor, post: Post, upload) -> Attachment:
    """Attach a file to a post (its author or a coordinator)."""
    post = _lock(actor, post, write=True)
    _ensure_editor(post)
    if upload is None:
        raise ValidationError({"file": _("Choose a file.")})
    [(upload, checked)] = _checked_files([upload], settings_for(post.partnership))
    with _files_removed_on_error(Attachment) as written:
        attachment = _store(Attachment, written, actor=actor, upload=upload, checked=checked, post=post)
        audit_record(
            actor=actor,
            action="exchange.attachment.added",
            target=audit_target(post),
            partnership=post.partnership,
            after=_file_record(attachment, post.tlp),
        )
    attachment.post = post
    return attachment


# Labels --------------------------------------------------------------------------------------------

RELABEL_KINDS = {Post: "post", Document: "document", InformationRequest: "request"}


@transaction.atomic
def label_change(
    *, actor, item, tlp: str, recipient_organisations=None, recipient_people=None, reason: str = ""
):
    """Change the TLP label (and recipients) of a post, document or information request: its author or a
    coordinator. A lowering (towards CLEAR) needs a reason. ``None`` recipients keep the current ones.

    The actor must still see the item afterwards. Audited with the labels and recipient codes before and
    after; the search index follows.
    """
    kind = RELABEL_KINDS.get(type(item))
    if kind is None:
        raise TypeError(f"label_change does not apply to {type(item).__name__}")
    is_request = isinstance(item, InformationRequest)
    if is_request:
        request_services.lock_assessment_of(item)
    item = _lock(actor, item, write=True)
    _ensure_editor(item)
    errors: dict = {}
    label = _label(errors, tlp)
    if errors:
        raise ValidationError(errors)
    old = TLP(item.tlp)
    if is_request:
        # A request's recipients are not chosen here: they follow its addressed organisations (as
        # ``sync_request_recipients`` keeps them), whatever the label; only the named people (TLP:RED) change.
        organisations, named = request_services.label_recipients(
            request=item, label=label, organisations=recipient_organisations, people=recipient_people
        )
        people = [*named, item.created_by]
    else:
        if recipient_organisations is None:
            recipient_organisations = list(item.recipient_organisations.all()) if old != TLP.RED else []
        if recipient_people is None:
            recipient_people = list(item.recipient_people.all()) if old == TLP.RED else []
        organisations, people = _clean_recipients(
            errors,
            partnership=item.partnership,
            label=label,
            organisations=recipient_organisations,
            people=recipient_people,
            author=item.created_by,
        )
    reason = (reason or "").strip()
    if RANK[label] < RANK[old] and not reason:
        errors["reason"] = _("Say why the label is lowered from %(old)s to %(new)s.") % {
            "old": old.label,
            "new": label.label,
        }
    elif len(reason) > REASON_MAX:
        errors["reason"] = _("This can be at most %(max)s characters.") % {"max": REASON_MAX}
    if errors:
        raise ValidationError(errors)
    before = _label_snapshot(item)
    wanted = {
        "tlp": label.value,
        "recipient_organisations": sorted(str(o.code) for o in organisations),
        "recipient_people": sorted(str(p.code) for p in people),
    }
    if wanted == before:
        return item
    item.tlp = label.value
    item.updated_at = clock.now()
    item.save(update_fields=["tlp", "updated_at"])
    if is_request:
        request_services.sync_request_recipients(request=item, people=named)
    else:
        _set_recipients(item, label, organisations, people)
    after = _label_snapshot(item)
    audit_record(
        actor=actor,
        action=f"exchange.{kind}.relabelled",
        target=audit_target(item),
        partnership=item.partnership,
        before=before,
        after=after,
        reason=reason,
    )
    _check_visible_to_writer(actor, item)
    if is_request:
        _relabel_request_follows(actor, item, label)
    if label in RESTRICTED:
        request_services.neutralise_notifications(item, label)
    _index(item)
    return item


def _relabel_request_follows(actor, request: InformationRequest, label: TLP) -> None:
    """What follows a request's new label: its assessment (read by every coordinator) no longer names a
    restricted request in its title, and an unsent request whose assessment was submitted or approved for the
    old label needs it looked at again (four eyes: the audience is part of what was weighed)."""
    if not request.assessment_id:
        return
    if label in RESTRICTED:
        Assessment.objects.filter(pk=request.assessment_id).update(
            title=request_services._assessment_title(request)
        )
        request_services.neutralise_notifications(Assessment.objects.get(pk=request.assessment_id), label)
    if request.status in request_services.EDITABLE_STATES:
        request_services.reopen_assessment(actor=actor, request=request, because="relabelled")


# Documents -----------------------------------------------------------------------------------------


def _document_snapshot(document: Document) -> dict:
    snapshot = {"title_characters": len(document.title), "description_characters": len(document.description)}
    if TLP(document.tlp) not in RESTRICTED:
        snapshot["title"] = document.title
    return snapshot


@transaction.atomic
def document_create(
    *,
    actor,
    partnership: Partnership,
    title: str,
    description: str,
    tlp: str,
    recipient_organisations=(),
    recipient_people=(),
    upload,
    note: str = "",
) -> Document:
    """Add a document with its first version (members with the write role)."""
    partnership = _scope(actor, partnership, write=True)
    errors: dict = {}
    title = _text(
        errors, "title", title, required=True, limit=TITLE_MAX, message=_("Give the document a title.")
    )
    description = _text(
        errors,
        "description",
        description,
        required=False,
        limit=TEXT_MAX,
        message=_("Describe the document."),
    )
    note = _text(errors, "note", note, required=False, limit=NOTE_MAX, message=_("Describe what changed."))
    label = _label(errors, tlp)
    organisations, people = _clean_recipients(
        errors,
        partnership=partnership,
        label=label,
        organisations=recipient_organisations,
        people=recipient_people,
        author=actor,
    )
    if upload is None:
        errors["file"] = _("Choose a file.")
    if errors:
        raise ValidationError(errors)
    [(upload, checked)] = _checked_files([upload], settings_for(partnership))
    now = clock.now()
    document = Document.objects.create(
        partnership=partnership,
        title=title,
        description=description,
        tlp=label.value,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    _set_recipients(document, label, organisations, people)
    document.partnership = partnership
    with _files_removed_on_error(DocumentVersion) as written:
        version = _store(
            DocumentVersion,
            written,
            actor=actor,
            upload=upload,
            checked=checked,
            document=document,
            number=1,
            note=note,
        )
        audit_record(
            actor=actor,
            action="exchange.document.created",
            target=audit_target(document),
            partnership=partnership,
            after={
                **_document_snapshot(document),
                **_label_snapshot(document),
                "version": _file_record(version, label),
            },
        )
        _check_visible_to_writer(actor, document)
        _index(document)
    return document


@transaction.atomic
def document_update(
    *, actor, document: Document, title: str | None = None, description: str | None = None
) -> Document:
    """Change a document's title or description (its author or a coordinator)."""
    document = _lock(actor, document, write=True)
    _ensure_editor(document)
    errors: dict = {}
    new_title = _text(
        errors,
        "title",
        document.title if title is None else title,
        required=True,
        limit=TITLE_MAX,
        message=_("Give the document a title."),
    )
    new_description = _text(
        errors,
        "description",
        document.description if description is None else description,
        required=False,
        limit=TEXT_MAX,
        message=_("Describe the document."),
    )
    if errors:
        raise ValidationError(errors)
    if (new_title, new_description) == (document.title, document.description):
        return document
    before = _document_snapshot(document)
    document.title, document.description, document.updated_at = new_title, new_description, clock.now()
    document.save(update_fields=["title", "description", "updated_at"])
    after = _document_snapshot(document)
    if before == after:
        before["text_changed"], after["text_changed"] = False, True
    audit_record_changes(
        actor=actor,
        action="exchange.document.updated",
        target=audit_target(document),
        partnership=document.partnership,
        before=before,
        after=after,
    )
    _index(document)
    return document


@transaction.atomic
def document_version_add(*, actor, document: Document, upload, note: str = "") -> DocumentVersion:
    """Add a version to a document: its author, a coordinator, or any write member who may see it."""
    document = _lock(actor, document, write=True)
    permissions.ensure(permissions.can_add_version(document.partnership.membership, document))
    errors: dict = {}
    note = _text(errors, "note", note, required=False, limit=NOTE_MAX, message=_("Describe what changed."))
    if upload is None:
        errors["file"] = _("Choose a file.")
    if errors:
        raise ValidationError(errors)
    [(upload, checked)] = _checked_files([upload], settings_for(document.partnership))
    number = (document.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    with _files_removed_on_error(DocumentVersion) as written:
        version = _store(
            DocumentVersion,
            written,
            actor=actor,
            upload=upload,
            checked=checked,
            document=document,
            number=number,
            note=note,
        )
        document.updated_at = clock.now()
        document.save(update_fields=["updated_at"])
        audit_record(
            actor=actor,
            action="exchange.document.version_added",
            target=audit_target(document),
            partnership=document.partnership,
            after={"version": number, **_file_record(version, document.tlp)},
        )
        _index(document)  # version notes and file names are searchable
    version.document = document
    return version


# Access log ----------------------------------------------------------------------------------------


@transaction.atomic
def access_record(*, user, item, action: str = AccessAction.VIEW, file_code=None) -> AccessLog | None:
    """Log one view or download of a TLP:AMBER, AMBER+STRICT or RED item (a post, document, request or
    answer; or a file of one, which logs its owner with ``file_code``). Every view is logged, the
    author's included. CLEAR and GREEN items are not logged (``None``)."""
    owner = owner_of(item)
    if owner is not item and file_code is None:
        file_code = item.code
    if TLP(owner.tlp) not in RESTRICTED:
        return None
    if action not in AccessAction.values:
        raise ValueError(f"unknown access action {action!r}")
    membership = membership_in(user, owner.partnership)
    return AccessLog.objects.create(
        partnership_id=owner.partnership_id,
        item_kind=item_kind_of(owner),
        item_code=owner.code,
        tlp=owner.tlp,
        action=action,
        file_code=file_code,
        user=user,
        organisation_id=membership.partner.organisation_id if membership is not None else None,
        at=clock.now(),
    )


# Settings ------------------------------------------------------------------------------------------


def _settings_snapshot(current: ExchangeSettings) -> dict:
    return {name: getattr(current, name) for name in SETTING_FIELDS}


def _whole_number(errors: dict, field: str, value, low: int, high: int):
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        try:
            number = int(str(value).strip()) if isinstance(value, str) else None
        except ValueError:
            number = None
    if number is None:
        errors[field] = _("Enter a whole number.")
        return None
    if not low <= number <= high:
        errors[field] = _("Enter a number between %(low)s and %(high)s.") % {"low": low, "high": high}
        return None
    return number


@transaction.atomic
def settings_update(*, actor, partnership: Partnership, **fields) -> ExchangeSettings:
    """Change the partnership's exchange settings (coordinators): the largest upload (1 MB up to the
    platform's ceiling), the allowed file types, TLP:RED downloads, retention per kind (within the platform's
    floor and ceiling) and reminder days."""
    partnership = _scope(actor, partnership, manage=True)
    errors: dict = {}
    for name in fields:
        if name not in SETTING_FIELDS:
            errors[name] = _("This setting does not exist.")
    if errors:
        raise ValidationError(errors)
    cleaned: dict = {}
    if "max_upload_mb" in fields:
        cleaned["max_upload_mb"] = _whole_number(
            errors,
            "max_upload_mb",
            fields["max_upload_mb"],
            1,
            int(django_settings.SAFEPACT_EXCHANGE_MAX_UPLOAD_MB),
        )
    for name, kind in RETENTION_FIELDS.items():
        if name in fields:
            low, high = django_settings.SAFEPACT_EXCHANGE_RETENTION[kind]
            cleaned[name] = _whole_number(errors, name, fields[name], int(low), int(high))
    if "reminder_days" in fields:
        cleaned["reminder_days"] = _whole_number(
            errors, "reminder_days", fields["reminder_days"], 0, REMINDER_MAX
        )
    if "allowed_types" in fields:
        value = fields["allowed_types"]
        types = [value] if isinstance(value, str) else list(value or [])
        if not types:
            errors["allowed_types"] = _("Allow at least one file type.")
        elif any(t not in FILE_TYPES for t in types):
            errors["allowed_types"] = _("Choose among: %(types)s.") % {"types": ", ".join(FILE_TYPES)}
        cleaned["allowed_types"] = [key for key in FILE_TYPES if key in types]
    if "red_downloads" in fields:
        value = fields["red_downloads"]
        if not isinstance(value, bool):
            errors["red_downloads"] = _("Choose yes or no.")
        cleaned["red_downloads"] = value
    if errors:
        raise ValidationError(errors)
    # Lock the partnership: with no settings row yet, two first saves at once would both insert.
    Partnership.objects.select_for_update().filter(pk=partnership.pk).first()
    current = ExchangeSettings.objects.select_for_update().filter(partnership=partnership).first()
    current = current or ExchangeSettings(partnership=partnership)
    if not current.allowed_types:
        current.allowed_types = list(FILE_TYPES)
    before = _settings_snapshot(current)
    for name, value in cleaned.items():
        setattr(current, name, value)
    current.updated_at = clock.now()
    current.save()
    audit_record_changes(
        actor=actor,
        action="exchange.settings.changed",
        target=partnership,
        partnership=partnership,
        before=before,
        after=_settings_snapshot(current),
    )
    return current


# Export (added by the pages helper: the CSV export of posts is a disclosure and is recorded) ---------------


@transaction.atomic
def posts_export_record(*, actor, partnership: Partnership, count: int, fmt: str = "csv") -> None:
    """Record that ``actor`` exported ``count`` posts of ``partnership`` as ``fmt`` (CSV or JSON: what they may see and what
    may leave the platform: ``selectors.export_posts``). Any member may export; the trail says who did."""
    partnership = _scope(actor, partnership)
    audit_record(
        actor=actor,
        action="exchange.post.exported",
        target=partnership,
        partnership=partnership,
        after={"format": fmt, "count": int(count)},
    )
