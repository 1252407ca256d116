"""Writes for the austin area of formation: partners' input and the coordinator's profiles.

Positions are 0 (philanthropic), 25, 50 (transactional), 75 or 100 (integrative). Errors name the
dimension (its value, e.g. ``mission``, as the field) and its label in the message.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.audit.selectors import register_action_labels
from safepact.audit.services import audit_record
from safepact.formation.models import AustinDimension, AustinInput, AustinProfile, AustinStage
from safepact.formation.selectors.austin import DIMENSIONS, POSITIONS
from safepact.formation.services.objectives import ensure_may_speak_for
from safepact.lib import clock
from safepact.partnerships import hooks
from safepact.partnerships.models import Partner, Partnership, PartnerStatus
from safepact.partnerships.selectors import get_partnership_for_user


def register() -> None:
    register_action_labels(
        {
            "formation.austin_profile.recorded": gettext_lazy("Collaboration continuum profile recorded"),
            "formation.austin_input.given": gettext_lazy("Input on the collaboration continuum given"),
        },
        {
            "formation.austin_profile": gettext_lazy("Collaboration continuum profiles"),
            "formation.austin_input": gettext_lazy("Collaboration continuum input"),
        },
    )
    hooks.register_section(gettext_lazy("Collaboration continuum (Austin)"), "formation:austin")


def _clean_position(dimension: str, value) -> int:
    label = dict(AustinDimension.choices)[dimension]
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value))
        except (TypeError, ValueError):
            raise ValidationError(
                {dimension: _("%(dimension)s: the position must be a number.") % {"dimension": label}}
            ) from None
    if value not in POSITIONS:
        raise ValidationError(
            {
                dimension: _(
                    "%(dimension)s: the position must be 0, 25, 50, 75 or 100 "
                    "(philanthropic to integrative), not %(value)s."
                )
                % {"dimension": label, "value": value}
            }
        )
    return value


def _unknown_dimensions(positions: dict, field: str) -> None:
    unknown = sorted(set(positions) - set(AustinDimension.values))
    if unknown:
        raise ValidationError(
            {field: _("Unknown dimension: %(dimensions)s.") % {"dimensions": ", ".join(map(str, unknown))}}
        )


def clean_scores(scores: dict) -> dict[str, int]:
    """All seven dimensions, each a valid position; errors name the (first) faulty dimension."""
    if not isinstance(scores, dict):
        raise ValidationError({"scores": _("Give a position for each of the seven dimensions.")})
    _unknown_dimensions(scores, "scores")
    errors, clean = {}, {}
    for dimension in DIMENSIONS:
        if scores.get(dimension.value) in (None, ""):
            errors[dimension.value] = _("%(dimension)s: choose a position.") % {"dimension": dimension.label}
            continue
        try:
            clean[dimension.value] = _clean_position(dimension.value, scores[dimension.value])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def austin_profile_record(
    *, actor, partnership: Partnership, scores: dict, declared_stage: str, note: str = ""
) -> AustinProfile:
    """Record the partnership's place on the continuum now (coordinators); earlier profiles stay."""
    get_partnership_for_user(actor, partnership.code, manage=True)
    clean = clean_scores(scores)
    if declared_stage not in AustinStage.values:
        raise ValidationError(
            {"declared_stage": _("Choose the declared stage: philanthropic, transactional or integrative.")}
        )
    profile = AustinProfile(
        partnership=partnership,
        scores=clean,
        declared_stage=declared_stage,
        note=(note or "").strip(),
        assessed_by=actor,
        assessed_at=clock.now(),
    )
    profile.full_clean(exclude=["partnership", "assessed_by"], validate_unique=False)
    profile.save()
    audit_record(
        actor=actor,
        action="formation.austin_profile.recorded",
        target=profile,
        partnership=partnership,
        after={"scores": clean, "declared_stage": declared_stage, "note": profile.note},
    )
    return profile


@transaction.atomic
def austin_input_give(
    *, actor, partner: Partner, positions: dict, comments: dict | None = None
) -> list[AustinInput]:
    """A partner's view on some or all dimensions (members for their own organisation, coordinators for any).

    Each dimension gets a new row (the latest counts; earlier rows stay as history). A dimension left
    out (or empty) is left as it was.
    """
    partnership = ensure_may_speak_for(actor, partner)
    if partner.status != PartnerStatus.ACTIVE:
        raise ValidationError({"partner": _("Only active partners can give input.")})
    if not isinstance(positions, dict):
        raise ValidationError({"positions": _("Give a position for at least one dimension.")})
    comments = comments or {}
    _unknown_dimensions(positions, "positions")
    _unknown_dimensions(comments, "comments")
    given = {d: v for d, v in positions.items() if v not in (None, "")}
    if not given:
        raise ValidationError({"positions": _("Give a position for at least one dimension.")})
    errors, clean = {}, {}
    for dimension in DIMENSIONS:
        if dimension.value in given:
            try:
                clean[dimension.value] = _clean_position(dimension.value, given[dimension.value])
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    now = clock.now()
    rows = [
        AustinInput(
            partnership=partnership,
            partner=partner,
            dimension=dimension,
            position=position,
            comment=str(comments.get(dimension) or "").strip()[:2000],
            given_by=actor,
            given_at=now,
        )
        for dimension, position in clean.items()
    ]
    AustinInput.objects.bulk_create(rows)
    audit_record(
        actor=actor,
        action="formation.austin_input.given",
        target=partner,
        partnership=partnership,
        after={"positions": clean, "comments": {r.dimension: r.comment for r in rows if r.comment}},
    )
    return rows
