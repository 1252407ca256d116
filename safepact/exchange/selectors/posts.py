"""Reads for posts, documents, files, the access log and the exchange settings.

Every read that serves a person starts from the partnership access helper (outsiders 404, members
without the role 403) and reads labelled items only through ``visible_to`` / ``may_see``: an item the
person may not see is a 404, exactly like one that does not exist. Files (attachments, document versions)
are read under their owner's label.
"""

from dataclasses import dataclass
from uuid import UUID

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _

from safepact.accounts.models import Organisation
from safepact.exchange import permissions
from safepact.exchange.models import (
    AccessLog,
    Answer,
    Attachment,
    Document,
    DocumentVersion,
    ExchangeSettings,
    InformationRequest,
    ItemKind,
    Post,
    PostKind,
)
from safepact.exchange.uploads import FILE_TYPES
from safepact.lib.tlp import NOT_EXPORTABLE, TLP
from safepact.partnerships.models import Membership, Partnership, PartnerStatus
from safepact.partnerships.permissions import can_manage
from safepact.partnerships.selectors import (
    ACTIVE_MEMBERSHIP,
    get_partnership_for_user,
    membership_in,
    partnerships_for,
)
from safepact.partnerships.tlp import may_see, visible_to

__all__ = [
    "ITEM_MODELS",
    "RecipientChoices",
    "access_log_for",
    "document_list",
    "export_posts",
    "get_attachment_for_user",
    "get_document_for_user",
    "get_item_for_user",
    "get_post_for_user",
    "get_version_for_user",
    "item_for",
    "item_kind_of",
    "may_download",
    "owner_of",
    "page_path",
    "parse_code",
    "post_list",
    "recipient_choices",
    "settings_by_partnership",
    "settings_for",
]

#: Item kind -> its model.
ITEM_MODELS = {
    ItemKind.POST: Post,
    ItemKind.DOCUMENT: Document,
    ItemKind.REQUEST: InformationRequest,
    ItemKind.ANSWER: Answer,
}


def parse_code(code) -> UUID | None:
    if isinstance(code, UUID):
        return code
    try:
        return UUID(str(code))
    except (TypeError, ValueError, AttributeError):
        return None


def item_kind_of(item) -> str:
    """The ``ItemKind`` value of a labelled item (post, document, request, answer)."""
    for kind, model in ITEM_MODELS.items():
        if isinstance(item, model):
            return kind.value
    raise TypeError(f"not an exchange item: {type(item).__name__}")


def page_path(item) -> str:
    """The page of a labelled item (a path inside SafePact, for notifications and links)."""
    base = f"/p/{item.partnership.code}/exchange/"
    kind = item_kind_of(item)
    if kind == ItemKind.POST:
        return f"{base}posts/{item.code}/"
    if kind == ItemKind.DOCUMENT:
        return f"{base}documents/{item.code}/"
    if kind == ItemKind.REQUEST:
        return f"{base}requests/{item.code}/"
    return f"{base}requests/{item.request.code}/"


def owner_of(file):
    """The labelled item a file is read under: an attachment's post/request/answer, a version's document."""
    if isinstance(file, DocumentVersion):
        return file.document
    if isinstance(file, Attachment):
        return file.post or file.request or file.answer
    return file


# Settings ------------------------------------------------------------------------------------------


def _with_defaults(found: ExchangeSettings) -> ExchangeSettings:
    if not found.allowed_types:
        found.allowed_types = list(FILE_TYPES)
    return found


def settings_for(partnership: Partnership) -> ExchangeSettings:
    """The partnership's exchange settings: the saved row, or unsaved defaults; ``allowed_types`` lists every
    type when none were chosen (an empty list allows them all)."""
    found = ExchangeSettings.objects.filter(partnership=partnership).first()
    return _with_defaults(found or ExchangeSettings(partnership=partnership))


def settings_by_partnership(partnership_ids) -> dict[int, ExchangeSettings]:
    """Bulk (background jobs): the settings of each partnership id, defaults for those without. One query."""
    ids = list(partnership_ids)
    found = {s.partnership_id: s for s in ExchangeSettings.objects.filter(partnership_id__in=ids)}
    return {pid: _with_defaults(found.get(pid) or ExchangeSettings(partnership_id=pid)) for pid in ids}


# Posts ---------------------------------------------------------------------------------------------


def _posts(user, partnership: Partnership) -> QuerySet[Post]:
    return visible_to(
        user, Post.objects.filter(partnership=partnership, partnership__in=partnerships_for(user))
    )


def post_list(*, user, partnership: Partnership, kind: str | None = None) -> QuerySet[Post]:
    """The posts of ``partnership`` that ``user`` may see, newest first, ready for a list (a fixed number
    of queries whatever the number of posts)."""
    posts = _posts(user, partnership)
    if kind:
        posts = posts.filter(kind=kind if kind in PostKind.values else "-")
    return posts.select_related("created_by").prefetch_related(
        Prefetch("recipient_organisations", queryset=Organisation.objects.order_by("name")),
        "recipient_people",
        "attachments",
    )


def get_post_for_user(user, partnership_code, post_code, *, write: bool = False) -> Post:
    """One post: 404 for outsiders and for a post the person may not see (or that does not exist), 403 for
    viewers when ``write``. ``post.partnership`` carries the caller's ``membership``."""
    partnership = get_partnership_for_user(user, partnership_code, write=write)
    parsed = parse_code(post_code)
    post = (
        _posts(user, partnership)
        .filter(code=parsed)
        .select_related("created_by", "forwarded_from")
        .prefetch_related("recipient_organisations", "recipient_people", "attachments")
        .first()
        if parsed
        else None
    )
    if post is None:
        raise Http404(_("Post not found."))
    post.partnership = partnership
    return post


def export_posts(*, user, partnership: Partnership) -> QuerySet[Post]:
    """Posts that may leave the platform: visible to ``user`` and neither TLP:AMBER+STRICT nor TLP:RED."""
    return post_list(user=user, partnership=partnership).exclude(tlp__in=NOT_EXPORTABLE)


# Documents -----------------------------------------------------------------------------------------


def _documents(user, partnership: Partnership) -> QuerySet[Document]:
    return visible_to(
        user, Document.objects.filter(partnership=partnership, partnership__in=partnerships_for(user))
    )


def document_list(*, user, partnership: Partnership) -> QuerySet[Document]:
    """Documents ``user`` may see, most recently changed first, with ``latest_number`` (the current
    version) and their recipients."""
    latest = DocumentVersion.objects.filter(document=OuterRef("pk")).order_by("-number").values("number")[:1]
    return (
        _documents(user, partnership)
        .annotate(latest_number=Subquery(latest))
        .select_related("created_by")
        .prefetch_related(
            Prefetch("recipient_organisations", queryset=Organisation.objects.order_by("name")),
            "recipient_people",
        )
    )


def get_document_for_user(user, partnership_code, document_code, *, write: bool = False) -> Document:
    partnership = get_partnership_for_user(user, partnership_code, write=write)
    parsed = parse_code(document_code)
    document = (
        _documents(user, partnership)
        .filter(code=parsed)
        .select_related("created_by")
        .prefetch_related(
            "recipient_organisations",
            "recipient_people",
            Prefetch("versions", queryset=DocumentVersion.objects.select_related("created_by")),
        )
        .first()
        if parsed
        else None
    )
    if document is None:
        raise Http404(_("Document not found."))
    document.partnership = partnership
    return document


# Files ---------------------------------------------------------------------------------------------


def get_attachment_for_user(user, partnership_code, attachment_code) -> Attachment:
    """A file of a post, request or answer: 404 unless the person may see its owner (for a request's or an
    answer's file: the request as well, which hides drafts from the addressed organisations)."""
    partnership = get_partnership_for_user(user, partnership_code)
    parsed = parse_code(attachment_code)
    attachment = (
        Attachment.objects.filter(code=parsed)
        .select_related("post", "request", "answer", "created_by")
        .first()
        if parsed
        else None
    )
    owner = owner_of(attachment) if attachment is not None else None
    if owner is None or owner.partnership_id != partnership.pk or not may_see(user, owner):
        raise Http404(_("File not found."))
    if isinstance(owner, InformationRequest | Answer):
        # A request (and so its answers' files) is read as on its page: a draft only by the requesting side
        # and coordinators, an answer only where its request may be seen.
        from safepact.exchange.selectors.requests import visible_requests

        request_id = owner.pk if isinstance(owner, InformationRequest) else owner.request_id
        if not visible_requests(user, partnership).filter(pk=request_id).exists():
            raise Http404(_("File not found."))
    owner.partnership = partnership
    attachment.owner = owner
    return attachment


def get_version_for_user(user, partnership_code, version_code) -> DocumentVersion:
    """A version of a document: 404 unless the person may see the document."""
    partnership = get_partnership_for_user(user, partnership_code)
    parsed = parse_code(version_code)
    version = (
        DocumentVersion.objects.filter(code=parsed, document__partnership=partnership)
        .select_related("document", "created_by")
        .first()
        if parsed
        else None
    )
    if version is None or not may_see(user, version.document):
        raise Http404(_("File not found."))
    version.document.partnership = partnership
    version.owner = version.document
    return version


def may_download(user, item) -> bool:
    """Whether ``user`` may download the files of ``item`` (or the file ``item``: an attachment or version).

    Whoever may see an item may download its files, except for TLP:RED items: their files are viewed in the
    browser only, unless the partnership's settings allow downloads (``red_downloads``).
    """
    owner = owner_of(item)
    if owner is None or not may_see(user, owner):
        return False
    if TLP(owner.tlp) == TLP.RED:
        return settings_for(owner.partnership).red_downloads
    return True


# Access log ----------------------------------------------------------------------------------------


def access_log_for(*, user, item) -> QuerySet[AccessLog]:
    """Who viewed or downloaded ``item`` and when: for its author and the coordinators (403 for other
    members; 404 for whoever may not see the item)."""
    if not may_see(user, item):
        raise Http404(_("Not found."))
    membership = membership_in(user, item.partnership)
    if membership is None:
        raise Http404(_("Not found."))
    if not (can_manage(membership) or permissions.is_author(membership, item)):
        raise PermissionDenied(_("Only the author and the coordinators can see who accessed this."))
    return AccessLog.objects.filter(item_kind=item_kind_of(item), item_code=item.code).select_related(
        "user", "organisation"
    )


# Items ---------------------------------------------------------------------------------------------


def item_for(kind: str, code, *, partnership: Partnership | None = None):
    """The post, document, request or answer of ``kind`` with ``code`` (in ``partnership`` when given), or
    ``None``. No access check: views use ``get_item_for_user``."""
    model = ITEM_MODELS.get(kind) if kind in ItemKind.values else None
    parsed = parse_code(code)
    if model is None or parsed is None:
        return None
    found = model.objects.filter(code=parsed)
    if partnership is not None:
        found = found.filter(partnership=partnership)
    return found.first()


def get_item_for_user(user, partnership_code, kind: str, code):
    """One labelled item of any kind: 404 for outsiders, unknown kinds and items the person may not see."""
    partnership = get_partnership_for_user(user, partnership_code)
    model = ITEM_MODELS.get(kind) if kind in ItemKind.values else None
    parsed = parse_code(code)
    item = (
        visible_to(user, model.objects.filter(partnership=partnership, code=parsed)).first()
        if model is not None and parsed is not None
        else None
    )
    if item is None:
        raise Http404(_("Not found."))
    item.partnership = partnership
    return item


# Recipients ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecipientChoices:
    #: Organisations of the active partners (for TLP:AMBER and TLP:AMBER+STRICT).
    organisations: QuerySet
    #: Active members, people (for TLP:RED).
    people: QuerySet


def recipient_choices(*, partnership: Partnership) -> RecipientChoices:
    """Who a label can name in ``partnership`` (the caller has opened it through the access helper)."""
    organisations = Organisation.objects.filter(
        pk__in=partnership.partners.filter(status=PartnerStatus.ACTIVE).values("organisation_id")
    ).order_by("name")
    members = Membership.objects.filter(ACTIVE_MEMBERSHIP, partner__partnership=partnership).values("user_id")
    people = get_user_model().objects.filter(pk__in=members, is_active=True).order_by("full_name", "email")
    return RecipientChoices(organisations=organisations, people=people)
