"""Reads of a checking partner: their own check log and their organisation's batch checks.

Every selector takes the requesting user and starts from the access helper (``get_partnership_for_user``:
404 for outsiders); checks are for members who may check (``permissions.ensure_check``: viewers get 403).
A person sees only their own checks; batches are shared within the organisation that uploaded them (a
batch of another organisation is a 404, as for a missing one). What a partner learns of a hit is its
reference, the action and ``checker_outcome``, never the alert.
"""

from uuid import UUID

from django.db.models import Case, CharField, OuterRef, QuerySet, Subquery, Value, When
from django.http import Http404
from django.utils.translation import gettext as _

from safepact.partnerships.models import Partnership
from safepact.partnerships.selectors import get_partnership_for_user
from safepact.registry import permissions
from safepact.registry.models import BatchCheck, Check, Hit, HitKind, HitStatus

__all__ = ["batch_hits", "batch_list", "check_list", "get_batch"]


def _checker_scope(user, partnership: Partnership):
    """The partnership as ``user`` may see it and their membership: 404 for outsiders, 403 for those who
    may not check (viewers)."""
    partnership = get_partnership_for_user(user, partnership.code)
    membership = partnership.membership
    permissions.ensure_check(membership)
    return partnership, membership


def _outcomes() -> Case:
    """``checker_outcome``'s words for each status of a hit, as an SQL ``CASE`` on ``hit_status``."""
    from safepact.registry.selectors.alerts import checker_outcome

    return Case(
        *(
            When(hit_status=status, then=Value(str(checker_outcome(Hit(status=status)))))
            for status in HitStatus.values
        ),
        default=Value(""),
        output_field=CharField(),
    )


def check_list(*, user, partnership: Partnership) -> QuerySet[Check]:
    """The person's own checks in the partnership, newest first. A check that hit carries ``hit_status``,
    ``hit_code``, ``hit_reference`` (the partnership's reference they were told) and ``hit_outcome`` (what
    they are told now, ``checker_outcome``), from the first of its live hits by reference; the others
    have them empty. One query per page (subqueries, no N+1)."""
    partnership, _membership = _checker_scope(user, partnership)
    hits = Hit.objects.filter(check_ref=OuterRef("pk"), kind=HitKind.LIVE).order_by("alert__reference", "pk")
    return (
        Check.objects.filter(partnership=partnership, user=user)
        .annotate(
            hit_status=Subquery(hits.values("status")[:1]),
            hit_code=Subquery(hits.values("code")[:1]),
            hit_reference=Subquery(hits.values("alert__reference")[:1]),
        )
        .annotate(hit_outcome=_outcomes())
        .order_by("-checked_at", "-id")
    )


def batch_list(*, user, partnership: Partnership) -> QuerySet[BatchCheck]:
    """The batch checks of the person's organisation in the partnership, newest first (with who uploaded)."""
    partnership, membership = _checker_scope(user, partnership)
    return BatchCheck.objects.filter(
        partnership=partnership, organisation_id=membership.partner.organisation_id
    ).select_related("user")


def _parse_code(code) -> UUID | None:
    if isinstance(code, UUID):
        return code
    try:
        return UUID(str(code))
    except (TypeError, ValueError, AttributeError):
        return None


def get_batch(*, user, partnership: Partnership, code) -> BatchCheck:
    """One batch of the person's organisation: 404 for a batch of another organisation, an unknown code or
    an outsider; 403 for viewers."""
    parsed = _parse_code(code)
    batch = batch_list(user=user, partnership=partnership).filter(code=parsed).first() if parsed else None
    if batch is None:
        raise Http404(_("Not found."))
    return batch


def batch_hits(*, user, batch: BatchCheck) -> QuerySet[Hit]:
    """The hits of a batch in line order (with the alert, for its reference and action only: a partner is
    never shown anything else of it). 404 unless ``batch`` is of the person's organisation."""
    partnership, membership = _checker_scope(user, batch.partnership)
    if batch.partnership_id != partnership.pk or batch.organisation_id != membership.partner.organisation_id:
        raise Http404(_("Not found."))
    return (
        Hit.objects.filter(batch=batch, kind=HitKind.LIVE)
        .select_related("alert")
        .order_by("batch_line", "alert__reference", "pk")
    )
