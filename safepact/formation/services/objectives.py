"""Writes for the objectives area of formation: objectives (ranked), the focus limit, motives, commitments.

Every service is keyword-only and atomic, validates naming the field, re-checks the actor's scope and
writes an audit event in the same transaction. Priorities stay contiguous (1..n): active objectives
first, by rank, then achieved and dropped ones.

Going beyond the focus limit is allowed; the objective returned by ``objective_create`` and
``objective_set_status`` carries ``warnings`` (a list of ``FormationWarning``) saying so.
"""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.audit.selectors import register_action_labels
from safepact.audit.services import audit_record, audit_record_changes
from safepact.formation.models import (
    Benefit,
    Commitment,
    FormationSettings,
    Objective,
    ObjectiveStatus,
    PartnerMotivation,
)
from safepact.formation.selectors.objectives import (
    FOCUS_LIMIT_MAX,
    FOCUS_LIMIT_MIN,
    OWN_ORGANISATION_ONLY,
    active_objective_count,
    focus_limit_for,
    focus_warning,
    may_speak_for,
)
from safepact.lib import clock
from safepact.partnerships import hooks
from safepact.partnerships.models import Partner, Partnership, PartnerStatus
from safepact.partnerships.selectors import get_partnership_for_user

OBJECTIVE_FIELDS = ("title", "description", "indicator", "target_date")
MOTIVATION_FIELDS = ("economic", "societal", "legislative", "benefits", "benefits_other")


def register() -> None:
    register_action_labels(
        {
            "formation.objective.created": gettext_lazy("Objective added"),
            "formation.objective.updated": gettext_lazy("Objective changed"),
            "formation.objective.reranked": gettext_lazy("Objective priority changed"),
            "formation.objective.status_changed": gettext_lazy("Objective status changed"),
            "formation.objective.deleted": gettext_lazy("Objective deleted"),
            "formation.motivation.updated": gettext_lazy("Motives and expected benefits stated"),
            "formation.commitment.added": gettext_lazy("Commitment to an objective added"),
            "formation.commitment.updated": gettext_lazy("Commitment to an objective changed"),
            "formation.commitment.removed": gettext_lazy("Commitment to an objective withdrawn"),
            "formation.settings.changed": gettext_lazy("Formation settings changed"),
        },
        {
            "formation": gettext_lazy("Forming the partnership"),
            "formation.objective": gettext_lazy("Objectives"),
            "formation.motivation": gettext_lazy("Motives"),
            "formation.commitment": gettext_lazy("Commitments"),
            "formation.settings": gettext_lazy("Formation settings"),
        },
    )
    hooks.register_section(gettext_lazy("Objectives, motives and commitments"), "formation:objectives")


def _recheck(actor, partnership: Partnership, *, manage: bool = False, write: bool = False) -> None:
    """Inside the transaction: the actor must still be within scope (raises 404/403 otherwise)."""
    get_partnership_for_user(actor, partnership.code, manage=manage, write=write)


def _snapshot(objective: Objective) -> dict:
    return {
        "title": objective.title,
        "description": objective.description,
        "indicator": objective.indicator,
        "target_date": objective.target_date.isoformat() if objective.target_date else None,
        "priority": objective.priority,
        "status": objective.status,
    }


def _full_clean(obj, exclude=None) -> None:
    obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=True)


# Ranking -----------------------------------------------------------------------------------------------


def _rerank(partnership: Partnership, *, place: Objective | None = None, at: int | None = None) -> None:
    """Renumber 1..n: active objectives first (by rank), then the others. ``place`` goes to rank ``at``
    within its group (clamped). Locks the partnership's objectives while doing so."""
    objectives = list(
        Objective.objects.select_for_update().filter(partnership=partnership).order_by("priority", "pk")
    )
    if place is not None:
        objectives = [o for o in objectives if o.pk != place.pk]
    active = [o for o in objectives if o.status == ObjectiveStatus.ACTIVE]
    others = [o for o in objectives if o.status != ObjectiveStatus.ACTIVE]
    if place is not None:
        group = active if place.status == ObjectiveStatus.ACTIVE else others
        index = len(group) if at is None else min(max(at, 1), len(group) + 1) - 1
        group.insert(index, place)
    changed = []
    for rank, objective in enumerate([*active, *others], start=1):
        if objective.priority != rank:
            objective.priority = rank
            changed.append(objective)
        if place is not None and objective.pk == place.pk:
            place.priority = rank
    if changed:
        Objective.objects.bulk_update(changed, ["priority"])


def _with_focus_warning(objective: Objective, partnership: Partnership) -> Objective:
    objective.warnings = []
    if objective.status == ObjectiveStatus.ACTIVE:
        warning = focus_warning(
            active_count=active_objective_count(partnership=partnership),
            focus_limit=focus_limit_for(partnership=partnership),
        )
        if warning:
            objective.warnings.append(warning)
    return objective


# Objectives ----------------------------------------------------------------------------------------------


@transaction.atomic
def objective_create(
    *,
    actor,
    partnership: Partnership,
    title: str,
    indicator: str,
    description: str = "",
    target_date: date | None = None,
    priority: int | None = None,
) -> Objective:
    """Add an active objective at rank ``priority`` (default: after the other active ones).

    Beyond the focus limit it is still added; the returned objective's ``warnings`` say so.
    """
    _recheck(actor, partnership, manage=True)
    if priority is not None and priority < 1:
        raise ValidationError({"priority": _("Priority must be 1 (highest) or more.")})
    objective = Objective(
        partnership=partnership,
        title=(title or "").strip(),
        indicator=(indicator or "").strip(),
        description=(description or "").strip(),
        target_date=target_date,
        status=ObjectiveStatus.ACTIVE,
        priority=10**6,
        created_at=clock.now(),
    )
    _full_clean(objective)
    objective.save()
    _rerank(partnership, place=objective, at=priority)
    audit_record(
        actor=actor,
        action="formation.objective.created",
        target=objective,
        partnership=partnership,
        after=_snapshot(objective),
    )
    return _with_focus_warning(objective, partnership)


@transaction.atomic
def objective_update(*, actor, objective: Objective, reason: str = "", **changes) -> Objective:
    """Change the title, description, indicator or target date (coordinators)."""
    partnership = objective.partnership
    _recheck(actor, partnership, manage=True)
    unknown = set(changes) - set(OBJECTIVE_FIELDS)
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("This field cannot be changed here.")})
    before = _snapshot(objective)
    for name, value in changes.items():
        field = Objective._meta.get_field(name)
        if value is None and not field.null and field.get_internal_type() in ("CharField", "TextField"):
            value = ""  # full_clean() skips blank-able fields, so null would reach the database
        setattr(objective, name, value.strip() if isinstance(value, str) else value)
    _full_clean(objective)
    after = _snapshot(objective)
    if before != after:
        objective.save(update_fields=list(changes))
    audit_record_changes(
        actor=actor,
        action="formation.objective.updated",
        target=objective,
        partnership=partnership,
        reason=reason,
        before=before,
        after=after,
    )
    objective.warnings = []
    return objective


@transaction.atomic
def objective_move(*, actor, objective: Objective, priority: int, reason: str = "") -> Objective:
    """Put an active objective at rank ``priority``; the others shift so ranks stay 1..n."""
    partnership = objective.partnership
    _recheck(actor, partnership, manage=True)
    if objective.status != ObjectiveStatus.ACTIVE:
        raise ValidationError(
            {"priority": _("Only active objectives are ranked; make this objective active first.")}
        )
    if priority is None or priority < 1:
        raise ValidationError({"priority": _("Priority must be 1 (highest) or more.")})
    limit = active_objective_count(partnership=partnership)
    if priority > limit:
        raise ValidationError(
            {
                "priority": _("Priority must be between 1 and %(count)s (the active objectives).")
                % {"count": limit}
            }
        )
    before = objective.priority
    _rerank(partnership, place=objective, at=priority)
    if objective.priority != before:
        audit_record(
            actor=actor,
            action="formation.objective.reranked",
            target=objective,
            partnership=partnership,
            before={"priority": before},
            after={"priority": objective.priority},
            reason=reason,
        )
    objective.warnings = []
    return objective


@transaction.atomic
def objective_set_status(*, actor, objective: Objective, status: str, reason: str = "") -> Objective:
    """Mark achieved or dropped (it leaves the ranking), or active again (it joins at the end).

    Re-activating beyond the focus limit is allowed; the returned objective's ``warnings`` say so.
    """
    partnership = objective.partnership
    _recheck(actor, partnership, manage=True)
    if status not in ObjectiveStatus.values:
        raise ValidationError({"status": _("Unknown status: %(status)s.") % {"status": status}})
    before = objective.status
    if status != before:
        objective.status = status
        objective.save(update_fields=["status"])
        _rerank(partnership, place=objective)  # to the end of its new group
        audit_record(
            actor=actor,
            action="formation.objective.status_changed",
            target=objective,
            partnership=partnership,
            before={"status": before},
            after={"status": status, "priority": objective.priority},
            reason=reason,
        )
    return _with_focus_warning(objective, partnership) if status != before else _no_warnings(objective)


def _no_warnings(objective: Objective) -> Objective:
    objective.warnings = []
    return objective


@transaction.atomic
def objective_delete(*, actor, objective: Objective, reason: str = "") -> None:
    """Delete an objective and its commitments (coordinators); the ranks close up."""
    partnership = objective.partnership
    _recheck(actor, partnership, manage=True)
    before = _snapshot(objective)
    before["commitments"] = Commitment.objects.filter(objective=objective).count()
    audit_record(
        actor=actor,
        action="formation.objective.deleted",
        target=objective,
        partnership=partnership,
        before=before,
        reason=reason,
    )
    objective.delete()
    _rerank(partnership)


# Settings ------------------------------------------------------------------------------------------------


@transaction.atomic
def formation_settings_set(*, actor, partnership: Partnership, focus_limit: int) -> FormationSettings:
    """Set the focus limit (1..20 active objectives), coordinators only."""
    _recheck(actor, partnership, manage=True)
    if not isinstance(focus_limit, int) or not FOCUS_LIMIT_MIN <= focus_limit <= FOCUS_LIMIT_MAX:
        raise ValidationError(
            {
                "focus_limit": _("The focus limit must be a whole number from %(min)s to %(max)s.")
                % {"min": FOCUS_LIMIT_MIN, "max": FOCUS_LIMIT_MAX}
            }
        )
    before = focus_limit_for(partnership=partnership)
    settings, created = FormationSettings.objects.select_for_update().get_or_create(
        partnership=partnership, defaults={"focus_limit": focus_limit}
    )
    if settings.focus_limit != focus_limit:
        settings.focus_limit = focus_limit
        settings.save(update_fields=["focus_limit"])
    if before != focus_limit or created:
        audit_record(
            actor=actor,
            action="formation.settings.changed",
            target=partnership,
            partnership=partnership,
            before={"focus_limit": before},
            after={"focus_limit": focus_limit},
        )
    return settings


# Motives ---------------------------------------------------------------------------------------------------


def ensure_may_speak_for(actor, partner: Partner) -> Partnership:
    """The actor may speak for ``partner`` (else 404/403); refreshes ``partner.status`` from the database."""
    partnership = get_partnership_for_user(actor, partner.partnership.code, write=True)
    if partner.partnership_id != partnership.pk:
        raise PermissionDenied(OWN_ORGANISATION_ONLY)
    if not may_speak_for(actor, partnership, partner):
        raise PermissionDenied(OWN_ORGANISATION_ONLY)
    partner.status = Partner.objects.values_list("status", flat=True).get(pk=partner.pk)
    return partnership


def _clean_benefits(benefits, benefits_other: str) -> tuple[list[str], str]:
    chosen = list(dict.fromkeys(benefits or []))
    unknown = [b for b in chosen if b not in Benefit.values]
    if unknown:
        raise ValidationError(
            {"benefits": _("Unknown benefit: %(benefits)s.") % {"benefits": ", ".join(map(str, unknown))}}
        )
    other = (benefits_other or "").strip()
    if Benefit.OTHER in chosen and not other:
        raise ValidationError({"benefits_other": _("Describe the other benefit you chose.")})
    if other and Benefit.OTHER not in chosen:
        raise ValidationError(
            {"benefits_other": _("Tick “Other” among the benefits, or leave this description empty.")}
        )
    order = {value: i for i, value in enumerate(Benefit.values)}
    return sorted(chosen, key=order.__getitem__), other


@transaction.atomic
def motivation_set(
    *,
    actor,
    partner: Partner,
    economic: str = "",
    societal: str = "",
    legislative: str = "",
    benefits: list[str] | None = None,
    benefits_other: str = "",
) -> PartnerMotivation:
    """State (replace) a partner's motives and expected benefits.

    Members speak for their own organisation; coordinators for any partner; viewers never.
    """
    partnership = ensure_may_speak_for(actor, partner)
    if partner.status == PartnerStatus.WITHDRAWN:
        raise ValidationError({"partner": _("This partner has withdrawn from the partnership.")})
    chosen, other = _clean_benefits(benefits, benefits_other)
    motivation = PartnerMotivation.objects.select_for_update().filter(partner=partner).first()
    before = {name: getattr(motivation, name) for name in MOTIVATION_FIELDS} if motivation else None
    if motivation is None:
        motivation = PartnerMotivation(partner=partner)
    motivation.economic = (economic or "").strip()
    motivation.societal = (societal or "").strip()
    motivation.legislative = (legislative or "").strip()
    motivation.benefits = chosen
    motivation.benefits_other = other
    motivation.updated_by = actor
    motivation.updated_at = clock.now()
    _full_clean(motivation, exclude=["partner", "updated_by"])
    after = {name: getattr(motivation, name) for name in MOTIVATION_FIELDS}
    if after != before:
        motivation.save()
        audit_record(
            actor=actor,
            action="formation.motivation.updated",
            target=partner,
            partnership=partnership,
            before=before,
            after=after,
        )
    return motivation


# Commitments -----------------------------------------------------------------------------------------------


def _check_commitment_pair(objective: Objective, partner: Partner) -> None:
    if objective.partnership_id != partner.partnership_id:
        raise ValidationError({"partner": _("This partner is not part of the objective's partnership.")})


@transaction.atomic
def commitment_add(*, actor, objective: Objective, partner: Partner, note: str = "") -> Commitment:
    """``partner`` commits to ``objective`` (with an optional contribution); again: the note changes."""
    _check_commitment_pair(objective, partner)
    partnership = ensure_may_speak_for(actor, partner)
    if partner.status != PartnerStatus.ACTIVE:
        raise ValidationError({"partner": _("Only active partners can commit to objectives.")})
    if objective.status != ObjectiveStatus.ACTIVE:
        raise ValidationError({"objective": _("Partners can only commit to active objectives.")})
    note = (note or "").strip()
    commitment = Commitment.objects.select_for_update().filter(objective=objective, partner=partner).first()
    if commitment is None:
        commitment = Commitment(
            objective=objective, partner=partner, note=note, created_by=actor, created_at=clock.now()
        )
        _full_clean(commitment, exclude=["objective", "partner", "created_by"])
        commitment.save()
        audit_record(
            actor=actor,
            action="formation.commitment.added",
            target=objective,
            partnership=partnership,
            after={"partner": partner.organisation.name, "objective": objective.title, "note": note},
        )
    elif commitment.note != note:
        before = commitment.note
        commitment.note = note
        _full_clean(commitment, exclude=["objective", "partner", "created_by"])
        commitment.save(update_fields=["note"])
        audit_record(
            actor=actor,
            action="formation.commitment.updated",
            target=objective,
            partnership=partnership,
            before={"partner": partner.organisation.name, "note": before},
            after={"partner": partner.organisation.name, "note": note},
        )
    return commitment


@transaction.atomic
def commitment_remove(*, actor, objective: Objective, partner: Partner, reason: str = "") -> bool:
    """Withdraw ``partner``'s commitment to ``objective``; ``False`` when there was none."""
    _check_commitment_pair(objective, partner)
    partnership = ensure_may_speak_for(actor, partner)
    commitment = Commitment.objects.filter(objective=objective, partner=partner).first()
    if commitment is None:
        return False
    audit_record(
        actor=actor,
        action="formation.commitment.removed",
        target=objective,
        partnership=partnership,
        before={"partner": partner.organisation.name, "objective": objective.title, "note": commitment.note},
        reason=reason,
    )
    commitment.delete()
    return True


@transaction.atomic
def commitments_set(*, actor, partner: Partner, commitments: dict[Objective, str]) -> None:
    """Make ``partner``'s commitments to the ACTIVE objectives exactly ``commitments`` (objective → note).

    Commitments to achieved or dropped objectives are left alone. Each change is audited.
    """
    ensure_may_speak_for(actor, partner)
    active = Objective.objects.filter(partnership_id=partner.partnership_id, status=ObjectiveStatus.ACTIVE)
    for objective in Objective.objects.filter(
        pk__in=Commitment.objects.filter(partner=partner, objective__in=active).values("objective_id")
    ):
        if objective not in commitments:
            commitment_remove(actor=actor, objective=objective, partner=partner)
    for objective, note in commitments.items():
        commitment_add(actor=actor, objective=objective, partner=partner, note=note)
