"""Reads for the pipeline area of formation: candidates, suggested candidates, impartiality warnings.

Members of a partnership read its pipeline; suggestions and impartiality warnings are for coordinators.
Everything starts from a partnership fetched through ``get_partnership_for_user``.

Suggestions are scored from the directory: crime-area overlap, country and region, the kinds and sectors
the partnership lacks, capabilities no partner offers yet, and the number of OTHER partnerships with
overlapping crime areas an organisation takes or took part in (a count over all partnerships, which is
why it is named ``dangerously_...``: it never says which partnerships).
"""

from dataclasses import dataclass, field
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from safepact.accounts.models import Organisation, OrganisationKind, Sector
from safepact.formation.models import (
    Candidate,
    CandidateMove,
    CandidateStage,
    Capability,
    DirectoryProfile,
    ImpartialityDismissal,
    ImpartialityRule,
)
from safepact.partnerships.models import CrimeArea, Partner, Partnership, PartnerStatus
from safepact.partnerships.permissions import can_manage
from safepact.partnerships.selectors import get_partnership_for_user, partnerships_for

SUGGESTION_LIMIT = 10
OPEN_STAGES = (CandidateStage.IDENTIFIED, CandidateStage.ASSESSING, CandidateStage.INVITED)
CLOSED_STAGES = (CandidateStage.JOINED, CandidateStage.DECLINED, CandidateStage.REJECTED)
# Which moves a coordinator may make. "joined" is reached when the organisation becomes an active partner.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    CandidateStage.IDENTIFIED: (CandidateStage.ASSESSING, CandidateStage.DECLINED, CandidateStage.REJECTED),
    CandidateStage.ASSESSING: (CandidateStage.INVITED, CandidateStage.DECLINED, CandidateStage.REJECTED),
    CandidateStage.INVITED: (CandidateStage.DECLINED, CandidateStage.REJECTED),
    CandidateStage.JOINED: (),
    CandidateStage.DECLINED: (),
    CandidateStage.REJECTED: (),
}
PRESENT_STATUSES = (PartnerStatus.ACTIVE, PartnerStatus.INVITED)
PAST_STATUSES = (PartnerStatus.ACTIVE, PartnerStatus.SUSPENDED, PartnerStatus.WITHDRAWN)
WEIGHTS = {
    "crime_area": 3,
    "country": 2,
    "region": 2,
    "kind_missing": 2,
    "sector_missing": 1,
    "capability": 1,
    "past_partnership": 1,
}
REASON_CODES = (
    "crime_areas",
    "country",
    "region",
    "kind_missing",
    "sector_missing",
    "capabilities",
    "past_partnerships",
)
IMPARTIALITY_RATIONALE = gettext_lazy(
    "Why this matters: a public body must stay impartial and should not favour one company over its "
    "competitors. The paper advises approaching the trade association of a sector rather than one "
    "manufacturer, and inviting several companies of a sector rather than only one."
)


def _parse_code(code) -> UUID | None:
    if isinstance(code, UUID):
        return code
    try:
        return UUID(str(code))
    except (TypeError, ValueError):
        return None


def _require_manage(partnership: Partnership) -> None:
    if not can_manage(getattr(partnership, "membership", None)):
        raise PermissionDenied(_("Only coordinators of this partnership can do this."))


def _json_list_has(field_name: str, values) -> Q:
    """Lists of codes are stored as JSON text: a quoted value matches one element on every backend."""
    q = Q(pk__in=[])
    for value in values:
        q |= Q(**{f"{field_name}__icontains": f'"{value}"'})
    return q


# Reasons ------------------------------------------------------------------------------------------


def _join(labels) -> str:
    return ", ".join(str(label) for label in labels)


def reason_text(reason: dict) -> str:
    """One stored reason ``{"code": ..., "params": {...}}`` as a sentence in the current language."""
    code, params = reason.get("code"), reason.get("params") or {}
    if code == "crime_areas":
        areas = dict(CrimeArea.choices)
        names = _join(areas.get(a, a) for a in params.get("areas", []))
        return _("Works on %(areas)s, as this partnership does.") % {"areas": names}
    if code == "country":
        from django_countries import countries

        return _("Based in %(country)s, where this partnership works.") % {
            "country": countries.name(params.get("country", "")) or params.get("country", "")
        }
    if code == "region":
        return _("Serves the region %(region)s.") % {"region": params.get("region", "")}
    if code == "kind_missing":
        kinds = dict(OrganisationKind.choices)
        kind = params.get("kind", "")
        return _("The partnership has no partner of this kind yet: %(kind)s.") % {
            "kind": kinds.get(kind, kind)
        }
    if code == "sector_missing":
        sectors = dict(Sector.choices)
        sector = params.get("sector", "")
        return _("The partnership has no partner of this sector yet: %(sector)s.") % {
            "sector": sectors.get(sector, sector)
        }
    if code == "capabilities":
        names = dict(Capability.choices)
        labels = _join(names.get(c, c) for c in params.get("capabilities", []))
        return _("Offers what no partner offers yet: %(capabilities)s.") % {"capabilities": labels}
    if code == "past_partnerships":
        count = int(params.get("count", 0))
        return ngettext(
            "Takes or took part in %(count)s other partnership on similar crime.",
            "Takes or took part in %(count)s other partnerships on similar crime.",
            count,
        ) % {"count": count}
    return str(code or "")


def reason_texts(reasons) -> list[str]:
    return [reason_text(r) for r in reasons or [] if isinstance(r, dict)]


# Matchmaking --------------------------------------------------------------------------------------


@dataclass
class Suggestion:
    organisation: Organisation
    profile: DirectoryProfile | None
    score: int
    reasons: list[dict] = field(default_factory=list)

    @property
    def reason_texts(self) -> list[str]:
        return reason_texts(self.reasons)


@dataclass
class _Composition:
    """What the partnership already has: kinds, business sectors and capabilities of its partners."""

    partnership: Partnership
    kinds: set
    sectors: set
    capabilities: set

    @property
    def areas(self) -> list[str]:
        return [a for a in self.partnership.crime_areas if a in CrimeArea.values]

    @property
    def region_terms(self) -> list[str]:
        return [t.strip() for t in (self.partnership.region, self.partnership.municipality) if t.strip()]


def _composition(partnership: Partnership) -> _Composition:
    present = Partner.objects.filter(partnership=partnership, status__in=PRESENT_STATUSES)
    rows = list(present.values_list("organisation__kind", "organisation__sector"))
    capabilities = set()
    # Only published profiles: a draft is for its own organisation's eyes, and its capabilities must not
    # be inferable from which "capability the partnership lacks" reasons appear.
    for values in DirectoryProfile.objects.filter(
        organisation_id__in=present.values("organisation_id"), published=True
    ).values_list("capabilities", flat=True):
        capabilities.update(values or [])
    return _Composition(
        partnership=partnership,
        kinds={kind for kind, _sector in rows},
        sectors={sector for _kind, sector in rows if sector != Sector.OTHER},
        capabilities=capabilities,
    )


def dangerously_past_partnership_counts(*, organisations, partnership: Partnership) -> dict[int, int]:
    """For each organisation (a queryset of ids), how many OTHER partnerships with a crime area in common
    with ``partnership`` it takes or took part in. Crosses every partnership, so it only ever returns
    counts: one aggregate query, never which partnerships."""
    areas = [a for a in partnership.crime_areas if a in CrimeArea.values]
    if not areas:
        return {}
    rows = (
        Partner.objects.filter(
            _json_list_has("partnership__crime_areas", areas),
            organisation_id__in=organisations,
            status__in=PAST_STATUSES,
            joined_at__isnull=False,
        )
        .exclude(partnership=partnership)
        .values("organisation_id")
        .annotate(n=Count("partnership_id", distinct=True))
    )
    return {row["organisation_id"]: row["n"] for row in rows}


def _score(composition: _Composition, organisation: Organisation, profile, past: int) -> Suggestion:
    reasons, score = [], 0
    partnership = composition.partnership
    if profile is not None:
        overlap = [a for a in composition.areas if a in (profile.crime_areas or [])]
        if overlap:
            score += WEIGHTS["crime_area"] * len(overlap)
            reasons.append({"code": "crime_areas", "params": {"areas": overlap}})
    if partnership.country and str(organisation.country) == str(partnership.country):
        score += WEIGHTS["country"]
        reasons.append({"code": "country", "params": {"country": str(partnership.country)}})
    if profile is not None and profile.regions:
        served = profile.regions.lower()
        for term in composition.region_terms:
            if term.lower() in served:
                score += WEIGHTS["region"]
                reasons.append({"code": "region", "params": {"region": term}})
                break
    if organisation.kind not in composition.kinds:
        score += WEIGHTS["kind_missing"]
        reasons.append({"code": "kind_missing", "params": {"kind": organisation.kind}})
    if (
        organisation.kind in (OrganisationKind.BUSINESS, OrganisationKind.UMBRELLA)
        and organisation.sector != Sector.OTHER
        and organisation.sector not in composition.sectors
    ):
        score += WEIGHTS["sector_missing"]
        reasons.append({"code": "sector_missing", "params": {"sector": organisation.sector}})
    if profile is not None:
        new = [c for c in profile.capabilities or [] if c not in composition.capabilities]
        if new:
            score += WEIGHTS["capability"] * min(len(new), 3)
            reasons.append({"code": "capabilities", "params": {"capabilities": new}})
    if past:
        score += WEIGHTS["past_partnership"] * min(past, 3)
        reasons.append({"code": "past_partnerships", "params": {"count": past}})
    return Suggestion(organisation=organisation, profile=profile, score=score, reasons=reasons)


def suggestion_list(*, user, partnership: Partnership, limit: int = SUGGESTION_LIMIT) -> list[Suggestion]:
    """The best candidates from the directory for a partnership (coordinators only): published profiles of
    organisations that are neither partners nor candidates, in the partnership's country or sharing one
    of its crime areas; best score first. A fixed number of queries."""
    partnership = get_partnership_for_user(user, partnership.code, manage=True)
    composition = _composition(partnership)
    pool = (
        DirectoryProfile.objects.filter(published=True)
        .exclude(
            organisation_id__in=Partner.objects.filter(partnership=partnership).values("organisation_id")
        )
        .exclude(
            organisation_id__in=Candidate.objects.filter(partnership=partnership).values("organisation_id")
        )
        .filter(
            Q(organisation__country=str(partnership.country))
            | _json_list_has("crime_areas", composition.areas)
        )
    )
    past = dangerously_past_partnership_counts(
        organisations=pool.values("organisation_id"), partnership=partnership
    )
    profiles = pool.select_related("organisation").only(
        "code",
        "regions",
        "crime_areas",
        "capabilities",
        "organisation__code",
        "organisation__name",
        "organisation__kind",
        "organisation__sector",
        "organisation__country",
    )
    scored = [
        _score(composition, p.organisation, p, past.get(p.organisation_id, 0)) for p in profiles.iterator()
    ]
    scored = [s for s in scored if s.score > 0]
    # Organisations in the partnership's own country first; from abroad only after them (a cross-border
    # partnership still sees them, a local one is not offered a foreign police force first).
    home = str(partnership.country)
    scored.sort(
        key=lambda s: (
            str(s.organisation.country) != home,
            -s.score,
            s.organisation.name.lower(),
            s.organisation.pk,
        )
    )
    return scored[:limit]


def candidate_reasons(*, user, partnership: Partnership, organisation: Organisation) -> list[dict]:
    """Why ``organisation`` fits ``partnership``: the same reasons a suggestion carries."""
    partnership = get_partnership_for_user(user, partnership.code, manage=True)
    profile = DirectoryProfile.objects.filter(organisation=organisation, published=True).first()
    past = dangerously_past_partnership_counts(
        organisations=Organisation.objects.filter(pk=organisation.pk).values("pk"), partnership=partnership
    )
    return _score(_composition(partnership), organisation, profile, past.get(organisation.pk, 0)).reasons


# Pipeline -----------------------------------------------------------------------------------------


def candidate_list(*, user, partnership: Partnership) -> QuerySet[Candidate]:
    """Candidates of a partnership the caller opened through ``get_partnership_for_user``."""
    return (
        Candidate.objects.filter(partnership=partnership, partnership__in=partnerships_for(user))
        .select_related("organisation", "added_by")
        .order_by("-updated_at", "-pk")
    )


def pipeline_columns(candidates) -> list[dict]:
    """Candidates grouped by stage, in pipeline order (every stage present, possibly empty)."""
    by_stage: dict[str, list] = {stage: [] for stage in CandidateStage.values}
    for candidate in candidates:
        by_stage.setdefault(candidate.stage, []).append(candidate)
    labels = dict(CandidateStage.choices)
    return [{"stage": s, "label": labels[s], "candidates": by_stage[s]} for s in CandidateStage.values]


def get_candidate_for_user(user, code, candidate_code, *, manage: bool = False) -> Candidate:
    """404 for outsiders and for a candidate of another partnership; 403 without the role."""
    partnership = get_partnership_for_user(user, code, manage=manage)
    candidate = (
        Candidate.objects.filter(partnership=partnership, code=_parse_code(candidate_code))
        .select_related("organisation", "partnership", "added_by")
        .first()
    )
    if candidate is None:
        raise Http404(_("Candidate not found."))
    candidate.partnership.membership = partnership.membership
    return candidate


def candidate_moves(*, user, candidate: Candidate) -> QuerySet[CandidateMove]:
    return CandidateMove.objects.filter(
        candidate=candidate, candidate__partnership__in=partnerships_for(user)
    ).select_related("moved_by")


def allowed_moves(stage: str) -> tuple[str, ...]:
    return TRANSITIONS.get(stage, ())


def partnership_organisation(*, partnership: Partnership, code) -> Organisation | None:
    """An organisation that is a partner or a candidate of ``partnership`` (already opened by the caller)."""
    related = Q(pk__in=Partner.objects.filter(partnership=partnership).values("organisation_id")) | Q(
        pk__in=Candidate.objects.filter(partnership=partnership).values("organisation_id")
    )
    return Organisation.objects.filter(related, code=_parse_code(code)).first()


def candidate_for_organisation(*, partnership: Partnership, organisation: Organisation) -> Candidate | None:
    return Candidate.objects.filter(partnership=partnership, organisation=organisation).first()


# Impartiality -------------------------------------------------------------------------------------


@dataclass
class ImpartialityWarning:
    rule: str
    organisation: Organisation
    sector: str
    alternative: Organisation | None = None
    dismissal: ImpartialityDismissal | None = None

    @property
    def key(self) -> str:
        return f"{self.rule}-{self.organisation.code}"

    @property
    def message(self) -> str:
        sector = dict(Sector.choices).get(self.sector, self.sector)
        if self.rule == ImpartialityRule.UMBRELLA_EXISTS:
            return _(
                "%(organisation)s is one company of the sector %(sector)s, and the trade association "
                "%(association)s of that sector is in the directory. Consider approaching the trade "
                "association instead of one company."
            ) % {
                "organisation": self.organisation.name,
                "sector": sector,
                "association": self.alternative.name if self.alternative else "",
            }
        return _(
            "%(organisation)s would be the only company of the sector %(sector)s in this partnership. "
            "Consider inviting other companies of the sector, or its trade association, so that the "
            "partnership does not favour one company."
        ) % {"organisation": self.organisation.name, "sector": sector}

    @property
    def rule_label(self) -> str:
        return str(dict(ImpartialityRule.choices)[self.rule])


def _pick_umbrella(subject: Organisation, umbrellas: list[Organisation]) -> Organisation | None:
    """The subject's own trade association first, then one of its sector in the same country.

    Trade associations are national: one abroad is no alternative for approaching a sector here.
    """
    same_sector = [u for u in umbrellas if u.sector == subject.sector]
    for umbrella in same_sector:
        if umbrella.pk == subject.member_of_id:
            return umbrella
    for umbrella in same_sector:
        if umbrella.country == subject.country:
            return umbrella
    return None


def impartiality_warnings(*, user, partnership: Partnership, organisation=None) -> list[ImpartialityWarning]:
    """Every impartiality warning of a partnership (coordinators only), dismissed ones included
    (``warning.dismissal`` set). Optionally only those about one ``organisation``. Four queries.

    * ``umbrella_exists``: a business partner (candidate, invited, active) or open candidate whose sector
      has a trade association (kind umbrella) with a published directory profile, unless a trade
      association of that sector already takes part or is an open candidate.
    * ``sole_company``: a business that is, or would be, the only company of its sector; counted are the
      active and invited business partners and the invited candidates, plus the business itself; not
      when a trade association of that sector takes part or is an open candidate.
    Sector "other" says nothing about competitors and is left out of both rules.
    """
    partnership = get_partnership_for_user(user, partnership.code, manage=True)
    subjects: dict[int, Organisation] = {}
    counted: dict[str, set[int]] = {}
    umbrella_taken: set[str] = set()
    partners = Partner.objects.filter(
        partnership=partnership,
        status__in=(PartnerStatus.CANDIDATE, PartnerStatus.INVITED, PartnerStatus.ACTIVE),
    ).select_related("organisation")
    candidates = Candidate.objects.filter(partnership=partnership, stage__in=OPEN_STAGES).select_related(
        "organisation"
    )
    rows = [(p.organisation, p.status in PRESENT_STATUSES) for p in partners]
    rows += [(c.organisation, c.stage == CandidateStage.INVITED) for c in candidates]
    for org, counts in rows:
        if org.sector == Sector.OTHER:
            continue
        if org.kind == OrganisationKind.UMBRELLA:
            umbrella_taken.add(org.sector)
        elif org.kind == OrganisationKind.BUSINESS:
            subjects[org.pk] = org
            if counts:
                counted.setdefault(org.sector, set()).add(org.pk)
    if not subjects:
        return []
    sectors = {org.sector for org in subjects.values()} - umbrella_taken
    umbrellas = list(
        Organisation.objects.filter(
            kind=OrganisationKind.UMBRELLA,
            sector__in=sectors,
            pk__in=DirectoryProfile.objects.filter(published=True).values("organisation_id"),
        ).order_by("name", "pk")
    )
    dismissals = {
        (d.organisation_id, d.rule): d
        for d in ImpartialityDismissal.objects.filter(partnership=partnership).select_related("dismissed_by")
    }
    warnings = []
    for org in sorted(subjects.values(), key=lambda o: (o.name.lower(), o.pk)):
        if organisation is not None and org.pk != organisation.pk:
            continue
        if org.sector not in umbrella_taken:
            umbrella = _pick_umbrella(org, umbrellas)
            if umbrella is not None:
                warnings.append(
                    ImpartialityWarning(
                        rule=ImpartialityRule.UMBRELLA_EXISTS,
                        organisation=org,
                        sector=org.sector,
                        alternative=umbrella,
                        dismissal=dismissals.get((org.pk, ImpartialityRule.UMBRELLA_EXISTS)),
                    )
                )
        # A sector whose trade association takes part is represented impartially already.
        if org.sector not in umbrella_taken and len(counted.get(org.sector, set()) | {org.pk}) == 1:
            warnings.append(
                ImpartialityWarning(
                    rule=ImpartialityRule.SOLE_COMPANY,
                    organisation=org,
                    sector=org.sector,
                    dismissal=dismissals.get((org.pk, ImpartialityRule.SOLE_COMPANY)),
                )
            )
    return warnings


def impartiality_split(warnings) -> tuple[list, list]:
    """(open warnings, dismissed warnings)."""
    return [w for w in warnings if w.dismissal is None], [w for w in warnings if w.dismissal is not None]
