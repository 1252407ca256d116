"""Writes for information requests: asking, the Five Safes gate, sending, answering, declining, closing.

The states (``RequestStatus``)::

    draft ──submit──▶ sent ──answer──▶ answered ──close──▶ closed
      │  ▲              │  └──decline (all)──▶ declined ──close──▶ closed
      │  │              └──deadline passed (daily job)──▶ overdue ──answer──▶ answered
      ▼  │ rejected / deadline passed
    awaiting assessment ──assessment approved──▶ sent

A request that asks for personal data (``data_categories``) is only sent once its Five Safes assessment is
approved (or approved with conditions) and still valid (``valid_until``); until then it waits for the
assessment. Recipients answer or decline with a reason; each answer is itself labelled.

Labels and recipients are kept in step: the recipient organisations of the label are the requesting and the
addressed organisations (what matters for TLP:AMBER and TLP:AMBER+STRICT); the recipient people are the
people named in the addressed organisations plus the requester (what matters for TLP:RED). A request is not
shown to the addressed organisations before it is sent (``selectors.requests.visible_requests``) and is indexed
for search only once sent.

Restricted text never leaves the item: audit events hold codes, labels, states and dates (and a neutral target
label for restricted items); notification titles are neutral for TLP:AMBER, TLP:AMBER+STRICT and TLP:RED.
"""

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.audit.services import audit_record
from safepact.exchange import permissions
from safepact.exchange.models import (
    APPROVED_STATES,
    OPEN_STATES,
    Answer,
    Assessment,
    AssessmentAnswer,
    AssessmentStatus,
    Attachment,
    DataCategory,
    InformationRequest,
    LegalBasis,
    RecipientStatus,
    RequestRecipient,
    RequestStatus,
)
from safepact.lib import clock
from safepact.lib.tlp import RESTRICTED, TLP
from safepact.notifications.services import notify
from safepact.partnerships.models import Membership, Partner, Partnership, PartnerStatus, Role
from safepact.partnerships.selectors import ACTIVE_MEMBERSHIP, get_partnership_for_user
from safepact.partnerships.tlp import may_see

logger = logging.getLogger(__name__)

__all__ = [
    "CLOSABLE_STATES",
    "EDITABLE_STATES",
    "assessment_is_valid",
    "assessment_url",
    "label_recipients",
    "lock_assessment_of",
    "neutralise_notifications",
    "reopen_assessment",
    "request_answer",
    "request_close",
    "request_create",
    "request_decline",
    "request_submit",
    "request_update",
    "request_url",
    "stricter",
    "sync_request_recipients",
]

TITLE_MAX = 200
TEXT_MAX = 50_000
PROVISION_MAX = 300
#: Files in one go (a request, a change of it, an answer), as for posts: each is within the size limit, this
#: keeps one submission from filling the storage.
MAX_FILES = 20
#: States in which the requester may still change the request.
EDITABLE_STATES = (RequestStatus.DRAFT, RequestStatus.AWAITING_ASSESSMENT)
#: States from which a request can be closed.
CLOSABLE_STATES = (RequestStatus.SENT, RequestStatus.ANSWERED, RequestStatus.DECLINED, RequestStatus.OVERDUE)
REQUEST_FIELDS = (
    "title",
    "question",
    "purpose",
    "legal_basis",
    "national_provision",
    "data_categories",
    "deadline",
    "tlp",
    "recipient_partners",
    "recipient_people",
    "files",
)
#: From open to most restricted.
_ORDER = (TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED)


def register() -> None:
    """Audit action labels and the dashboard's attention items (called once from exchange.hooks)."""
    from safepact.audit.selectors import register_action_labels
    from safepact.exchange.selectors.requests import request_attention
    from safepact.partnerships import hooks

    register_action_labels(
        {
            "exchange.request.created": gettext_lazy("Information request drafted"),
            "exchange.request.updated": gettext_lazy("Information request changed"),
            "exchange.request.awaiting_assessment": gettext_lazy(
                "Information request waiting for its Five Safes assessment"
            ),
            "exchange.request.sent": gettext_lazy("Information request sent"),
            "exchange.request.returned": gettext_lazy("Information request returned to draft"),
            "exchange.request.answered": gettext_lazy("Information request answered"),
            "exchange.request.declined": gettext_lazy("Information request declined"),
            "exchange.request.closed": gettext_lazy("Information request closed"),
            "exchange.request.reminded": gettext_lazy("Reminder about an information request sent"),
            "exchange.request.overdue": gettext_lazy("Information request overdue"),
            "exchange.request.escalated": gettext_lazy("Overdue information request escalated"),
            "exchange.assessment.reopened": gettext_lazy(
                "Five Safes assessment reopened: its request changed after it was submitted or approved"
            ),
        },
        {
            "exchange": gettext_lazy("Information exchange"),
            "exchange.request": gettext_lazy("Information requests"),
        },
    )
    hooks.register_attention(request_attention)


# Helpers -------------------------------------------------------------------------------------------


def stricter(*labels) -> TLP:
    """The most restricted of ``labels``."""
    return max((TLP(label) for label in labels), key=_ORDER.index)


def _restricted(label) -> bool:
    return TLP(label) in RESTRICTED


@dataclass(frozen=True)
class AuditTarget:
    """What the audit trail names for a restricted item: its model and code, never its title."""

    _meta: object
    code: UUID
    pk: int
    label: str

    def __str__(self) -> str:
        return self.label


def audit_target(item):
    """``item`` itself when its label is CLEAR or GREEN; otherwise a stand-in labelled with the kind and
    label only (``audit_record`` stores ``str(target)``, which is the title of a request)."""
    label = getattr(item, "tlp", None)
    if label is None or not _restricted(label):
        return item
    text = f"{str(item._meta.verbose_name).capitalize()} ({TLP(label).label})"
    return AuditTarget(_meta=item._meta, code=item.code, pk=item.pk, label=text)


def _url(name: str, fallback: str, **kwargs) -> str:
    """The page's path; the fixed path of the contract while the page is not wired yet."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return fallback.format(**kwargs)


def request_url(request: InformationRequest) -> str:
    return _url(
        "exchange:request",
        "/p/{code}/exchange/requests/{request}/",
        code=request.partnership.code,
        request=request.code,
    )


def assessment_url(assessment: Assessment) -> str:
    return _url(
        "exchange:assessment",
        "/p/{code}/exchange/assessments/{assessment}/",
        code=assessment.partnership.code,
        assessment=assessment.code,
    )


def assessment_is_valid(assessment: Assessment | None, on: date | None = None) -> bool:
    """Approved (or approved with conditions) and not expired on ``on`` (default: today)."""
    if assessment is None or assessment.status not in APPROVED_STATES:
        return False
    on = on or clock.today()
    return assessment.valid_until is None or assessment.valid_until >= on


def _snapshot(request: InformationRequest) -> dict:
    """What the audit trail keeps of a request: codes, label, state and dates; never its texts."""
    return {
        "status": request.status,
        "tlp": request.tlp,
        "legal_basis": request.legal_basis,
        "data_categories": list(request.data_categories),
        "deadline": request.deadline.isoformat() if request.deadline else None,
        "recipients": sorted(
            str(code) for code in request.recipients.values_list("partner__code", flat=True)
        ),
        "recipient_people": sorted(
            str(code) for code in request.recipient_people.values_list("code", flat=True)
        ),
        "attachments": request.attachments.count(),
        "assessment": str(request.assessment.code) if request.assessment_id else None,
    }


def _lock_request(actor, request: InformationRequest, *, write: bool = False) -> InformationRequest:
    """Re-check the actor's scope (404 outsider, 403 without the role), lock and re-read the request, and
    404 when the actor may not see it."""
    from safepact.exchange.selectors.requests import visible_requests

    partnership = get_partnership_for_user(actor, request.partnership.code, write=write)
    locked = (
        InformationRequest.objects.select_for_update().filter(pk=request.pk, partnership=partnership).first()
    )
    if locked is None or not visible_requests(actor, partnership).filter(pk=locked.pk).exists():
        raise Http404(_("Information request not found."))
    locked.partnership = partnership
    return locked


def _write_members(partner_ids, partnership: Partnership):
    """Active people with the write role taking part through one of ``partner_ids``."""
    return (
        Membership.objects.filter(
            ACTIVE_MEMBERSHIP,
            partner_id__in=partner_ids,
            partner__partnership=partnership,
            role__in=[Role.COORDINATOR, Role.MEMBER],
            user__is_active=True,
        )
        .select_related("user")
        .order_by("id")
    )


def coordinators_of(partnership: Partnership, *, exclude=()) -> list:
    """The active coordinators of ``partnership`` (people), without the users in ``exclude``."""
    excluded = {getattr(user, "pk", user) for user in exclude}
    memberships = (
        Membership.objects.filter(
            ACTIVE_MEMBERSHIP, partner__partnership=partnership, role=Role.COORDINATOR, user__is_active=True
        )
        .select_related("user")
        .order_by("id")
    )
    people, seen = [], set()
    for membership in memberships:
        if membership.user_id in excluded or membership.user_id in seen:
            continue
        seen.add(membership.user_id)
        people.append(membership.user)
    return people


def _who_may_see(users, item) -> list:
    return [user for user in users if may_see(user, item)]


def _notify_request(
    *,
    request: InformationRequest,
    recipients,
    kind: str,
    restricted_title,
    open_title,
    tlp=None,
    body: str = "",
) -> None:
    """Tell ``recipients`` about ``request``: the neutral title for restricted labels, else the open one."""
    label = TLP(tlp or request.tlp)
    recipients = [user for user in recipients if user is not None]
    if not recipients:
        return
    restricted = _restricted(label) or _restricted(request.tlp)
    notify(
        recipients=recipients,
        kind=kind,
        title=restricted_title if restricted else open_title,
        url=request_url(request),
        body="" if restricted else body,
        tlp=stricter(label, request.tlp).value,
        partnership=request.partnership,
    )


# Cleaning input ------------------------------------------------------------------------------------


def _text(value, field: str, *, required: bool, limit: int, empty_message: str) -> tuple[str, dict]:
    text = str(value or "").strip()
    if required and not text:
        return text, {field: empty_message}
    if len(text) > limit:
        return text, {field: _("This can be at most %(max)s characters.") % {"max": limit}}
    return text, {}


def _clean_date(value, field: str) -> tuple[date | None, dict]:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            return None, {field: _("Enter a date.")}
    if hasattr(value, "date") and callable(value.date):  # a datetime
        value = value.date()
    if not isinstance(value, date):
        return None, {field: _("Enter a date.")}
    return value, {}


def _clean_categories(values) -> tuple[list[str], dict]:
    if values is None:
        values = []
    if isinstance(values, str):
        values = [values]
    cleaned = []
    for value in values:
        value = str(value)
        if value not in DataCategory.values:
            return [], {
                "data_categories": _("%(value)s is not a category of personal data.") % {"value": value}
            }
        if value not in cleaned:
            cleaned.append(value)
    return cleaned, {}


def _code_of(value) -> UUID | None:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except (TypeError, ValueError):
        return None


def _clean_partners(
    partnership: Partnership, requester_partner: Partner, values
) -> tuple[list[Partner], dict]:
    """Addressed partners: active partners of the partnership other than the requester's own organisation.
    Each value may be a ``Partner``, an ``Organisation`` or the code of either."""
    from safepact.accounts.models import Organisation

    values = list(values or [])
    if not values:
        return [], {"recipient_partners": _("Choose at least one partner organisation to ask.")}
    partner_ids, organisation_ids, codes = set(), set(), set()
    for value in values:
        if isinstance(value, Partner):
            partner_ids.add(value.pk)
        elif isinstance(value, Organisation):
            organisation_ids.add(value.pk)
        else:
            code = _code_of(value)
            if code is None:
                return [], {"recipient_partners": _("Ask only partner organisations of this partnership.")}
            codes.add(code)
    found = list(
        Partner.objects.filter(partnership=partnership)
        .filter(
            Q(pk__in=partner_ids)
            | Q(organisation_id__in=organisation_ids)
            | Q(code__in=codes)
            | Q(organisation__code__in=codes)
        )
        .select_related("organisation")
        .order_by("organisation__name", "id")
    )
    matched = (
        {p.pk for p in found} >= partner_ids
        and {p.organisation_id for p in found} >= organisation_ids
        and all(any(code in (p.code, p.organisation.code) for p in found) for code in codes)
    )
    if not matched:
        return [], {"recipient_partners": _("Ask only partner organisations of this partnership.")}
    if any(p.status != PartnerStatus.ACTIVE for p in found):
        return [], {"recipient_partners": _("Ask only active partner organisations.")}
    if any(p.pk == requester_partner.pk for p in found):
        return [], {
            "recipient_partners": _(
                "Your own organisation cannot be asked; choose other partner organisations."
            )
        }
    return found, {}


def _clean_people(
    partnership: Partnership, partners: list[Partner], label, values, *, drop_others: bool = False
) -> tuple[list, dict]:
    """Named people: active members of the partnership taking part through an addressed organisation. For
    TLP:RED every addressed organisation needs at least one (else nobody there may read and answer).
    ``drop_others``: leave out people who are not (or no longer) such members instead of refusing them."""
    from safepact.accounts.models import User

    people = []
    for value in list(values or []):
        if isinstance(value, Membership):
            value = value.user
        if not isinstance(value, User):
            code = _code_of(value)
            value = User.objects.filter(code=code).first() if code else None
            if value is None:
                return [], {"recipient_people": _("Name only members of the addressed organisations.")}
        if value.pk not in {p.pk for p in people}:
            people.append(value)
    partner_ids = {p.pk for p in partners}
    through = dict(
        Membership.objects.filter(
            ACTIVE_MEMBERSHIP,
            partner__partnership=partnership,
            partner_id__in=partner_ids,
            user_id__in=[p.pk for p in people],
            user__is_active=True,
        ).values_list("user_id", "partner_id")
    )
    if drop_others:
        people = [person for person in people if person.pk in through]
    elif any(person.pk not in through for person in people):
        return [], {"recipient_people": _("Name only active members of the addressed organisations.")}
    if TLP(label) == TLP.RED and partners:
        covered = set(through.values())
        missing = [p.organisation.name for p in partners if p.pk not in covered]
        if missing:
            return [], {
                "recipient_people": _(
                    "TLP:RED: name at least one person of each addressed organisation (missing: %(names)s)."
                )
                % {"names": ", ".join(missing)}
            }
    return people, {}


def _check_files(partnership: Partnership, files) -> list[tuple[object, object]]:
    """Check every upload before anything is stored; ``ValidationError({"files": ...})`` naming the file."""
    from safepact.exchange.selectors.posts import settings_for
    from safepact.exchange.uploads import check_upload

    files = [upload for upload in (files or ()) if upload is not None]
    if not files:
        return []
    if len(files) > MAX_FILES:
        raise ValidationError({"files": _("Attach at most %(max)s files at once.") % {"max": MAX_FILES}})
    limits = settings_for(partnership)
    checked, errors = [], []
    for upload in files:
        try:
            checked.append((upload, check_upload(upload, limits=limits)))
        except ValidationError as error:
            errors.extend(error.message_dict.get("file", error.messages))
    if errors:
        raise ValidationError({"files": errors})
    return checked


@contextmanager
def files_removed_on_error():
    """Yields a list for the stored names of newly written files; removes the files if the block fails (the
    transaction rolls back their rows, the storage is not transactional)."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        storage = Attachment._meta.get_field("file").storage
        for name in written:
            storage.delete(name)
        raise


def store_files(*, actor, checked, written: list, **owner) -> list[Attachment]:
    """Store checked uploads as attachments of ``owner`` (``request=`` or ``answer=``); the stored names
    go into ``written`` (see ``files_removed_on_error``)."""
    stored = []
    for upload, info in checked:
        if hasattr(upload, "seek"):
            upload.seek(0)
        attachment = Attachment(
            name=info.name,
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
            created_by=actor,
            created_at=clock.now(),
            **owner,
        )
        attachment.file.save(info.name, upload, save=False)
        written.append(attachment.file.name)
        attachment.save()
        stored.append(attachment)
    return stored


def sync_request_recipients(*, request: InformationRequest, people=None) -> None:
    """Keep the label's recipients in step with the addressed organisations: recipient organisations are the
    requesting and the addressed organisations; recipient people the named people who still take part
    through an addressed organisation (``people`` replaces them) plus the requester."""
    partner_ids = list(request.recipients.values_list("partner_id", flat=True))
    organisation_ids = list(
        Partner.objects.filter(pk__in=[request.requester_partner_id, *partner_ids]).values_list(
            "organisation_id", flat=True
        )
    )
    request.recipient_organisations.set(organisation_ids)
    named = (
        [p.pk for p in people]
        if people is not None
        else list(request.recipient_people.exclude(pk=request.created_by_id).values_list("pk", flat=True))
    )
    still_there = set(
        Membership.objects.filter(
            partner_id__in=partner_ids, user_id__in=named, partner__partnership_id=request.partnership_id
        ).values_list("user_id", flat=True)
    )
    request.recipient_people.set([pk for pk in named if pk in still_there] + [request.created_by_id])


def label_recipients(
    *, request: InformationRequest, label, organisations=None, people=None
) -> tuple[list, list]:
    """The recipients a new ``label`` of ``request`` gets, in step with ``sync_request_recipients``: the
    recipient organisations are always the requesting and the addressed organisations (``organisations``, if
    given, must be exactly those: a label change cannot hand a request to an organisation that was not asked,
    nor take it from one that must answer); the named people are people of the addressed organisations
    (``people``; the requester may be among them and is always kept; ``None`` keeps the current ones who still
    take part). For TLP:RED every addressed organisation needs one. Returns ``(organisations, named)``,
    ``named`` without the requester; ``ValidationError`` naming the field otherwise."""
    from safepact.accounts.models import Organisation

    partners = list(
        Partner.objects.filter(pk__in=request.recipients.values("partner_id"))
        .select_related("organisation")
        .order_by("organisation__name", "id")
    )
    wanted = [request.requester_partner.organisation, *(partner.organisation for partner in partners)]
    if organisations is not None:
        given, codes = set(), set()
        for value in organisations:
            if isinstance(value, Organisation):
                given.add(value.pk)
            else:
                code = _code_of(value)
                codes.add(code)
        if codes:
            found = dict(
                Organisation.objects.filter(code__in=[c for c in codes if c]).values_list("code", "pk")
            )
            if None in codes or len(found) != len(codes):
                given.add(None)
            given |= set(found.values())
        if given != {organisation.pk for organisation in wanted}:
            raise ValidationError(
                {
                    "recipient_organisations": _(
                        "An information request is for the organisation that asks and the organisations it "
                        "asks; to change them, change the addressed organisations of the request."
                    )
                }
            )
    if people is None:
        values, drop = list(request.recipient_people.exclude(pk=request.created_by_id)), True
    else:
        values = []
        for value in people:
            person = value.user if isinstance(value, Membership) else value
            if (
                getattr(person, "pk", None) == request.created_by_id
                or _code_of(person) == request.created_by.code
            ):
                continue
            values.append(person)
        drop = False
    named, errors = _clean_people(request.partnership, partners, label, values, drop_others=drop)
    if errors:
        raise ValidationError(errors)
    return wanted, named


RELABEL_NOTICES = {
    "post": gettext_lazy("A post in %(partnership)s is now %(label)s"),
    "document": gettext_lazy("A document in %(partnership)s is now %(label)s"),
    "request": gettext_lazy("An information request in %(partnership)s is now %(label)s"),
    "answer": gettext_lazy("An answer in %(partnership)s is now %(label)s"),
    "assessment": gettext_lazy("A Five Safes assessment in %(partnership)s is now %(label)s"),
}


def neutralise_notifications(item, label: TLP) -> int:
    """The notifications already sent about ``item`` while its label was CLEAR or GREEN carry its title (and
    maybe text), in the app and in the next digest e-mail. Now that it is restricted they get a neutral title,
    no text and the new label (so e-mails say nothing of it either). Those about it under a restricted label
    were neutral already. Returns how many changed.

    (This writes the notifications app's rows directly: it has no service for it yet.)"""
    from safepact.notifications.models import Notification

    if isinstance(item, Assessment):
        path, kind = assessment_url(item), "assessment"
    else:
        from safepact.exchange.selectors.posts import item_kind_of, page_path

        path, kind = page_path(item), item_kind_of(item)
    title = RELABEL_NOTICES[kind] % {"partnership": item.partnership.name, "label": label.label}
    return Notification.objects.filter(
        partnership_id=item.partnership_id,
        url__startswith=path,
        tlp__in=[TLP.CLEAR, TLP.GREEN],
    ).update(title=str(title)[:300], body="", tlp=label.value)


def lock_assessment_of(request: InformationRequest) -> None:
    """Lock the request's assessment before the request itself, in the order ``assessment_decide`` takes
    them (assessment, then request), so a change and a decision at the same moment wait for each other."""
    assessment_id = (
        InformationRequest.objects.filter(pk=request.pk).values_list("assessment_id", flat=True).first()
    )
    if assessment_id:
        list(Assessment.objects.select_for_update().filter(pk=assessment_id).values_list("pk", flat=True))


def reopen_assessment(*, actor, request: InformationRequest, because: str) -> Assessment | None:
    """Four eyes: the request changed after its Five Safes assessment was submitted or approved, so what was
    (or is being) weighed is no longer what would be sent. A submitted assessment goes back to draft (the
    person who asked checks the answers and submits it again; nobody can decide it meanwhile); an approved one
    stays on record as it was decided, and the request gets a new draft assessment with the same answers.
    A draft or rejected assessment is left alone (it is decided afresh anyway). Inside the caller's
    transaction, with the request locked. Returns the assessment the request now has, if it changed."""
    if not request.assessment_id:
        return None
    assessment = Assessment.objects.select_for_update().filter(pk=request.assessment_id).first()
    if assessment is None:
        return None
    if assessment.status == AssessmentStatus.SUBMITTED:
        assessment.status = AssessmentStatus.DRAFT
        assessment.updated_at = clock.now()
        assessment.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="exchange.assessment.reopened",
            target=assessment,
            partnership=request.partnership,
            before={"status": AssessmentStatus.SUBMITTED},
            after={"status": assessment.status, "request": str(request.code), "because": because},
        )
        request.assessment = assessment
        return assessment
    if assessment.status in APPROVED_STATES:
        fresh = _new_assessment(actor=actor, request=request, copy_from=assessment)
        request.updated_at = clock.now()
        request.save(update_fields=["assessment", "updated_at"])
        audit_record(
            actor=actor,
            action="exchange.assessment.reopened",
            target=assessment,
            partnership=request.partnership,
            before={"status": assessment.status},
            after={
                "status": assessment.status,
                "request": str(request.code),
                "because": because,
                "replaced_by": str(fresh.code),
            },
        )
        return fresh
    return None


#: What a change of an unsent request may touch and keep its assessment: a new deadline, or fewer addressed
#: organisations (asking fewer discloses less). Anything else changes what the assessment weighed.
_KEEPS_ASSESSMENT = ("deadline", "status", "assessment")


def _changes_what_was_assessed(before: dict, after: dict, texts) -> bool:
    if texts:
        return True
    for key in after:
        if key in _KEEPS_ASSESSMENT or before[key] == after[key]:
            continue
        if key == "recipients" and set(after[key]) <= set(before[key]):
            continue
        return True
    return False


def _clean_request(
    values: dict,
    *,
    partnership: Partnership,
    requester_partner: Partner,
    today: date,
    drop_people: bool = False,
) -> dict:
    """Validate every request field; one ``ValidationError`` naming all fields in error."""
    errors: dict = {}
    cleaned: dict = {}
    cleaned["title"], error = _text(
        values["title"],
        "title",
        required=True,
        limit=TITLE_MAX,
        empty_message=_("Give the request a subject."),
    )
    errors.update(error)
    cleaned["question"], error = _text(
        values["question"], "question", required=True, limit=TEXT_MAX, empty_message=_("Write your question.")
    )
    errors.update(error)
    cleaned["purpose"], error = _text(
        values["purpose"],
        "purpose",
        required=True,
        limit=TEXT_MAX,
        empty_message=_("Say why you need the information and what you will do with it."),
    )
    errors.update(error)
    cleaned["national_provision"], error = _text(
        values["national_provision"],
        "national_provision",
        required=False,
        limit=PROVISION_MAX,
        empty_message="",
    )
    errors.update(error)
    legal_basis = str(values["legal_basis"] or "")
    if legal_basis not in LegalBasis.values:
        errors["legal_basis"] = _("Choose the legal basis (GDPR Art. 6) you rely on.")
    cleaned["legal_basis"] = legal_basis
    cleaned["data_categories"], error = _clean_categories(values["data_categories"])
    errors.update(error)
    deadline, error = _clean_date(values["deadline"], "deadline")
    if not error and deadline < today:
        error = {"deadline": _("The deadline cannot be in the past.")}
    errors.update(error)
    cleaned["deadline"] = deadline
    label = str(values["tlp"] or "")
    if label not in TLP.values:
        errors["tlp"] = _("Choose a TLP label.")
        label = TLP.AMBER
    cleaned["tlp"] = label
    cleaned["recipient_partners"], error = _clean_partners(
        partnership, requester_partner, values["recipient_partners"]
    )
    errors.update(error)
    cleaned["recipient_people"], error = _clean_people(
        partnership, cleaned["recipient_partners"], label, values["recipient_people"], drop_others=drop_people
    )
    if "recipient_partners" not in errors:
        errors.update(error)
    if errors:
        raise ValidationError(errors)
    return cleaned


# Requests ------------------------------------------------------------------------------------------


@transaction.atomic
def request_create(
    *,
    actor,
    partnership: Partnership,
    title: str,
    question: str,
    purpose: str,
    legal_basis: str,
    national_provision: str = "",
    data_categories=(),
    deadline,
    tlp,
    recipient_partners,
    recipient_people=(),
    files=(),
    via_api: bool = False,
) -> InformationRequest:
    """Draft a request (members with the write role) to other active partner organisations of the
    partnership, on behalf of the organisation the actor takes part through."""
    partnership = get_partnership_for_user(actor, partnership.code, write=True)
    requester_partner = partnership.membership.partner
    values = _clean_request(
        {
            "title": title,
            "question": question,
            "purpose": purpose,
            "legal_basis": legal_basis,
            "national_provision": national_provision,
            "data_categories": data_categories,
            "deadline": deadline,
            "tlp": tlp,
            "recipient_partners": recipient_partners,
            "recipient_people": recipient_people,
        },
        partnership=partnership,
        requester_partner=requester_partner,
        today=clock.today(),
    )
    checked = _check_files(partnership, files)
    now = clock.now()
    request = InformationRequest(
        partnership=partnership,
        requester_partner=requester_partner,
        title=values["title"],
        question=values["question"],
        purpose=values["purpose"],
        legal_basis=values["legal_basis"],
        national_provision=values["national_provision"],
        data_categories=values["data_categories"],
        deadline=values["deadline"],
        tlp=values["tlp"],
        status=RequestStatus.DRAFT,
        via_api=bool(via_api),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    request.full_clean(exclude=["partnership", "requester_partner", "created_by", "code", "assessment"])
    request.save()
    RequestRecipient.objects.bulk_create(
        [RequestRecipient(request=request, partner=partner) for partner in values["recipient_partners"]]
    )
    sync_request_recipients(request=request, people=values["recipient_people"])
    with files_removed_on_error() as written:
        store_files(actor=actor, checked=checked, written=written, request=request)
        audit_record(
            actor=actor,
            action="exchange.request.created",
            target=audit_target(request),
            partnership=partnership,
            after={**_snapshot(request), "via_api": request.via_api},
        )
    request.partnership = partnership
    return request


@transaction.atomic
def request_update(*, actor, request: InformationRequest, **fields) -> InformationRequest:
    """Change a request that has not been sent (draft or awaiting assessment): the requester only.

    Accepts the fields of ``request_create`` (``files`` adds attachments). Texts are not audited, only
    which of them changed."""
    unknown = sorted(set(fields) - set(REQUEST_FIELDS))
    if unknown:
        raise ValidationError({unknown[0]: _("This field cannot be changed.")})
    lock_assessment_of(request)
    request = _lock_request(actor, request, write=True)
    membership = request.partnership.membership
    if not permissions.is_author(membership, request):
        raise PermissionDenied(_("Only the person who asked can change this request."))
    if request.status not in EDITABLE_STATES:
        raise ValidationError({"status": _("A request that has been sent cannot be changed.")})
    current = {
        "title": request.title,
        "question": request.question,
        "purpose": request.purpose,
        "legal_basis": request.legal_basis,
        "national_provision": request.national_provision,
        "data_categories": list(request.data_categories),
        "deadline": request.deadline,
        "tlp": request.tlp,
        "recipient_partners": list(
            Partner.objects.filter(pk__in=request.recipients.values("partner_id")).select_related(
                "organisation"
            )
        ),
        "recipient_people": list(request.recipient_people.exclude(pk=request.created_by_id)),
    }
    wanted = {name: fields.get(name, current[name]) for name in current}
    values = _clean_request(
        wanted,
        partnership=request.partnership,
        requester_partner=request.requester_partner,
        today=clock.today(),
        # named people kept from before drop out with their organisation; newly named ones are checked
        drop_people="recipient_people" not in fields,
    )
    checked = _check_files(request.partnership, fields.get("files"))
    before = _snapshot(request)
    texts = [
        name
        for name in ("title", "question", "purpose", "national_provision")
        if values[name] != current[name]
    ]
    for name in (
        "title",
        "question",
        "purpose",
        "national_provision",
        "legal_basis",
        "data_categories",
        "deadline",
        "tlp",
    ):
        setattr(request, name, values[name])
    if request.status == RequestStatus.AWAITING_ASSESSMENT and not request.asks_personal_data:
        # Nothing to wait for any more: a draft again, which the requester sends (``request_submit``).
        request.status = RequestStatus.DRAFT
    request.updated_at = clock.now()
    request.save()
    wanted_ids = {p.pk for p in values["recipient_partners"]}
    request.recipients.exclude(partner_id__in=wanted_ids).delete()
    existing = set(request.recipients.values_list("partner_id", flat=True))
    RequestRecipient.objects.bulk_create(
        [
            RequestRecipient(request=request, partner=p)
            for p in values["recipient_partners"]
            if p.pk not in existing
        ]
    )
    sync_request_recipients(request=request, people=values["recipient_people"])
    with files_removed_on_error() as written:
        store_files(actor=actor, checked=checked, written=written, request=request)
        if request.assessment_id and _restricted(request.tlp):
            # the assessment is read by every coordinator: its title must not name a restricted request
            Assessment.objects.filter(pk=request.assessment_id).update(title=_assessment_title(request))
            if not _restricted(before["tlp"]):  # nor the notifications that named it while it was open
                neutralise_notifications(Assessment.objects.get(pk=request.assessment_id), TLP(request.tlp))
        after = _snapshot(request)
        if _changes_what_was_assessed(before, after, texts) and reopen_assessment(
            actor=actor, request=request, because="changed"
        ):
            after = _snapshot(request)
        changed = [key for key in after if before[key] != after[key]]
        if changed or texts:
            audit_record(
                actor=actor,
                action="exchange.request.updated",
                target=audit_target(request),
                partnership=request.partnership,
                before={key: before[key] for key in changed},
                after={**{key: after[key] for key in changed}, **({"texts_changed": texts} if texts else {})},
            )
    return request


def _ensure_requester(request: InformationRequest) -> None:
    membership = request.partnership.membership
    if not permissions.is_author(membership, request):
        raise PermissionDenied(_("Only the person who asked can send this request."))


def _check_sendable(request: InformationRequest) -> None:
    if request.deadline < clock.today():
        raise ValidationError({"deadline": _("The deadline has passed; choose a new deadline first.")})
    inactive = request.recipients.exclude(partner__status=PartnerStatus.ACTIVE)
    if inactive.exists() or not request.recipients.exists():
        raise ValidationError(
            {
                "recipient_partners": _(
                    "Ask only active partner organisations; change the addressed organisations."
                )
            }
        )


def send(*, actor, request: InformationRequest, reason: str = "") -> InformationRequest:
    """Send ``request`` now (inside the caller's transaction): state, audit, search, notifications."""
    from safepact.exchange import search

    before = request.status
    now = clock.now()
    request.status = RequestStatus.SENT
    request.sent_at = now
    request.updated_at = now
    request.save(update_fields=["status", "sent_at", "updated_at"])
    search.index_item(request)
    audit_record(
        actor=actor,
        action="exchange.request.sent",
        target=audit_target(request),
        partnership=request.partnership,
        before={"status": before},
        after={
            "status": request.status,
            "tlp": request.tlp,
            "recipients": _snapshot(request)["recipients"],
            "assessment": str(request.assessment.code) if request.assessment_id else None,
        },
        reason=reason,
    )
    partner_ids = list(request.recipients.values_list("partner_id", flat=True))
    people = _who_may_see([m.user for m in _write_members(partner_ids, request.partnership)], request)
    _notify_request(
        request=request,
        recipients=people,
        kind="exchange.request",
        restricted_title=_("New information request in %(partnership)s")
        % {"partnership": request.partnership.name},
        open_title=_("Information request: %(title)s") % {"title": request.title},
        body=_("Answer by %(date)s.") % {"date": request.deadline.isoformat()},
    )
    return request


def _assessment_title(request: InformationRequest) -> str:
    if _restricted(request.tlp):
        return _("Five Safes: information request %(ref)s") % {"ref": str(request.code)[:8]}
    return (_("Five Safes: %(title)s") % {"title": request.title})[:TITLE_MAX]


def _new_assessment(*, actor, request: InformationRequest, copy_from: Assessment | None = None) -> Assessment:
    from safepact.exchange import five_safes

    now = clock.now()
    assessment = Assessment.objects.create(
        partnership=request.partnership,
        title=_assessment_title(request),
        question_set=copy_from.question_set if copy_from is not None else five_safes.latest_version(),
        requested_by=request.created_by,
        created_at=now,
        updated_at=now,
    )
    if copy_from is not None:
        AssessmentAnswer.objects.bulk_create(
            [
                AssessmentAnswer(
                    assessment=assessment,
                    safe=old.safe,
                    answer=old.answer,
                    risk=old.risk,
                    mitigations=old.mitigations,
                )
                for old in copy_from.answers.all()
            ]
        )
    audit_record(
        actor=actor,
        action="exchange.assessment.created",
        target=assessment,
        partnership=request.partnership,
        after={
            "status": assessment.status,
            "request": str(request.code),
            "question_set": assessment.question_set,
            "copied_from": str(copy_from.code) if copy_from is not None else None,
        },
    )
    request.assessment = assessment
    return assessment


@transaction.atomic
def request_submit(*, actor, request: InformationRequest) -> InformationRequest:
    """Send a draft (the requester). Without personal data it is sent at once; with personal data only when
    its Five Safes assessment is approved and valid, otherwise it waits for the assessment (one is created
    when missing; a rejected or expired one is replaced by a new draft with the same answers)."""
    request = _lock_request(actor, request, write=True)
    _ensure_requester(request)
    if request.status not in EDITABLE_STATES:
        raise ValidationError({"status": _("This request has already been sent.")})
    _check_sendable(request)
    if not request.asks_personal_data or assessment_is_valid(request.assessment):
        return send(actor=actor, request=request)
    assessment = request.assessment
    if assessment is None:
        assessment = _new_assessment(actor=actor, request=request)
    elif assessment.status == AssessmentStatus.REJECTED or assessment.status in APPROVED_STATES:
        # rejected, or approved but expired: a new assessment, starting from the old answers
        assessment = _new_assessment(actor=actor, request=request, copy_from=assessment)
    before = request.status
    request.status = RequestStatus.AWAITING_ASSESSMENT
    request.updated_at = clock.now()
    request.save(update_fields=["status", "assessment", "updated_at"])
    if before != request.status:
        audit_record(
            actor=actor,
            action="exchange.request.awaiting_assessment",
            target=audit_target(request),
            partnership=request.partnership,
            before={"status": before},
            after={"status": request.status, "assessment": str(assessment.code)},
        )
    return request


def return_to_draft(*, actor, request: InformationRequest, because: str) -> InformationRequest:
    """Put a request waiting for its assessment back to draft (inside the caller's transaction): the
    assessment was rejected (``because="rejected"``), or approved when the request could no longer be sent
    (``"deadline"``: its deadline passed meanwhile; ``"recipients"``: an addressed partner left). The caller
    tells the requester."""
    before = request.status
    request.status = RequestStatus.DRAFT
    request.updated_at = clock.now()
    request.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="exchange.request.returned",
        target=audit_target(request),
        partnership=request.partnership,
        before={"status": before},
        after={"status": request.status, "because": because},
    )
    return request


def _respond(*, actor, request: InformationRequest, text: str, declined: bool, files, tlp) -> Answer:
    request = _lock_request(actor, request)
    membership = request.partnership.membership
    recipient = (
        RequestRecipient.objects.select_for_update()
        .filter(request=request, partner_id=membership.partner_id)
        .select_related("partner__organisation")
        .first()
    )
    if recipient is None:
        raise PermissionDenied(_("Only the organisations this request is addressed to can answer it."))
    if not permissions.can_answer(membership, recipient):
        raise permissions.read_only_denied()
    if request.status not in OPEN_STATES:
        raise ValidationError({"status": _("This request can no longer be answered.")})
    if recipient.status != RecipientStatus.PENDING:
        raise ValidationError(
            {"status": _("Your organisation has already answered or declined this request.")}
        )
    field = "reason" if declined else "text"
    text, errors = _text(
        text,
        field,
        required=True,
        limit=TEXT_MAX,
        empty_message=_("Give the reason for declining.") if declined else _("Write your answer."),
    )
    if tlp in (None, ""):
        label = TLP(request.tlp) if _restricted(request.tlp) else TLP.AMBER
    elif str(tlp) in TLP.values:
        label = TLP(str(tlp))
    else:
        errors["tlp"] = _("Choose a TLP label.")
        label = TLP.AMBER
    if errors:
        raise ValidationError(errors)
    checked = _check_files(request.partnership, files)
    now = clock.now()
    answer = Answer.objects.create(
        partnership=request.partnership,
        request=request,
        recipient=recipient,
        declined=declined,
        text=text,
        tlp=label,
        created_by=actor,
        created_at=now,
    )
    answer.recipient_organisations.set(
        [request.requester_partner.organisation_id, recipient.partner.organisation_id]
    )
    answer.recipient_people.set([request.created_by_id])
    with files_removed_on_error() as written:
        store_files(actor=actor, checked=checked, written=written, answer=answer)
        recipient.status = RecipientStatus.DECLINED if declined else RecipientStatus.ANSWERED
        recipient.responded_at = now
        recipient.save(update_fields=["status", "responded_at"])
        before = request.status
        statuses = list(request.recipients.values_list("status", flat=True))
        if any(status == RecipientStatus.ANSWERED for status in statuses):
            request.status = RequestStatus.ANSWERED
        elif all(status == RecipientStatus.DECLINED for status in statuses):
            request.status = RequestStatus.DECLINED
        request.updated_at = now
        request.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="exchange.request.declined" if declined else "exchange.request.answered",
            target=audit_target(request),
            partnership=request.partnership,
            before={"status": before},
            after={
                "status": request.status,
                "answer": str(answer.code),
                "answer_tlp": answer.tlp,
                "organisation": str(recipient.partner.code),
                "attachments": len(checked),
            },
        )
    organisation = recipient.partner.organisation.name
    values = {"partnership": request.partnership.name, "organisation": organisation, "title": request.title}
    if declined:
        restricted = _("An information request in %(partnership)s was declined") % values
        open_title = _("%(organisation)s declined: %(title)s") % values
    else:
        restricted = _("An information request in %(partnership)s was answered") % values
        open_title = _("%(organisation)s answered: %(title)s") % values
    requester = request.created_by
    _notify_request(
        request=request,
        recipients=[requester] if may_see(requester, answer) else [],
        kind="exchange.request.declined" if declined else "exchange.request.answered",
        restricted_title=restricted,
        open_title=open_title,
        tlp=answer.tlp,
    )
    answer.request = request
    return answer


@transaction.atomic
def request_answer(*, actor, request: InformationRequest, text: str, files=(), tlp=None) -> Answer:
    """Answer for the actor's organisation (a write member of an addressed organisation that has not
    answered yet). The answer's label defaults to the request's, or TLP:AMBER for a CLEAR/GREEN request; the
    requesting and the answering organisations are its recipients (TLP:RED: the requester in person)."""
    return _respond(actor=actor, request=request, text=text, declined=False, files=files, tlp=tlp)


@transaction.atomic
def request_decline(*, actor, request: InformationRequest, reason: str, tlp=None) -> Answer:
    """Decline for the actor's organisation, with a reason (a labelled ``Answer`` with ``declined``). When
    every addressed organisation declined, the request is declined."""
    return _respond(actor=actor, request=request, text=reason, declined=True, files=(), tlp=tlp)


@transaction.atomic
def request_close(*, actor, request: InformationRequest) -> InformationRequest:
    """Close a sent request (the requester or a coordinator); nobody can answer it any more."""
    from safepact.exchange import search

    request = _lock_request(actor, request)
    if not permissions.can_close_request(request.partnership.membership, request):
        raise PermissionDenied(_("Only the person who asked or a coordinator can close this request."))
    if request.status not in CLOSABLE_STATES:
        raise ValidationError({"status": _("Only a request that has been sent can be closed.")})
    before = request.status
    now = clock.now()
    request.status = RequestStatus.CLOSED
    request.closed_at = now
    request.updated_at = now
    request.save(update_fields=["status", "closed_at", "updated_at"])
    search.index_item(request)
    audit_record(
        actor=actor,
        action="exchange.request.closed",
        target=audit_target(request),
        partnership=request.partnership,
        before={"status": before},
        after={"status": request.status},
    )
    return request
