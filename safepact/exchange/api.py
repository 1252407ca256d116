"""API for the information exchange: posts and their files, documents and versions, the access log,
information requests (so a police system can send them) and answers, Five Safes assessments, the
data-sharing register, search and the exchange settings.

Same access rules as the pages: outsiders get 404; every active member reads what the TLP label lets them
see, and an item the label keeps from someone is a 404 for them, as if it did not exist; members with the
write role post, add documents, ask and answer; the author or a coordinator changes, relabels and deletes an
item and reads its access log; coordinators keep the register and the settings and decide assessments they
did not ask for (four eyes). Reading a TLP:AMBER, AMBER+STRICT or RED item, and downloading one of its files,
is written to the item's access log. TLP:AMBER+STRICT and RED never leave the platform: they are not in the
export and cannot be forwarded; files of TLP:RED items are not downloaded (403 ``view_only``) unless the
partnership allows it.

Errors: 404 ``not_found`` (unknown, or not yours to see), 403 ``forbidden`` (your role does not allow it),
409 ``conflict`` (the object is not in a state that allows it: answering a closed request, deciding an
assessment that was not submitted), 422 ``invalid`` naming the field.

Paths nest under ``/partnerships/{code}/exchange``; objects are named by their ``code``.
"""

from contextlib import contextmanager
from typing import Literal
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError
from ninja.pagination import paginate

from safepact.accounts.schemas import ErrorOut, with_errors
from safepact.exchange import search, selectors, services
from safepact.exchange.models import (
    AccessAction,
    DocumentVersion,
    FlowStatus,
    InformationRequest,
)
from safepact.exchange.schemas import (
    AccessOut,
    AnswerIn,
    AnswerOut,
    Art30Out,
    AssessmentAnswerIn,
    AssessmentDetail,
    AssessmentOut,
    DecisionIn,
    DeclineIn,
    DocumentDetail,
    DocumentIn,
    DocumentOut,
    DocumentPatch,
    FileOut,
    FlowIn,
    FlowOut,
    FlowPatch,
    ForwardIn,
    LabelIn,
    PostExportOut,
    PostIn,
    PostKindValue,
    PostOut,
    PostPatch,
    QuestionSetOut,
    RequestDetail,
    RequestIn,
    RequestOut,
    RequestPatch,
    RequestStatusValue,
    SafeValue,
    SearchOut,
    SettingsIn,
    SettingsOut,
    VersionIn,
    VersionOut,
)
from safepact.lib.api_errors import patch_changes, state_conflicts
from safepact.lib.pagination import LimitOffsetPagination
from safepact.lib.tlp import TLP
from safepact.partnerships.models import MembershipStatus, PartnerStatus
from safepact.partnerships.selectors import get_partnership_for_user, member_list, partner_list
from safepact.partnerships.tlp import visible_to

router = Router(tags=["exchange"])

READ = with_errors()
WRITE = with_errors(403, 409, 422)
#: Files: 403 ``view_only`` when the label allows viewing but not downloading.
FILE = with_errors(403)

X = "/{code}/exchange"
POST = X + "/posts/{post_code}"
DOCUMENT = X + "/documents/{document_code}"
REQUEST = X + "/requests/{request_code}"
ASSESSMENT = X + "/assessments/{assessment_code}"
FLOW = X + "/flows/{flow_code}"

BoxValue = Literal["all", "sent", "received", "mine"]
SearchKindValue = Literal["post", "document", "request"]
Art30Format = Literal["json", "csv", "pdf"]
SEARCH_MAX = search.MAX_LIMIT


@contextmanager
def _fields_named(**names):
    """A service's ``ValidationError`` with its fields renamed as the API calls them (``agreement_code`` is
    ``agreement`` here), so the 422 names the field the caller sent."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict") or not set(exc.error_dict) & set(names):
            raise
        raise ValidationError(
            {names.get(field, field): errors for field, errors in exc.error_dict.items()}
        ) from exc


# Helpers ----------------------------------------------------------------------------------------------


def _organisations(user, partnership, codes, field: str = "recipient_organisations") -> list:
    """Organisations of the partnership's partners, by organisation code, or 422 naming ``field``."""
    codes = list(dict.fromkeys(codes))
    found = {
        partner.organisation.code: partner.organisation
        for partner in partner_list(user=user, partnership=partnership).filter(organisation__code__in=codes)
    }
    if len(found) != len(codes):
        raise ValidationError({field: _("Unknown organisation code, or no partner of this partnership.")})
    return [found[code] for code in codes]


def _people(user, partnership, codes, field: str = "recipient_people") -> list:
    """Active members of the partnership, by person code, or 422 naming ``field``."""
    codes = list(dict.fromkeys(codes))
    memberships = member_list(user=user, partnership=partnership).filter(
        user__code__in=codes, status=MembershipStatus.ACTIVE, partner__status=PartnerStatus.ACTIVE
    )
    found = {membership.user.code: membership.user for membership in memberships}
    if len(found) != len(codes):
        raise ValidationError({field: _("Unknown person code, or no active member of this partnership.")})
    return [found[code] for code in codes]


def _partners(user, partnership, codes, field: str) -> list:
    """Partners of the partnership by partner code, or 422 naming ``field``."""
    codes = list(dict.fromkeys(codes))
    found = {p.code: p for p in partner_list(user=user, partnership=partnership).filter(code__in=codes)}
    if len(found) != len(codes):
        raise ValidationError({field: _("Unknown partner code, or no partner of this partnership.")})
    return [found[code] for code in codes]


def _labelled(queryset):
    """What every labelled item's answer reads besides what the selectors fetch: its recipients."""
    return queryset.prefetch_related("recipient_organisations", "recipient_people")


def _downloads(user, items):
    """Mark each item with whether ``user`` may download its files (``selectors.may_download``)."""
    for item in items:
        item.may_download = selectors.may_download(user, item)
    return items


def _list_downloads(partnership, items):
    """``_downloads`` for a page of a list whose items ``user`` already sees (read through ``visible_to``):
    the same rule as ``selectors.may_download`` without a query per item (TLP:RED files only when the
    partnership's settings allow it; one settings read, and only when the page holds a RED item)."""
    red_allowed = None
    for item in items:
        if TLP(item.tlp) == TLP.RED:
            if red_allowed is None:
                red_allowed = selectors.settings_for(partnership).red_downloads
            item.may_download = red_allowed
        else:
            item.may_download = True
    return items


def _file_response(stored, owner, user) -> HttpResponse:
    """Download one stored file of ``owner``: 403 ``view_only`` when its label allows no download; logged."""
    if not selectors.may_download(user, owner):
        detail = (
            _("Files of this item can be viewed in the browser but not downloaded.")
            if TLP(owner.tlp) == TLP.RED
            else _("Files of this item may not be downloaded.")
        )
        return Status(403, {"detail": detail, "code": "view_only"})
    try:
        handle = stored.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404(_("File not found.")) from exc
    services.access_record(user=user, item=owner, action=AccessAction.DOWNLOAD, file_code=stored.code)
    response = FileResponse(handle, content_type=stored.content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=stored.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


FILE_RESPONSE = {
    200: {"content": {"application/octet-stream": {}}, "description": "The file, as an attachment."},
    403: {
        "description": "Your role does not allow it, or the file may be viewed but not downloaded "
        '(`"code": "view_only"`).',
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
    },
}


def _label_change(user, item, payload: LabelIn):
    partnership = item.partnership
    organisations = (
        _organisations(user, partnership, payload.recipient_organisations)
        if payload.recipient_organisations is not None
        else None
    )
    people = (
        _people(user, partnership, payload.recipient_people) if payload.recipient_people is not None else None
    )
    return services.label_change(
        actor=user,
        item=item,
        tlp=payload.tlp,
        recipient_organisations=organisations,
        recipient_people=people,
        reason=payload.reason,
    )


# Posts ------------------------------------------------------------------------------------------------


def _post(user, code, post_code):
    """A post, read again through the list of what ``user`` sees, with what its answer shows."""
    post = selectors.get_post_for_user(user, code, post_code)
    fresh = selectors.post_list(user=user, partnership=post.partnership).get(pk=post.pk)
    fresh.partnership = post.partnership
    return _downloads(user, [fresh])[0]


@router.get(
    f"{X}/posts", response={200: list[PostOut], **READ}, summary="The posts you may see, newest first"
)
@paginate(LimitOffsetPagination)
def post_index(request, code: UUID, kind: PostKindValue | None = None):  # type: ignore[valid-type]
    """``kind``: news, update, warning or good_practice. Posts whose label keeps them from you are not
    listed (nor counted)."""
    user = request.auth
    partnership = get_partnership_for_user(user, code)
    return _Marked(partnership, selectors.post_list(user=user, partnership=partnership, kind=kind))


class _Marked:
    """A lazily sliced queryset (for ``paginate``) whose page is marked with what may be downloaded."""

    def __init__(self, partnership, queryset):
        self.partnership, self.queryset = partnership, queryset

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        return _list_downloads(self.partnership, list(self.queryset[key]))


@router.post(
    f"{X}/posts",
    response={201: PostOut, **WRITE},
    summary="Post news, an update, a warning or a good practice with a TLP label (members, coordinators)",
    description=(
        "TLP:AMBER and AMBER+STRICT need `recipient_organisations` (organisation codes of active partners; "
        "your own organisation is added); TLP:RED needs `recipient_people` (person codes of active members). "
        "The people who may see it are told, without the text of a restricted post."
    ),
)
def post_new(request, code: UUID, payload: PostIn):
    user = request.auth
    partnership = get_partnership_for_user(user, code, write=True)
    post = services.post_create(
        actor=user,
        partnership=partnership,
        kind=payload.kind,
        title=payload.title,
        body=payload.body,
        tlp=payload.tlp,
        recipient_organisations=_organisations(user, partnership, payload.recipient_organisations),
        recipient_people=_people(user, partnership, payload.recipient_people),
    )
    return Status(201, _post(user, code, post.code))


@router.get(
    f"{X}/exports/posts",
    response={200: list[PostExportOut], **READ},
    summary="Export the posts you may see that may leave the platform (never AMBER+STRICT or RED)",
    description="Every visible post labelled CLEAR, GREEN or AMBER, newest first. The export is recorded in "
    "the partnership's audit trail.",
)
def post_export(request, code: UUID):
    user = request.auth
    partnership = get_partnership_for_user(user, code)
    with transaction.atomic():
        posts = list(selectors.export_posts(user=user, partnership=partnership))
        services.posts_export_record(actor=user, partnership=partnership, count=len(posts), fmt="json")
    return posts


@router.get(
    POST,
    response={200: PostOut, **READ},
    summary="One post, with its files (a read of a restricted post is written to its access log)",
)
def post_detail(request, code: UUID, post_code: UUID):
    user = request.auth
    post = _post(user, code, post_code)
    services.access_record(user=user, item=post)
    return post


@router.patch(
    POST,
    response={200: PostOut, **WRITE},
    summary="Change a post's kind, title or text (its author or a coordinator)",
)
def post_edit(request, code: UUID, post_code: UUID, payload: PostPatch):
    user = request.auth
    get_partnership_for_user(user, code, write=True)
    post = selectors.get_post_for_user(user, code, post_code, write=True)
    services.post_update(actor=user, post=post, **patch_changes(payload, "kind", "title", "body"))
    return _post(user, code, post_code)


@router.delete(
    POST,
    response={204: None, **WRITE},
    summary="Delete a post and its files (its author or a coordinator); the audit trail keeps a tombstone",
)
def post_delete(request, code: UUID, post_code: UUID):
    user = request.auth
    get_partnership_for_user(user, code, write=True)
    post = selectors.get_post_for_user(user, code, post_code, write=True)
    services.post_delete(actor=user, post=post)
    return Status(204, None)


@router.post(
    f"{POST}/label",
    response={200: PostOut, **WRITE},
    summary="Change a post's TLP label and recipients (its author or a coordinator; lowering needs a reason)",
)
def post_label(request, code: UUID, post_code: UUID, payload: LabelIn):
    user = request.auth
    get_partnership_for_user(user, code, write=True)
    post = selectors.get_post_for_user(user, code, post_code, write=True)
    _label_change(user, post, payload)
    return _post(user, code, post_code)


@router.post(
    f"{POST}/forward",
    response={201: PostOut, **WRITE},
    summary="Forward a copy of a post to another of your partnerships (not TLP:AMBER+STRICT or RED)",
    description=(
        "CLEAR and GREEN keep their label; AMBER becomes AMBER for your own organisation in the other "
        "partnership. The answer is the copy (in the other partnership)."
    ),
)
def post_forward(request, code: UUID, post_code: UUID, payload: ForwardIn):
    user = request.auth
    get_partnership_for_user(user, code, write=True)
    post = selectors.get_post_for_user(user, code, post_code, write=True)
    try:
        target = get_partnership_for_user(user, payload.partnership, write=True)
    except Http404:
        raise ValidationError(
            {"partnership": _("You are not a member of a partnership with this code.")}
        ) from None
    copy = services.post_forward(actor=user, post=post, partnership=target)
    return Status(201, _post(user, target.code, copy.code))


@router.get(
    f"{POST}/access-log",
    response={200: list[AccessOut], **READ},
    summary="Who read or downloaded a restricted post, and when (its author or a coordinator)",
)
@paginate(LimitOffsetPagination)
def post_access_log(request, code: UUID, post_code: UUID):
    user = request.auth
    post = selectors.get_post_for_user(user, code, post_code)
    return selectors.access_log_for(user=user, item=post).select_related("user", "organisation")


@router.post(
    f"{POST}/attachments",
    response={201: FileOut, **WRITE},
    summary="Attach a file to a post (multipart `file`; its author or a coordinator)",
    description="The partnership's settings limit the size and the types; the content must match the name.",
)
def post_attachment_new(request, code: UUID, post_code: UUID, file: File[UploadedFile]):
    user = request.auth
    get_partnership_for_user(user, code, write=True)
    post = selectors.get_post_for_user(user, code, post_code, write=True)
    return Status(201, services.attachment_add(actor=user, post=post, upload=file))


def _attachment_owner(attachment):
    return attachment.post or attachment.request or attachment.answer


@router.get(
    f"{X}/files/{{attachment_code}}",
    response={200: None, **READ, 403: ErrorOut},
    summary="Download a file of a post, request or answer (logged for restricted items)",
    openapi_extra={"responses": FILE_RESPONSE},
)
def attachment_file(request, code: UUID, attachment_code: UUID):
    user = request.auth
    attachment = selectors.get_attachment_for_user(user, code, attachment_code)
    return _file_response(attachment, _attachment_owner(attachment), user)


# Documents --------------------------------------------------------------------------------------------


def _documents(queryset):
    return queryset.prefetch_related(
        Prefetch("versions", queryset=DocumentVersion.objects.select_related("created_by"))
    )


def _document(user, code, document_code):
    document = selectors.get_document_for_user(user, code, document_code)
    fresh = _documents(selectors.document_list(user=user, partnership=document.partnership)).get(
        pk=document.pk
    )
    fresh.partnership = document.partnership
    return _downloads(user, [fresh])[0]


@router.get(
    f"{X}/documents",
    response={200: list[DocumentOut], **READ},
    summary="The documents you may see, latest first",
)
@paginate(LimitOffsetPagination)
def document_index(request, code: UUID):
    user = request.auth
    partnership = get_partnership_for_user(user, code)
    return _Marked(partnership, _documents(selectors.document_list(user=user, partnership=partnership)))


@router.post(
    f"{X}/documents",
    response={201: DocumentDetail, **WRITE},
    summary="Add a document with its first version (multipart: `file` and the fields; members, coordinators)",
    description=(
        "A multipart form: `file`, `title`, `description`, `tlp`, `note`, and for TLP:AMBER/AMBER+STRICT "
        "`recipient_organisations`, for TLP:RED `recipient_people` (repeat the field for several codes)."
    ),
)
def document_new(request, code: UUID, payload: Form[DocumentIn], file: File[UploadedFile]):
    user = request.auth
    partnership = get_partnership_for_user(user, code, write=True)
    document = services.document_create(
        actor=user,
        partnership=partnership,
        title=payload.title,
        description=payload.description,
        tlp=payload.tlp,
        recipient_organisations=_organisations(user, partnership, payload.recipient_organisations),
        recipient_people=_people(user, partnership, payload.recipient_people),
        upload=file,
        note=payload.note,
    )
    return Status(201, _document(user, code, document.code))


@router.get(
    DOCUMENT,
    response={200: DocumentDetail, **READ},
    summary="One document with its versions (a read of a restricted document is written to its access log)",
)
def document_detail(request, code: UUID, document_code: UUID):
    user = request.auth
    document = _document(user, code, document_code)
    services.access_record(user=user, item=document)
    return document


@router.patch(
    DOCUMENT,
    response={200: DocumentDetail, **WRITE},
    summary="Change a document's title or description (its author or a coordinator)",
)
def document_edit(request, code: UUID, document_code: UUID, payload: DocumentPatch):
    user = request.auth
    get_partnership_for_user(user, code, write=True)
    document = selectors.get_document_for_user(user, code, document_code, write=True)
    changes = patch_changes(payload, "title")
    if changes.get("description", "") is None:
        changes["description"] = ""
    services.document_update(actor=user, document=document, **changes)
    return _document(user, code, document_code)


@router.post(
    f"{DOCUMENT}/label",
    response={200: DocumentDetail, **WRITE},
    summary="Change a document's TLP label and recipients (its author or a coordinator; lowering: reason)",
)
def document_label(request, code: UUID, document_code: UUID, payload: LabelIn):
    user = request.auth
    get_partnership_for_user(user, code, write=True)
    document = selectors.get_document_for_user(user, code, document_code, write=True)
    _label_change(user, document, payload)
    return _document(user, code, document_code)


@router.post(
    f"{DOCUMENT}/versions",
    response={201: VersionOut, **WRITE},
    summary="Add a new version of a document (multipart `file` and `note`; members who may see it)",
)
def document_version_new(
    request, code: UUID, document_code: UUID, payload: Form[VersionIn], file: File[UploadedFile]
):
    user = request.auth
    get_partnership_for_user(user, code, write=True)
    document = selectors.get_document_for_user(user, code, document_code, write=True)
    version = services.document_version_add(actor=user, document=document, upload=file, note=payload.note)
    return Status(201, version)


@router.get(
    f"{X}/versions/{{version_code}}/file",
    response={200: None, **READ, 403: ErrorOut},
    summary="Download one version of a document (logged for restricted documents)",
    openapi_extra={"responses": FILE_RESPONSE},
)
def version_file(request, code: UUID, version_code: UUID):
    user = request.auth
    version = selectors.get_version_for_user(user, code, version_code)
    return _file_response(version, version.document, user)


# Information requests ---------------------------------------------------------------------------------


def _requests(queryset):
    return _labelled(queryset)


def _request(user, code, request_code):
    """A request with its recipients, files and the answers ``user`` may see."""
    item = selectors.get_request_for_user(user, code, request_code)
    visible = selectors.request_list(user=user, partnership=item.partnership)
    fresh = _requests(visible).prefetch_related("attachments").get(pk=item.pk)
    fresh.partnership = item.partnership
    answers = _labelled(selectors.answers_for(user=user, request=fresh))
    fresh.visible_answers = _downloads(user, list(answers))
    return _downloads(user, [fresh])[0]


def _writable_request(user, code, request_code):
    get_partnership_for_user(user, code, write=True)
    return selectors.get_request_for_user(user, code, request_code)


@router.get(
    f"{X}/requests",
    response={200: list[RequestOut], **READ},
    summary="The information requests you may see, newest first",
    description="`box`: `sent` (by your organisation), `received` (addressed to your organisation), `mine` "
    "(asked by you) or `all` (default); `status` filters by state.",
)
@paginate(LimitOffsetPagination)
def request_index(
    request,
    code: UUID,
    box: BoxValue = "all",  # type: ignore[valid-type]
    status: RequestStatusValue | None = None,  # type: ignore[valid-type]
):
    user = request.auth
    partnership = get_partnership_for_user(user, code)
    requests = selectors.request_list(user=user, partnership=partnership, box=box)
    if status:
        requests = requests.filter(status=status)
    return _Marked(partnership, _requests(requests))


@router.post(
    f"{X}/requests",
    response={201: RequestDetail, **WRITE},
    summary="Draft an information request to chosen partner organisations (members, coordinators)",
    description=(
        "The request is a draft until you submit it. `recipient_partners`: partner codes of active partners "
        "other than your own; `data_categories`: the personal data asked for (if any, a Five Safes "
        "assessment must approve it before it is sent). TLP:RED needs `recipient_people` of the addressed "
        "organisations."
    ),
)
def request_new(request, code: UUID, payload: RequestIn):
    user = request.auth
    partnership = get_partnership_for_user(user, code, write=True)
    data = payload.dict()
    data["recipient_partners"] = _partners(
        user, partnership, data["recipient_partners"], "recipient_partners"
    )
    data["recipient_people"] = _people(user, partnership, data["recipient_people"])
    item = services.request_create(actor=user, partnership=partnership, via_api=True, **data)
    return Status(201, _request(user, code, item.code))


@router.get(
    REQUEST,
    response={200: RequestDetail, **READ},
    summary="One request, with its addressed organisations and the answers you may see",
)
def request_detail(request, code: UUID, request_code: UUID):
    user = request.auth
    item = _request(user, code, request_code)
    services.access_record(user=user, item=item)
    for answer in item.visible_answers:
        services.access_record(user=user, item=answer)
    return item


@router.patch(
    REQUEST,
    response={200: RequestDetail, **WRITE},
    summary="Change a draft request, or one awaiting its assessment (the person who asked)",
)
def request_edit(request, code: UUID, request_code: UUID, payload: RequestPatch):
    user = request.auth
    item = _writable_request(user, code, request_code)
    changes = patch_changes(payload, *RequestPatch.model_fields)
    if "recipient_partners" in changes:
        changes["recipient_partners"] = _partners(
            user, item.partnership, changes["recipient_partners"], "recipient_partners"
        )
    with state_conflicts():
        services.request_update(actor=user, request=item, **changes)
    return _request(user, code, request_code)


@router.post(
    f"{REQUEST}/label",
    response={200: RequestDetail, **WRITE},
    summary="Change a request's TLP label and recipients (the person who asked or a coordinator)",
)
def request_label(request, code: UUID, request_code: UUID, payload: LabelIn):
    user = request.auth
    item = _writable_request(user, code, request_code)
    with state_conflicts():
        _label_change(user, item, payload)
    return _request(user, code, request_code)


@router.post(
    f"{REQUEST}/submit",
    response={200: RequestDetail, **WRITE},
    summary="Send a draft request; one asking for personal data first waits for its Five Safes assessment",
    description=(
        "Without personal data the request is sent at once. With personal data it is sent when its "
        "assessment is approved and valid; otherwise an assessment is opened (`assessment`) and the request "
        "waits (`awaiting_assessment`) until another coordinator approves it."
    ),
)
def request_submit(request, code: UUID, request_code: UUID):
    user = request.auth
    item = _writable_request(user, code, request_code)
    with state_conflicts():
        services.request_submit(actor=user, request=item)
    return _request(user, code, request_code)


def _answer(user, request, answer):
    fresh = _labelled(selectors.answers_for(user=user, request=request)).get(pk=answer.pk)
    fresh.partnership = answer.partnership
    return _downloads(user, [fresh])[0]


@router.post(
    f"{REQUEST}/answers",
    response={201: AnswerOut, **WRITE},
    summary="Answer a request addressed to your organisation (members, coordinators of that organisation)",
    description="`tlp` defaults to the request's label (AMBER if the request is CLEAR or GREEN); the "
    "requesting and your organisation see the answer (TLP:RED: the requester in person).",
)
def request_answer(request, code: UUID, request_code: UUID, payload: AnswerIn):
    user = request.auth
    item = _writable_request(user, code, request_code)
    with state_conflicts():
        answer = services.request_answer(actor=user, request=item, text=payload.text, tlp=payload.tlp)
    return Status(201, _answer(user, item, answer))


@router.post(
    f"{REQUEST}/decline",
    response={201: AnswerOut, **WRITE},
    summary="Decline a request addressed to your organisation, with a reason",
)
def request_decline(request, code: UUID, request_code: UUID, payload: DeclineIn):
    user = request.auth
    item = _writable_request(user, code, request_code)
    with state_conflicts():
        answer = services.request_decline(actor=user, request=item, reason=payload.reason)
    return Status(201, _answer(user, item, answer))


@router.post(
    f"{REQUEST}/close",
    response={200: RequestDetail, **WRITE},
    summary="Close a sent, answered, declined or overdue request (the person who asked or a coordinator)",
)
def request_close(request, code: UUID, request_code: UUID):
    user = request.auth
    item = _writable_request(user, code, request_code)
    with state_conflicts():
        services.request_close(actor=user, request=item)
    return _request(user, code, request_code)


# Five Safes assessments -------------------------------------------------------------------------------


@router.get(
    f"{X}/five-safes/questions",
    response={200: QuestionSetOut, **READ},
    summary="The Five Safes questions, in your language (or `lang`)",
)
def five_safes_questions(request, code: UUID, lang: Literal["en", "nl"] | None = None):
    from safepact.exchange import five_safes

    get_partnership_for_user(request.auth, code)
    questions = five_safes.question_set(None)
    language = five_safes.language_of(lang)  # default: the language of the request (yours)
    return {
        "version": questions.version,
        "language": language,
        "title": five_safes.tr(questions.title, language),
        "description": five_safes.tr(questions.description, language) if questions.description else "",
        "questions": [
            {"safe": safe.id, "title": safe.title, "question": safe.question, "guidance": safe.guidance}
            for safe in questions.localised(language)
        ],
    }


def _assessment(user, code, assessment_code):
    assessment = selectors.get_assessment_for_user(user, code, assessment_code)
    fresh = (
        selectors.assessment_list(user=user, partnership=assessment.partnership)
        .select_related("requested_by", "decided_by")
        .prefetch_related("answers")
        .get(pk=assessment.pk)
    )
    fresh.partnership = assessment.partnership
    linked = visible_to(user, InformationRequest.objects.filter(assessment=fresh)).first()
    fresh.visible_request_code = linked.code if linked is not None else None
    return fresh


def _draft_assessment(user, code, assessment_code):
    get_partnership_for_user(user, code, write=True)
    return selectors.get_assessment_for_user(user, code, assessment_code)


@router.get(
    f"{X}/assessments",
    response={200: list[AssessmentOut], **READ},
    summary="Five Safes assessments: all of them for coordinators, your own for others",
)
@paginate(LimitOffsetPagination)
def assessment_index(request, code: UUID):
    user = request.auth
    partnership = get_partnership_for_user(user, code)
    return selectors.assessment_list(user=user, partnership=partnership).select_related(
        "requested_by", "decided_by"
    )


@router.get(
    ASSESSMENT,
    response={200: AssessmentDetail, **with_errors(403)},
    summary="One Five Safes assessment with its answers (coordinators and the person who asked for it)",
)
def assessment_detail(request, code: UUID, assessment_code: UUID):
    return _assessment(request.auth, code, assessment_code)


@router.put(
    f"{ASSESSMENT}/answers/{{safe}}",
    response={200: AssessmentDetail, **WRITE},
    summary="Answer one of the five safes: answer, risk and mitigations (while the assessment is a draft)",
)
def assessment_answer(
    request,
    code: UUID,
    assessment_code: UUID,
    safe: SafeValue,  # type: ignore[valid-type]
    payload: AssessmentAnswerIn,
):
    user = request.auth
    assessment = _draft_assessment(user, code, assessment_code)
    with state_conflicts():
        services.assessment_answer_set(
            actor=user,
            assessment=assessment,
            safe=safe,
            answer=payload.answer,
            risk=payload.risk,
            mitigations=payload.mitigations,
        )
    return _assessment(user, code, assessment_code)


@router.post(
    f"{ASSESSMENT}/submit",
    response={200: AssessmentDetail, **WRITE},
    summary="Submit a complete assessment for a decision; the other coordinators are told",
)
def assessment_submit(request, code: UUID, assessment_code: UUID):
    user = request.auth
    assessment = _draft_assessment(user, code, assessment_code)
    with state_conflicts():
        services.assessment_submit(actor=user, assessment=assessment)
    return _assessment(user, code, assessment_code)


@router.post(
    f"{ASSESSMENT}/decision",
    response={200: AssessmentDetail, **WRITE},
    summary="Decide a submitted assessment (a coordinator who did not ask for it: four eyes)",
    description=(
        "`approved` or `approved_with_conditions` (needs `conditions`) sends the request it gates; "
        "`rejected` (needs `note`) returns the request to its author as a draft, with the note."
    ),
)
def assessment_decision(request, code: UUID, assessment_code: UUID, payload: DecisionIn):
    user = request.auth
    get_partnership_for_user(user, code, manage=True)
    assessment = selectors.get_assessment_for_user(user, code, assessment_code)
    with state_conflicts():
        services.assessment_decide(
            actor=user,
            assessment=assessment,
            decision=payload.decision,
            conditions=payload.conditions,
            note=payload.note,
            valid_until=payload.valid_until,
        )
    return _assessment(user, code, assessment_code)


# The data-sharing register ----------------------------------------------------------------------------


def _flow(user, code, flow_code):
    flow = selectors.get_flow_for_user(user, code, flow_code)
    return selectors.flow_list(user=user, partnership=flow.partnership).get(pk=flow.pk)


def _parties(user, partnership, parties) -> list:
    partners = _partners(user, partnership, [p["partner"] for p in parties], "parties")
    by_code = {partner.code: partner for partner in partners}
    return [(by_code[p["partner"]], p["role"], p["part"]) for p in parties]


def _flow_assessment(user, partnership, assessment_code):
    if assessment_code is None:
        return None
    assessment = (
        selectors.assessment_list(user=user, partnership=partnership).filter(code=assessment_code).first()
    )
    if assessment is None:
        raise ValidationError({"assessment": _("This partnership has no assessment with this code.")})
    return assessment


@router.get(
    f"{X}/flows",
    response={200: list[FlowOut], **READ},
    summary="The data-sharing register: recurring data flows",
)
@paginate(LimitOffsetPagination)
def flow_index(request, code: UUID):
    user = request.auth
    partnership = get_partnership_for_user(user, code)
    return selectors.flow_list(user=user, partnership=partnership)


@router.post(
    f"{X}/flows",
    response={201: FlowOut, **WRITE},
    summary="Record a recurring data flow in the register (coordinator)",
    description="`parties`: partner codes with their role (controller, joint_controller, processor); at "
    "least one controller or joint controller.",
)
def flow_new(request, code: UUID, payload: FlowIn):
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    data = payload.dict()
    data["parties"] = _parties(user, partnership, data["parties"])
    data["assessment"] = _flow_assessment(user, partnership, data["assessment"])
    data["agreement_code"] = data.pop("agreement")
    with _fields_named(agreement_code="agreement"):
        flow = services.flow_create(actor=user, partnership=partnership, **data)
    return Status(201, _flow(user, code, flow.code))


@router.get(f"{FLOW}", response={200: FlowOut, **READ}, summary="One data flow of the register")
def flow_detail(request, code: UUID, flow_code: UUID):
    return _flow(request.auth, code, flow_code)


@router.patch(
    FLOW,
    response={200: FlowOut, **WRITE},
    summary="Change a data flow, or end it with `status: ended` (coordinator)",
)
def flow_edit(request, code: UUID, flow_code: UUID, payload: FlowPatch):
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    flow = selectors.get_flow_for_user(user, code, flow_code)
    changes = patch_changes(payload, *FlowPatch.model_fields)
    status = changes.pop("status", None)
    if flow.status == FlowStatus.ENDED and (changes or status == FlowStatus.ACTIVE):
        raise HttpError(409, _("This data flow has ended: it can no longer be changed."))
    if "parties" in changes:
        changes["parties"] = _parties(user, partnership, changes["parties"])
    if "assessment" in changes:
        changes["assessment"] = _flow_assessment(user, partnership, changes["assessment"])
    if "agreement" in changes:
        changes["agreement_code"] = changes.pop("agreement")
    with state_conflicts(), _fields_named(agreement_code="agreement"), transaction.atomic():
        if changes:
            services.flow_update(actor=user, flow=flow, **changes)
        if status == FlowStatus.ENDED and flow.status != FlowStatus.ENDED:
            services.flow_end(actor=user, flow=flow)
    return _flow(user, code, flow_code)


@router.get(
    f"{X}/register/art30",
    response={200: Art30Out, **with_errors(403, 422)},
    summary="An organisation's records of processing (GDPR Art. 30) in this partnership: JSON, CSV or PDF",
    description=(
        "`organisation`: organisation code of a partner (default: your own); coordinators read every "
        "partner's records, other members their own organisation's. `format`: `json` (default), `csv` or "
        "`pdf`; a CSV or PDF export is recorded in the partnership's audit trail."
    ),
    openapi_extra={
        "responses": {
            200: {
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Art30Out"}},
                    "text/csv": {},
                    "application/pdf": {},
                },
                "description": "The records of processing",
            }
        }
    },
)
def register_art30(
    request,
    code: UUID,
    organisation: UUID | None = None,
    format: Art30Format = "json",  # type: ignore[valid-type]
):
    from safepact.exchange import documents

    user = request.auth
    partnership = get_partnership_for_user(user, code)
    if organisation is None:
        organisation = partnership.membership.partner.organisation.code
    _, found = selectors.art30_scope(user, partnership, organisation)
    records = selectors.art30_records(user=user, partnership=partnership, organisation=found)
    if format == "json":
        return {"organisation": found, "records": [{**vars(r), "article": r.article} for r in records]}
    with transaction.atomic():
        services.art30_export_record(
            actor=user, partnership=partnership, organisation=found, fmt=format, count=len(records)
        )
        if format == "pdf":
            data, content_type = (
                documents.art30_pdf(records, found, partnership=partnership),
                "application/pdf",
            )
        else:
            data, content_type = documents.art30_csv(records, found), documents.CSV_CONTENT_TYPE
    response = HttpResponse(data, content_type=content_type)
    filename = documents.art30_filename(found, format)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    return response


# Search and settings ----------------------------------------------------------------------------------


class SearchParams(Schema):
    q: str = Field("", max_length=500, description="Words to find.")
    limit: int = Field(20, ge=1, le=SEARCH_MAX)
    offset: int = Field(0, ge=0, le=settings.NINJA_PAGINATION_MAX_OFFSET)
    kind: SearchKindValue | None = None  # type: ignore[valid-type]


@router.get(
    f"{X}/search",
    response={200: SearchOut, **READ},
    summary="Search the posts, documents and requests you may see",
    description="`q`: words (the last one may be the beginning of a word); `kind`: post, document or "
    "request. Only what you may see is ever found. Page with `limit` and `offset` while `has_more`.",
)
def search_index(request, code: UUID, params: Query[SearchParams]):
    user = request.auth
    partnership = get_partnership_for_user(user, code)
    page = search.search(
        user=user,
        query=params.q,
        partnership=partnership,
        kinds=[params.kind] if params.kind else None,
        limit=params.limit,
        offset=params.offset,
    )
    items = [
        {
            "kind": hit.kind,
            "code": hit.code,
            "partnership": hit.partnership_code,
            "title": hit.title,
            "snippet": hit.snippet,
            "tlp": hit.tlp,
            "created_at": hit.created_at,
            "url": hit.url,
        }
        for hit in page.results
    ]
    return {"items": items, "has_more": page.has_more}


@router.get(
    f"{X}/settings",
    response={200: SettingsOut, **with_errors(403)},
    summary="The exchange settings: upload limits, TLP:RED downloads, retention, reminders (coordinator)",
)
def settings_detail(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code, manage=True)
    return selectors.settings_for(partnership)


@router.put(
    f"{X}/settings",
    response={200: SettingsOut, **WRITE},
    summary="Change the exchange settings (coordinator); fields left out keep their value",
    description="Retention periods lie between the bounds the platform sets; `max_upload_mb` between 1 and "
    "the platform's ceiling; `allowed_types` a subset of pdf, image, office, text ([]: all).",
)
def settings_put(request, code: UUID, payload: SettingsIn):
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    return services.settings_update(actor=user, partnership=partnership, **payload.dict(exclude_unset=True))
