"""Reads for information requests, their answers and Five Safes assessments.

Every read starts from the requesting user: outsiders get 404, members without the role 403, and requests and
answers (TLP-labelled) are narrowed by ``visible_to`` first, so an item a member may not see is simply not there.

A request that has not been sent yet (draft, awaiting assessment) is, on top of its label, only shown to the
people of the requesting organisation and to coordinators: the addressed organisations see it once it is sent
(the Five Safes gate must not be bypassed by reading the draft).
"""

from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from safepact.exchange.models import (
    OPEN_STATES,
    Answer,
    Assessment,
    AssessmentStatus,
    InformationRequest,
    RecipientStatus,
    RequestRecipient,
    RequestStatus,
)
from safepact.partnerships.models import Partnership
from safepact.partnerships.permissions import can_manage, can_write
from safepact.partnerships.selectors import get_partnership_for_user, membership_in, partnerships_for
from safepact.partnerships.tlp import visible_to

__all__ = [
    "BOXES",
    "UNSENT_STATES",
    "answers_for",
    "assessment_list",
    "assessments_awaiting_decision",
    "get_assessment_for_user",
    "get_request_for_user",
    "my_recipient",
    "request_attention",
    "request_list",
    "requests_needing_me",
    "visible_requests",
]

#: The boxes of the request list: everything I may see, sent by my organisation, addressed to my
#: organisation, asked by me.
BOXES = ("all", "sent", "received", "mine")
#: States in which only the requesting side (and coordinators) see a request.
UNSENT_STATES = (RequestStatus.DRAFT, RequestStatus.AWAITING_ASSESSMENT)


def _parse(code) -> UUID | None:
    if isinstance(code, UUID):
        return code
    try:
        return UUID(str(code))
    except (TypeError, ValueError):
        return None


def _membership(user, partnership: Partnership):
    membership = getattr(partnership, "membership", None)
    if membership is not None and membership.user_id == getattr(user, "pk", None):
        return membership
    return membership_in(user, partnership)


def visible_requests(user, partnership: Partnership, queryset: QuerySet | None = None) -> QuerySet:
    """The requests of ``partnership`` that ``user`` may see: by label, and unsent ones only for the
    requesting organisation and coordinators. ``queryset`` narrows further (default: all requests)."""
    queryset = InformationRequest.objects.all() if queryset is None else queryset
    queryset = queryset.filter(partnership=partnership, partnership__in=partnerships_for(user))
    membership = _membership(user, partnership)
    if membership is None:
        return queryset.none()
    if not can_manage(membership):
        queryset = queryset.filter(
            ~Q(status__in=UNSENT_STATES) | Q(requester_partner_id=membership.partner_id)
        )
    return visible_to(user, queryset)


def _for_lists(queryset: QuerySet) -> QuerySet:
    return queryset.select_related(
        "requester_partner__organisation", "created_by", "assessment"
    ).prefetch_related(
        Prefetch(
            "recipients",
            queryset=RequestRecipient.objects.select_related("partner__organisation").order_by(
                "partner__organisation__name", "id"
            ),
        )
    )


def request_list(*, user, partnership: Partnership, box: str = "all") -> QuerySet[InformationRequest]:
    """The requests ``user`` may see in ``partnership``, newest first. ``box``: ``all``, ``sent`` (by my
    organisation), ``received`` (addressed to my organisation, once sent) or ``mine`` (asked by me)."""
    if box not in BOXES:
        raise ValidationError({"box": _("Choose one of: all, sent, received, mine.")})
    queryset = visible_requests(user, partnership)
    membership = _membership(user, partnership)
    if membership is not None:
        if box == "sent":
            queryset = queryset.filter(requester_partner_id=membership.partner_id)
        elif box == "received":
            addressed = RequestRecipient.objects.filter(
                request=OuterRef("pk"), partner_id=membership.partner_id
            )
            queryset = queryset.filter(Exists(addressed)).exclude(status__in=UNSENT_STATES)
        elif box == "mine":
            queryset = queryset.filter(created_by=user)
    return _for_lists(queryset).order_by("-created_at", "-id")


def get_request_for_user(user, partnership_code, request_code) -> InformationRequest:
    """One request: 404 for outsiders and for a request the user may not see (never reveal it exists).
    The user's membership is attached as ``request.partnership.membership``."""
    partnership = get_partnership_for_user(user, partnership_code)
    parsed = _parse(request_code)
    found = _for_lists(visible_requests(user, partnership)).filter(code=parsed).first() if parsed else None
    if found is None:
        raise Http404(_("Information request not found."))
    found.partnership = partnership
    return found


def answers_for(*, user, request: InformationRequest) -> QuerySet[Answer]:
    """The answers and declines of ``request`` that ``user`` may see (each answer carries its own label:
    the requesting and the answering organisation see it), oldest first."""
    if not visible_requests(user, request.partnership).filter(pk=request.pk).exists():
        return Answer.objects.none()
    return (
        visible_to(user, Answer.objects.filter(request=request, partnership_id=request.partnership_id))
        .select_related("recipient__partner__organisation", "created_by")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def my_recipient(*, user, request: InformationRequest) -> RequestRecipient | None:
    """The addressed-organisation row of ``user``'s organisation on ``request`` (None: not addressed)."""
    membership = _membership(user, request.partnership)
    if membership is None:
        return None
    return request.recipients.filter(partner_id=membership.partner_id).select_related("partner").first()


def requests_needing_me(*, user, partnership: Partnership) -> QuerySet[InformationRequest]:
    """Open requests addressed to my organisation that it has not answered or declined yet (write members
    only: viewers cannot answer), earliest deadline first."""
    membership = _membership(user, partnership)
    if not can_write(membership):
        return InformationRequest.objects.none()
    pending = RequestRecipient.objects.filter(
        request=OuterRef("pk"), partner_id=membership.partner_id, status=RecipientStatus.PENDING
    )
    return _for_lists(
        visible_requests(user, partnership).filter(status__in=OPEN_STATES).filter(Exists(pending))
    ).order_by("deadline", "created_at", "id")


# Assessments ---------------------------------------------------------------------------------------


def _assessments(partnership: Partnership) -> QuerySet[Assessment]:
    return (
        Assessment.objects.filter(partnership=partnership)
        .select_related("requested_by", "decided_by")
        .prefetch_related("answers")
    )


def assessment_list(*, user, partnership: Partnership) -> QuerySet[Assessment]:
    """Coordinators see every assessment of the partnership; other members the ones they asked for."""
    membership = _membership(user, partnership)
    if membership is None:
        return Assessment.objects.none()
    queryset = _assessments(partnership).filter(partnership__in=partnerships_for(user))
    if not can_manage(membership):
        queryset = queryset.filter(requested_by=user)
    return queryset.order_by("-created_at", "-id")


def assessments_awaiting_decision(*, user, partnership: Partnership) -> QuerySet[Assessment]:
    """Submitted assessments this coordinator may decide (not their own: four eyes)."""
    membership = _membership(user, partnership)
    if not can_manage(membership):
        return Assessment.objects.none()
    return (
        _assessments(partnership)
        .filter(status=AssessmentStatus.SUBMITTED)
        .exclude(requested_by=user)
        .order_by("created_at", "id")
    )


def get_assessment_for_user(user, partnership_code, assessment_code) -> Assessment:
    """One assessment: 404 for outsiders and unknown codes; coordinators and the person who asked for it
    read it, other members get 403. The membership is attached as ``assessment.partnership.membership``."""
    partnership = get_partnership_for_user(user, partnership_code)
    parsed = _parse(assessment_code)
    assessment = _assessments(partnership).filter(code=parsed).first() if parsed else None
    if assessment is None:
        raise Http404(_("Assessment not found."))
    membership = partnership.membership
    if not can_manage(membership) and assessment.requested_by_id != user.pk:
        raise PermissionDenied(
            _("Only coordinators and the person who asked for it can read this assessment.")
        )
    assessment.partnership = partnership
    return assessment


# The dashboard's "needs your attention" ------------------------------------------------------------


def request_attention(*, user, memberships) -> dict[int, list]:
    """For the dashboard (``partnerships.hooks.register_attention``): requests waiting for the answer of an
    organisation the person takes part through with the write role, and assessments waiting for the person's
    decision (coordinators; not their own). Two queries for any number of partnerships."""
    from django.utils import formats

    from safepact.exchange.services.requests import assessment_url, request_url
    from safepact.partnerships.hooks import AttentionItem

    items: dict[int, list] = {}
    writing = {m.partner_id: m.partner.partnership_id for m in memberships if can_write(m)}
    if writing:
        pending = RequestRecipient.objects.filter(
            request=OuterRef("pk"), partner_id__in=list(writing), status=RecipientStatus.PENDING
        )
        waiting = (
            visible_to(
                user,
                InformationRequest.objects.filter(
                    partnership_id__in=set(writing.values()), status__in=OPEN_STATES
                ).filter(Exists(pending)),
            )
            .select_related("partnership")
            .order_by("deadline", "id")
        )
        for request in waiting:
            text = _("“%(title)s” waits for your organisation's answer (by %(date)s).") % {
                "title": request.title,
                "date": formats.date_format(request.deadline, "DATE_FORMAT"),
            }
            items.setdefault(request.partnership_id, []).append(AttentionItem(text, request_url(request)))
    coordinating = [m.partner.partnership_id for m in memberships if can_manage(m)]
    if coordinating:
        deciding = (
            Assessment.objects.filter(partnership_id__in=coordinating, status=AssessmentStatus.SUBMITTED)
            .exclude(requested_by=user)
            .select_related("partnership")
            .order_by("created_at", "id")
        )
        for assessment in deciding:
            text = _("The Five Safes assessment “%(title)s” waits for your decision.") % {
                "title": assessment.title
            }
            items.setdefault(assessment.partnership_id, []).append(
                AttentionItem(text, assessment_url(assessment))
            )
    return items
