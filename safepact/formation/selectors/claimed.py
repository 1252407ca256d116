"""Reads for the claimed area of formation: the CLAIMED journey, derived from the data, never stored.

Each of Ekblom's seven steps gets a state (done, in progress, open, not applicable), the evidence
found, what is still open and a link to the feature that does it. The states follow ``RULES`` (shown
on the journey page). All facts about any number of partnerships are read in ONE query (correlated
count subqueries on the partnership); the journey page adds one query for the not-applicable
decisions with their reasons.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from safepact.formation.models import (
    Body,
    BriefingShare,
    Candidate,
    CandidateStage,
    ClaimedStep,
    ClaimedStepDecision,
    Commitment,
    DueDiligenceAssessment,
    DueDiligenceDecision,
    FormationSettings,
    Objective,
    ObjectiveStatus,
    PartnerMotivation,
    ProblemFigure,
    ProblemStatement,
    RiskTier,
    Seat,
    Task,
    TaskAssignment,
)
from safepact.partnerships.models import Partner, Partnership, PartnerStatus
from safepact.partnerships.selectors import partnerships_for

DEFAULT_FOCUS_LIMIT = 5
LOCATE_PARTNERS_ENOUGH = 3


class StepStatus:
    DONE = "done"
    IN_PROGRESS = "in_progress"
    OPEN = "open"
    NOT_APPLICABLE = "not_applicable"

    LABELS = {
        DONE: _("Done"),
        IN_PROGRESS: _("In progress"),
        OPEN: _("Open"),
        NOT_APPLICABLE: _("Not applicable"),
    }
    SETTLED = (DONE, NOT_APPLICABLE)


#: Short names and letters of the steps, in order.
STEP_NAMES = {
    ClaimedStep.CLARIFY: _("Clarify"),
    ClaimedStep.LOCATE: _("Locate"),
    ClaimedStep.ALERT: _("Alert"),
    ClaimedStep.INFORM: _("Inform"),
    ClaimedStep.MOTIVATE: _("Motivate"),
    ClaimedStep.EMPOWER: _("Empower"),
    ClaimedStep.DIRECT: _("Direct"),
}

#: How each state is worked out: shown on the journey page (keep in step with ``_RULES_CODE``).
RULES = {
    ClaimedStep.CLARIFY: _(
        "Done when the structure has at least one body with a seat and the task table has at least one "
        "task with a Responsible partner. In progress when the structure has a body or the task table "
        "has a task."
    ),
    ClaimedStep.LOCATE: _(
        "Done when at least one candidate has a completed due-diligence decision (a high-risk admission "
        "counts once a second coordinator approved it) or the partnership has at least 3 active "
        "partners. In progress when there is any candidate."
    ),
    ClaimedStep.ALERT: _(
        "Done when at least one candidate was sent a briefing or was invited or joined. In progress "
        "when a problem statement exists but nothing was sent yet."
    ),
    ClaimedStep.INFORM: _(
        "Done when the nature and the causes of the problem are described and at least one figure "
        "with its source and date is given. In progress when any of these exists."
    ),
    ClaimedStep.MOTIVATE: _(
        "Done when every active partner has stated at least one motive or expected benefit. In progress "
        "when some have."
    ),
    ClaimedStep.EMPOWER: _(
        "Done when every active partner has at least one seat in the structure with time made available "
        "(hours per month above zero). In progress when some have."
    ),
    ClaimedStep.DIRECT: _(
        "Done when there is at least one active objective with an indicator, every active objective has "
        "at least one commitment, and the number of active objectives is within the focus limit. In "
        "progress when any objective exists."
    ),
}


@dataclass
class StepState:
    step: str
    letter: str
    name: str
    title: str
    state: str
    derived_state: str
    rule: str
    evidence: list[str] = field(default_factory=list)
    open_items: list[str] = field(default_factory=list)
    link_url: str = ""
    link_label: str = ""
    decision: ClaimedStepDecision | None = None

    @property
    def state_label(self) -> str:
        return str(StepStatus.LABELS[self.state])

    @property
    def derived_state_label(self) -> str:
        return str(StepStatus.LABELS[self.derived_state])

    @property
    def settled(self) -> bool:
        return self.state in StepStatus.SETTLED


# Facts: one query for any number of partnerships -------------------------------------------------


class SubqueryCount(Subquery):
    """``(SELECT COUNT(*) FROM (<subquery>) _n)``: a correlated count that works on SQLite and PostgreSQL."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _n)"
    output_field = IntegerField()


def _count(queryset) -> SubqueryCount:
    return SubqueryCount(queryset.order_by().values("pk"))


HERE = OuterRef("pk")
DD_COMPLETE = Q(decision=DueDiligenceDecision.REJECT) | (
    Q(decision=DueDiligenceDecision.ADMIT) & (~Q(tier=RiskTier.HIGH) | Q(approved_by__isnull=False))
)


def _fact_annotations(*, with_not_applicable: bool) -> dict:
    active_partners = Partner.objects.filter(partnership=HERE, status=PartnerStatus.ACTIVE)
    has_motive = Exists(
        PartnerMotivation.objects.filter(partner=OuterRef("pk")).filter(
            ~Q(economic="") | ~Q(societal="") | ~Q(legislative="") | ~Q(benefits=[]) | ~Q(benefits_other="")
        )
    )
    has_time = Exists(Seat.objects.filter(partner=OuterRef("pk"), hours_per_month__gt=0))
    candidates = Candidate.objects.filter(partnership=HERE)
    objectives = Objective.objects.filter(partnership=HERE)
    active_objectives = objectives.filter(status=ObjectiveStatus.ACTIVE)
    statement = ProblemStatement.objects.filter(partnership=HERE)
    facts = {
        "bodies": _count(Body.objects.filter(partnership=HERE)),
        "bodies_seated": _count(
            Body.objects.filter(partnership=HERE).filter(Exists(Seat.objects.filter(body=OuterRef("pk"))))
        ),
        "tasks": _count(Task.objects.filter(partnership=HERE)),
        "tasks_responsible": _count(
            Task.objects.filter(partnership=HERE).filter(
                Exists(TaskAssignment.objects.filter(task=OuterRef("pk"), raci="R"))
            )
        ),
        "candidates": _count(candidates),
        "candidates_decided": _count(
            candidates.filter(
                Exists(DueDiligenceAssessment.objects.filter(DD_COMPLETE, candidate=OuterRef("pk")))
            )
        ),
        "candidates_invited": _count(
            candidates.filter(stage__in=[CandidateStage.INVITED, CandidateStage.JOINED])
        ),
        "candidates_briefed": _count(
            candidates.filter(Exists(BriefingShare.objects.filter(candidate=OuterRef("pk"))))
        ),
        "partners_active": _count(active_partners),
        "partners_motivated": _count(active_partners.filter(has_motive)),
        "partners_empowered": _count(active_partners.filter(has_time)),
        "problem_exists": Exists(statement),
        "problem_nature": Exists(statement.exclude(nature="")),
        "problem_causes": Exists(statement.exclude(causes="")),
        "figures": _count(ProblemFigure.objects.filter(statement__partnership=HERE).exclude(source="")),
        "objectives": _count(objectives),
        "objectives_active": _count(active_objectives),
        "objectives_indicated": _count(active_objectives.exclude(indicator="")),
        "objectives_uncommitted": _count(
            active_objectives.filter(~Exists(Commitment.objects.filter(objective=OuterRef("pk"))))
        ),
        "focus_limit": Coalesce(
            Subquery(FormationSettings.objects.filter(partnership=HERE).values("focus_limit")[:1]),
            Value(DEFAULT_FOCUS_LIMIT),
            output_field=IntegerField(),
        ),
    }
    if with_not_applicable:
        for step in ClaimedStep.values:
            facts[f"na_{step}"] = Exists(
                ClaimedStepDecision.objects.filter(partnership=HERE, step=step, not_applicable=True)
            )
    return facts


def claimed_facts(*, user, partnership_ids: Iterable[int], with_not_applicable: bool = False) -> dict:
    """``{partnership_id: {fact: value}}`` for the partnerships among ``partnership_ids`` the user may open.

    One query, whatever the number of partnerships or rows behind them.
    """
    annotations = _fact_annotations(with_not_applicable=with_not_applicable)
    rows = (
        Partnership.objects.filter(pk__in=list(partnership_ids))
        .filter(pk__in=partnerships_for(user).values("pk"))
        .annotate(**annotations)
        .values("pk", *annotations)
    )
    return {row.pop("pk"): row for row in rows}


# Rules ---------------------------------------------------------------------------------------------


def _state(done: bool, started: bool) -> str:
    if done:
        return StepStatus.DONE
    return StepStatus.IN_PROGRESS if started else StepStatus.OPEN


def _clarify(f):
    done = f["bodies_seated"] >= 1 and f["tasks_responsible"] >= 1
    started = f["bodies"] >= 1 or f["tasks"] >= 1
    evidence = [
        ngettext(
            "%(count)s body in the structure, %(seated)s of them with a seat.",
            "%(count)s bodies in the structure, %(seated)s of them with a seat.",
            f["bodies"],
        )
        % {"count": f["bodies"], "seated": f["bodies_seated"]},
        ngettext(
            "%(count)s task in the task table, %(responsible)s of them with a Responsible partner.",
            "%(count)s tasks in the task table, %(responsible)s of them with a Responsible partner.",
            f["tasks"],
        )
        % {"count": f["tasks"], "responsible": f["tasks_responsible"]},
    ]
    open_items = []
    if not f["bodies_seated"]:
        open_items.append(_("Add a body (a board or a working group) to the structure and who sits in it."))
    if not f["tasks_responsible"]:
        open_items.append(_("Add a task to the task table and name the partner Responsible for it."))
    return _state(done, started), evidence, open_items


def _locate(f):
    done = f["candidates_decided"] >= 1 or f["partners_active"] >= LOCATE_PARTNERS_ENOUGH
    started = f["candidates"] >= 1
    evidence = [
        ngettext(
            "%(count)s candidate partner, %(decided)s with a completed due-diligence decision.",
            "%(count)s candidate partners, %(decided)s with a completed due-diligence decision.",
            f["candidates"],
        )
        % {"count": f["candidates"], "decided": f["candidates_decided"]},
        ngettext("%(count)s active partner.", "%(count)s active partners.", f["partners_active"])
        % {"count": f["partners_active"]},
    ]
    open_items = []
    if not done:
        if not f["candidates"]:
            open_items.append(_("Add candidate partners, for example from the suggestions of the directory."))
        open_items.append(_("Complete the due diligence of a candidate and decide on it."))
    return _state(done, started), evidence, open_items


def _alert(f):
    done = f["candidates_briefed"] >= 1 or f["candidates_invited"] >= 1
    started = bool(f["problem_exists"])
    evidence = [
        ngettext(
            "%(count)s candidate was sent a briefing.",
            "%(count)s candidates were sent a briefing.",
            f["candidates_briefed"],
        )
        % {"count": f["candidates_briefed"]},
        ngettext(
            "%(count)s candidate was invited or joined.",
            "%(count)s candidates were invited or joined.",
            f["candidates_invited"],
        )
        % {"count": f["candidates_invited"]},
    ]
    open_items = []
    if not done:
        if not f["problem_exists"]:
            open_items.append(_("Write the problem statement, so there is something to brief candidates on."))
        open_items.append(_("Send a briefing to a candidate partner, or invite one."))
    return _state(done, started), evidence, open_items


def _inform(f):
    nature, causes, figures = bool(f["problem_nature"]), bool(f["problem_causes"]), f["figures"]
    done = nature and causes and figures >= 1
    started = nature or causes or figures >= 1
    evidence = []
    if nature:
        evidence.append(_("The nature of the problem is described."))
    if causes:
        evidence.append(_("The causes of the problem are described."))
    evidence.append(
        ngettext(
            "%(count)s figure of the scale of the problem, with source and date.",
            "%(count)s figures of the scale of the problem, with source and date.",
            figures,
        )
        % {"count": figures}
    )
    open_items = []
    if not nature:
        open_items.append(_("Describe the nature of the problem."))
    if not causes:
        open_items.append(_("Describe the causes of the problem."))
    if not figures:
        open_items.append(_("Add a figure of the scale of the problem, with its source and date."))
    return _state(done, started), evidence, open_items


def _share_of_partners(f, key: str):
    """(state, how many active partners have it, how many active partners, how many lack it)."""
    total, some = f["partners_active"], f[key]
    done = total >= 1 and some >= total
    return _state(done, some >= 1), some, total, max(total - some, 0)


def _motivate(f):
    state, some, total, missing = _share_of_partners(f, "partners_motivated")
    evidence = [
        ngettext(
            "%(count)s of %(total)s active partner stated a motive or an expected benefit.",
            "%(count)s of %(total)s active partners stated a motive or an expected benefit.",
            total,
        )
        % {"count": some, "total": total}
    ]
    open_items = []
    if state != StepStatus.DONE:
        open_items.append(
            ngettext(
                "%(count)s active partner has not stated a motive or an expected benefit yet.",
                "%(count)s active partners have not stated a motive or an expected benefit yet.",
                missing,
            )
            % {"count": missing}
        )
    return state, evidence, open_items


def _empower(f):
    state, some, total, missing = _share_of_partners(f, "partners_empowered")
    evidence = [
        ngettext(
            "%(count)s of %(total)s active partner has a seat with time made available.",
            "%(count)s of %(total)s active partners have a seat with time made available.",
            total,
        )
        % {"count": some, "total": total}
    ]
    open_items = []
    if state != StepStatus.DONE:
        open_items.append(
            ngettext(
                "%(count)s active partner has no seat with hours per month in the structure yet.",
                "%(count)s active partners have no seat with hours per month in the structure yet.",
                missing,
            )
            % {"count": missing}
        )
    return state, evidence, open_items


def _direct(f):
    active, limit = f["objectives_active"], f["focus_limit"]
    done = f["objectives_indicated"] >= 1 and f["objectives_uncommitted"] == 0 and active <= limit
    started = f["objectives"] >= 1
    evidence = [
        ngettext(
            "%(count)s active objective (focus limit: %(limit)s), %(indicated)s with an indicator.",
            "%(count)s active objectives (focus limit: %(limit)s), %(indicated)s with an indicator.",
            active,
        )
        % {"count": active, "limit": limit, "indicated": f["objectives_indicated"]}
    ]
    open_items = []
    if not f["objectives_indicated"]:
        open_items.append(_("Set an active objective with an indicator."))
    if f["objectives_uncommitted"]:
        open_items.append(
            ngettext(
                "%(count)s active objective has no commitment from a partner.",
                "%(count)s active objectives have no commitment from a partner.",
                f["objectives_uncommitted"],
            )
            % {"count": f["objectives_uncommitted"]}
        )
    if active > limit:
        open_items.append(
            _("There are %(count)s active objectives, more than the focus limit of %(limit)s.")
            % {"count": active, "limit": limit}
        )
    return _state(done, started), evidence, open_items


_RULES_CODE = {
    ClaimedStep.CLARIFY: _clarify,
    ClaimedStep.LOCATE: _locate,
    ClaimedStep.ALERT: _alert,
    ClaimedStep.INFORM: _inform,
    ClaimedStep.MOTIVATE: _motivate,
    ClaimedStep.EMPOWER: _empower,
    ClaimedStep.DIRECT: _direct,
}


# Links to the features ----------------------------------------------------------------------------

# (URL names to try, path under p/<code>/formation/ when none exists yet, label)
_FEATURES = {
    "structure": (("formation:structure",), "structure/", _("Open the structure and task table")),
    "candidates": (
        ("formation:candidates", "formation:pipeline"),
        "candidates/",
        _("Open the candidate partners"),
    ),
    "briefings": (("formation:problem",), "problem/", _("Send briefings from the problem statement")),
    "problem": (("formation:problem",), "problem/", _("Open the problem statement")),
    "objectives": (("formation:objectives",), "objectives/", _("Open the objectives and motives")),
}
STEP_FEATURE = {
    ClaimedStep.CLARIFY: "structure",
    ClaimedStep.LOCATE: "candidates",
    ClaimedStep.ALERT: "briefings",
    ClaimedStep.INFORM: "problem",
    ClaimedStep.MOTIVATE: "objectives",
    ClaimedStep.EMPOWER: "structure",
    ClaimedStep.DIRECT: "objectives",
}


def feature_url(feature: str, code) -> str:
    names, fallback, _label = _FEATURES[feature]
    for name in names:
        try:
            url = reverse(name, args=[code])
        except NoReverseMatch:
            continue
        return url + ("#briefings" if feature == "briefings" else "")
    return f"/p/{code}/formation/{fallback}"


# The journey ---------------------------------------------------------------------------------------


def _steps(facts: dict, code, decisions: dict) -> list[StepState]:
    steps = []
    for step in ClaimedStep:
        derived, evidence, open_items = _RULES_CODE[step](facts)
        decision = decisions.get(step.value)
        feature = STEP_FEATURE[step]
        steps.append(
            StepState(
                step=step.value,
                letter=step.value[0].upper(),
                name=str(STEP_NAMES[step]),
                title=str(step.label),
                state=StepStatus.NOT_APPLICABLE if decision else derived,
                derived_state=derived,
                rule=str(RULES[step]),
                evidence=[str(e) for e in evidence],
                open_items=[] if decision else [str(o) for o in open_items],
                link_url=feature_url(feature, code),
                link_label=str(_FEATURES[feature][2]),
                decision=decision if isinstance(decision, ClaimedStepDecision) else None,
            )
        )
    return steps


def claimed_journey(*, user, partnership: Partnership) -> list[StepState]:
    """The seven steps in order, for a partnership the caller opened with ``get_partnership_for_user``.

    Two queries: the facts, and the not-applicable decisions (with who decided).
    """
    facts = claimed_facts(user=user, partnership_ids=[partnership.pk]).get(partnership.pk)
    if facts is None:
        return []
    decisions = {
        d.step: d
        for d in ClaimedStepDecision.objects.filter(
            partnership=partnership, not_applicable=True
        ).select_related("decided_by")
    }
    return _steps(facts, partnership.code, decisions)


def claimed_journeys(*, user, partnerships: Iterable[Partnership]) -> dict[int, list[StepState]]:
    """The journeys of several partnerships in one query (no decision details: reason and author unset)."""
    by_id = {p.pk: p for p in partnerships}
    facts = claimed_facts(user=user, partnership_ids=by_id, with_not_applicable=True)
    journeys = {}
    for pk, row in facts.items():
        decisions = {step: True for step in ClaimedStep.values if row.get(f"na_{step}")}
        journeys[pk] = _steps(row, by_id[pk].code, decisions)
    return journeys


def claimed_step_decision_get(*, partnership: Partnership, step: str) -> ClaimedStepDecision | None:
    return ClaimedStepDecision.objects.filter(partnership=partnership, step=step).first()
