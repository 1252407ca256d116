"""Reads for the objectives area of formation: objectives, focus limit, motives, commitments, alignment.

Every selector takes the requesting user and a partnership opened through
``get_partnership_for_user`` (which attaches the caller's membership). The access helpers here start
from that partnership, so an object of another partnership is simply not found (404).

The alignment matrix and its warnings are derived here and never stored.
"""

from dataclasses import dataclass, field
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.formation.models import (
    Commitment,
    FormationSettings,
    Objective,
    ObjectiveStatus,
    PartnerMotivation,
)
from safepact.partnerships.models import Partner, Partnership, PartnerStatus, Role
from safepact.partnerships.permissions import can_manage
from safepact.partnerships.selectors import (
    active_memberships,
    get_partnership_for_user,
    partnerships_for,
)

DEFAULT_FOCUS_LIMIT = 5
FOCUS_LIMIT_MIN, FOCUS_LIMIT_MAX = 1, 20

OBJECTIVE_NOT_FOUND = gettext_lazy("Objective not found.")
PARTNER_NOT_FOUND = gettext_lazy("Partner not found.")
OWN_ORGANISATION_ONLY = gettext_lazy(
    "You can only speak for your own organisation; a coordinator can speak for any partner."
)


def _parse(code) -> UUID | None:
    if isinstance(code, UUID):
        return code
    try:
        return UUID(str(code))
    except (TypeError, ValueError):
        return None


# Warnings ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormationWarning:
    """A derived warning: ``kind`` is stable (for tests and the API), ``message`` is for people."""

    kind: str
    message: str
    partner_code: UUID | None = None
    objective_code: UUID | None = None


def focus_warning(*, active_count: int, focus_limit: int) -> FormationWarning | None:
    """More active objectives than the focus limit: allowed, but the paper advises against it."""
    if active_count <= focus_limit:
        return None
    return FormationWarning(
        kind="over_focus_limit",
        message=_(
            "The partnership has %(count)s active objectives, more than its focus limit of %(limit)s. "
            "Concentrate on a limited number of actions and objectives, so that they are actually carried out."
        )
        % {"count": active_count, "limit": focus_limit},
    )


# Access helpers --------------------------------------------------------------------------------------


def focus_limit_for(*, partnership: Partnership) -> int:
    limit = (
        FormationSettings.objects.filter(partnership=partnership)
        .values_list("focus_limit", flat=True)
        .first()
    )
    return limit if limit is not None else DEFAULT_FOCUS_LIMIT


def formation_settings_for(*, user, partnership: Partnership) -> dict:
    ensure_opened(user, partnership)
    return {"focus_limit": focus_limit_for(partnership=partnership)}


def ensure_opened(user, partnership: Partnership) -> None:
    """Selectors re-check that the caller may see ``partnership`` (it may come from elsewhere)."""
    membership = getattr(partnership, "membership", None)
    if membership is None or membership.user_id != getattr(user, "pk", None):
        get_partnership_for_user(user, partnership.code)


def get_objective_for_user(user, code, objective_code, *, manage: bool = False) -> Objective:
    """One objective of a partnership the user may open: 404 outsider or other partnership, 403 role."""
    partnership = get_partnership_for_user(user, code, manage=manage)
    objective = Objective.objects.filter(partnership=partnership, code=_parse(objective_code)).first()
    if objective is None:
        raise Http404(OBJECTIVE_NOT_FOUND)
    objective.partnership = partnership
    return objective


def may_speak_for(user, partnership: Partnership, partner: Partner) -> bool:
    """Coordinators speak for any partner; members (write role) for their own organisation only."""
    if can_manage(getattr(partnership, "membership", None)):
        return True
    return active_memberships(user).filter(partner=partner, role__in=[Role.COORDINATOR, Role.MEMBER]).exists()


def get_partner_to_speak_for(user, code, partner_code, *, write: bool = False) -> Partner:
    """A partner of the partnership, for motives, commitments and Austin input.

    404 for outsiders and for partners of other partnerships; with ``write``, 403 for viewers and for
    members of another organisation (coordinators may speak for any partner).
    """
    partnership = get_partnership_for_user(user, code, write=write)
    partner = (
        Partner.objects.filter(partnership=partnership, code=_parse(partner_code))
        .select_related("organisation")
        .first()
    )
    if partner is None:
        raise Http404(PARTNER_NOT_FOUND)
    partner.partnership = partnership
    if write and not may_speak_for(user, partnership, partner):
        raise PermissionDenied(OWN_ORGANISATION_ONLY)
    return partner


# Objectives ------------------------------------------------------------------------------------------


def objective_list(*, user, partnership: Partnership, status: str | None = None) -> QuerySet[Objective]:
    """Objectives by priority, with their commitments (and the committed partners) prefetched."""
    ensure_opened(user, partnership)
    objectives = Objective.objects.filter(partnership=partnership, partnership__in=partnerships_for(user))
    if status:
        objectives = objectives.filter(status=status)
    commitments = Commitment.objects.select_related("partner__organisation").order_by(
        "partner__organisation__name", "pk"
    )
    return objectives.prefetch_related(Prefetch("commitments", queryset=commitments)).order_by(
        "priority", "pk"
    )


def active_objective_count(*, partnership: Partnership) -> int:
    return Objective.objects.filter(partnership=partnership, status=ObjectiveStatus.ACTIVE).count()


# Motives -----------------------------------------------------------------------------------------------


def motivation_for(*, user, partner: Partner) -> PartnerMotivation:
    """A partner's statement; an unsaved empty one when the partner has not stated anything yet."""
    ensure_opened(user, partner.partnership)
    found = PartnerMotivation.objects.filter(partner=partner).first()
    return found if found is not None else PartnerMotivation(partner=partner)


def motivation_is_stated(motivation: PartnerMotivation | None) -> bool:
    if motivation is None:
        return False
    texts = (motivation.economic, motivation.societal, motivation.legislative, motivation.benefits_other)
    return any(t.strip() for t in texts) or bool(motivation.benefits)


def partner_overview(*, user, partnership: Partnership) -> list[dict]:
    """Active partners with their motives and commitment count, and whether the caller may edit them."""
    ensure_opened(user, partnership)
    partners = list(
        Partner.objects.filter(
            partnership=partnership,
            partnership__in=partnerships_for(user),
            status=PartnerStatus.ACTIVE,
        )
        .select_related("organisation")
        .order_by("organisation__name", "pk")
    )
    counts = dict(
        Commitment.objects.filter(partner__in=partners, objective__status=ObjectiveStatus.ACTIVE)
        .values("partner_id")
        .annotate(n=Count("pk"))
        .values_list("partner_id", "n")
    )
    motivations = {m.partner_id: m for m in PartnerMotivation.objects.filter(partner__in=partners)}
    membership = partnership.membership
    own_partner_ids = set(
        active_memberships(user)
        .filter(partner__partnership=partnership, role__in=[Role.COORDINATOR, Role.MEMBER])
        .values_list("partner_id", flat=True)
    )
    manage = can_manage(membership)
    return [
        {
            "partner": partner,
            "motivation": motivations.get(partner.pk),
            "stated": motivation_is_stated(motivations.get(partner.pk)),
            "commitment_count": counts.get(partner.pk, 0),
            "may_edit": manage or partner.pk in own_partner_ids,
        }
        for partner in partners
    ]


def commitment_notes_of(*, user, partner: Partner, objectives) -> dict[int, str]:
    """``{objective id: contribution note}`` for ``partner``'s commitments to ``objectives``."""
    ensure_opened(user, partner.partnership)
    return dict(
        Commitment.objects.filter(partner=partner, objective__in=objectives).values_list(
            "objective_id", "note"
        )
    )


# Alignment ---------------------------------------------------------------------------------------------


@dataclass
class AlignmentCell:
    objective: Objective
    committed: bool
    note: str = ""


@dataclass
class AlignmentRow:
    partner: Partner
    cells: list[AlignmentCell]
    stated: bool

    @property
    def commitment_count(self) -> int:
        return sum(1 for cell in self.cells if cell.committed)


@dataclass
class Alignment:
    partnership: Partnership
    partners: list[Partner]
    objectives: list[Objective]
    rows: list[AlignmentRow]
    focus_limit: int
    warnings: list[FormationWarning] = field(default_factory=list)

    @property
    def commitment_counts(self) -> list[int]:
        """Per objective (column), the number of partners committed to it."""
        return [sum(1 for row in self.rows if row.cells[i].committed) for i in range(len(self.objectives))]


def alignment_matrix(*, user, partnership: Partnership) -> Alignment:
    """Partners (active, by name) by objectives (active, by priority), and the warnings.

    A fixed number of queries whatever the size: partners, objectives, commitments, motives, settings.
    """
    ensure_opened(user, partnership)
    scope = Q(partnership=partnership, partnership__in=partnerships_for(user))
    partners = list(
        Partner.objects.filter(scope, status=PartnerStatus.ACTIVE)
        .select_related("organisation")
        .order_by("organisation__name", "pk")
    )
    objectives = list(
        Objective.objects.filter(scope, status=ObjectiveStatus.ACTIVE).order_by("priority", "pk")
    )
    notes = (
        {
            (c["partner_id"], c["objective_id"]): c["note"]
            for c in Commitment.objects.filter(
                objective__in=[o.pk for o in objectives], partner__in=[p.pk for p in partners]
            ).values("partner_id", "objective_id", "note")
        }
        if partners and objectives
        else {}
    )
    stated_ids = (
        {
            m.partner_id
            for m in PartnerMotivation.objects.filter(partner__in=[p.pk for p in partners])
            if motivation_is_stated(m)
        }
        if partners
        else set()
    )
    limit = focus_limit_for(partnership=partnership)
    rows = [
        AlignmentRow(
            partner=partner,
            stated=partner.pk in stated_ids,
            cells=[
                AlignmentCell(
                    objective=objective,
                    committed=(partner.pk, objective.pk) in notes,
                    note=notes.get((partner.pk, objective.pk), ""),
                )
                for objective in objectives
            ],
        )
        for partner in partners
    ]
    alignment = Alignment(
        partnership=partnership, partners=partners, objectives=objectives, rows=rows, focus_limit=limit
    )
    alignment.warnings = alignment_warnings(alignment)
    return alignment


def alignment_warnings(alignment: Alignment) -> list[FormationWarning]:
    warnings: list[FormationWarning] = []
    over = focus_warning(active_count=len(alignment.objectives), focus_limit=alignment.focus_limit)
    if over:
        warnings.append(over)
    for objective, count in zip(alignment.objectives, alignment.commitment_counts, strict=True):
        if count == 0:
            warnings.append(
                FormationWarning(
                    kind="objective_uncommitted",
                    message=_("No partner commits to the objective “%(title)s”.")
                    % {"title": objective.title},
                    objective_code=objective.code,
                )
            )
    if alignment.objectives:
        for row in alignment.rows:
            if row.commitment_count == 0:
                warnings.append(
                    FormationWarning(
                        kind="partner_uncommitted",
                        message=_("%(partner)s is committed to none of the objectives.")
                        % {"partner": row.partner.organisation.name},
                        partner_code=row.partner.code,
                    )
                )
    for row in alignment.rows:
        if not row.stated:
            warnings.append(
                FormationWarning(
                    kind="motives_missing",
                    message=_("%(partner)s has not yet stated its motives and expected benefits.")
                    % {"partner": row.partner.organisation.name},
                    partner_code=row.partner.code,
                )
            )
    return warnings
