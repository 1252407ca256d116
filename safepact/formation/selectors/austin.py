"""Reads for the austin area of formation: Austin's collaboration continuum.

Positions run from 0 (philanthropic) via 50 (transactional) to 100 (integrative), in steps of 25.
Partners give input per dimension (the latest input of a partner on a dimension counts; older rows
stay as history); the coordinator records profiles (every one is kept: the history).
"""

from dataclasses import dataclass
from statistics import mean

from django.db.models import QuerySet
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from safepact.formation.models import AustinDimension, AustinInput, AustinProfile, AustinStage
from safepact.formation.selectors.objectives import ensure_opened
from safepact.partnerships.models import Partnership, PartnerStatus
from safepact.partnerships.selectors import partnerships_for

POSITIONS = (0, 25, 50, 75, 100)
POSITION_LABELS = {
    0: gettext_lazy("Philanthropic"),
    25: gettext_lazy("Between philanthropic and transactional"),
    50: gettext_lazy("Transactional"),
    75: gettext_lazy("Between transactional and integrative"),
    100: gettext_lazy("Integrative"),
}
# The range of average positions each declared stage fits (shown to the user with the warning).
STAGE_RANGES = {
    AustinStage.PHILANTHROPIC: (0, 50),
    AustinStage.TRANSACTIONAL: (25, 75),
    AustinStage.INTEGRATIVE: (50, 100),
}
DIMENSIONS = list(AustinDimension)


def position_label(position) -> str:
    return str(POSITION_LABELS.get(position, position))


# Stage fit -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageFit:
    average: float
    declared: str
    fits: bool
    low: int
    high: int
    message: str


def stage_fit(*, scores: dict, declared_stage: str) -> StageFit:
    """Does the declared stage fit the average of the seven positions? (see ``STAGE_RANGES``)"""
    values = [scores[d.value] for d in DIMENSIONS if d.value in scores]
    average = round(mean(values), 1) if values else 0.0
    low, high = STAGE_RANGES.get(declared_stage, (0, 100))
    fits = low <= average <= high
    stage_label = dict(AustinStage.choices).get(declared_stage, declared_stage)
    params = {
        "stage": stage_label,
        "average": number_format(average, decimal_pos=1),
        "low": low,
        "high": high,
    }
    if fits:
        message = _("The declared stage, %(stage)s, fits the average position of %(average)s.") % params
    elif average < low:
        message = (
            _(
                "The declared stage is %(stage)s, but the positions average only %(average)s: "
                "for that stage the average lies between %(low)s and %(high)s."
            )
            % params
        )
    else:
        message = (
            _(
                "The declared stage is %(stage)s, but the positions average %(average)s: "
                "for that stage the average lies between %(low)s and %(high)s."
            )
            % params
        )
    return StageFit(average=average, declared=declared_stage, fits=fits, low=low, high=high, message=message)


# Profiles --------------------------------------------------------------------------------------------------


def austin_profile_list(*, user, partnership: Partnership) -> QuerySet[AustinProfile]:
    """Every profile of the partnership, oldest first (the history)."""
    ensure_opened(user, partnership)
    return (
        AustinProfile.objects.filter(partnership=partnership, partnership__in=partnerships_for(user))
        .select_related("assessed_by")
        .order_by("assessed_at", "pk")
    )


# Partner input ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DimensionSummary:
    dimension: str
    label: str
    count: int
    average: float | None
    low: int | None
    high: int | None

    @property
    def spread(self) -> int | None:
        return None if self.count == 0 else self.high - self.low


def austin_current_inputs(*, user, partnership: Partnership) -> list[AustinInput]:
    """The latest input of each active partner on each dimension (older rows are history)."""
    ensure_opened(user, partnership)
    rows = (
        AustinInput.objects.filter(
            partnership=partnership,
            partnership__in=partnerships_for(user),
            partner__status=PartnerStatus.ACTIVE,
        )
        .select_related("partner__organisation", "given_by")
        .order_by("-given_at", "-pk")
    )
    latest: dict[tuple[int, str], AustinInput] = {}
    for row in rows:
        latest.setdefault((row.partner_id, row.dimension), row)
    order = {d.value: i for i, d in enumerate(DIMENSIONS)}
    return sorted(latest.values(), key=lambda r: (r.partner.organisation.name, order.get(r.dimension, 99)))


def summarise_inputs(inputs: list[AustinInput]) -> dict[str, DimensionSummary]:
    """Per dimension: how many partners gave input, their average and the spread (lowest, highest)."""
    summary = {}
    for dimension in DIMENSIONS:
        values = [i.position for i in inputs if i.dimension == dimension.value]
        summary[dimension.value] = DimensionSummary(
            dimension=dimension.value,
            label=str(dimension.label),
            count=len(values),
            average=round(mean(values), 1) if values else None,
            low=min(values) if values else None,
            high=max(values) if values else None,
        )
    return summary


def summary_text(summary: DimensionSummary) -> str:
    if summary.count == 0:
        return _("No partner input yet.")
    return ngettext(
        "Partners' input: average %(average)s, from %(low)s to %(high)s (%(count)s partner).",
        "Partners' input: average %(average)s, from %(low)s to %(high)s (%(count)s partners).",
        summary.count,
    ) % {"average": f"{summary.average:g}", "low": summary.low, "high": summary.high, "count": summary.count}


def austin_inputs_of_partner(*, user, partnership: Partnership, partner) -> dict[str, AustinInput]:
    """The partner's latest input per dimension (for the pre-filled form)."""
    ensure_opened(user, partnership)
    latest: dict[str, AustinInput] = {}
    for row in AustinInput.objects.filter(partnership=partnership, partner=partner).order_by(
        "-given_at", "-pk"
    ):
        latest.setdefault(row.dimension, row)
    return latest
