"""Forming a partnership (the paper's first pillar): the CLAIMED journey and what it rests on.

Everything here belongs to one partnership. Derived facts (step states, risk tiers shown live,
impartiality warnings, alignment warnings) are computed by selectors and never stored twice; what
is stored are people's inputs and decisions.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safepact.lib import clock
from safepact.lib.ids import CodeField
from safepact.lib.tlp import TLPLabelled

PARTNERSHIP = "partnerships.Partnership"
PARTNER = "partnerships.Partner"
ORGANISATION = "accounts.Organisation"
USER = settings.AUTH_USER_MODEL


# CLAIMED ------------------------------------------------------------------------------------------


class ClaimedStep(models.TextChoices):
    """Ekblom's CLAIMED framework, in order."""

    CLARIFY = "clarify", _("Clarify the tasks and roles")
    LOCATE = "locate", _("Locate the partners best placed")
    ALERT = "alert", _("Alert them that they can prevent (or unwittingly cause) the crime")
    INFORM = "inform", _("Inform them of the nature, scale and causes of the problem")
    MOTIVATE = "motivate", _("Motivate them: incentives, obligations, benefits")
    EMPOWER = "empower", _("Empower them: know-how, tools, training, resources")
    DIRECT = "direct", _("Direct them: objectives, agreement, standards")


class ClaimedStepDecision(models.Model):
    """A coordinator marks a step not applicable, with a reason. Absent row: the step applies."""

    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    step = models.CharField(_("step"), max_length=16, choices=ClaimedStep.choices)
    not_applicable = models.BooleanField(_("not applicable"), default=True)
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided"), default=clock.now)

    class Meta:
        verbose_name = _("CLAIMED step decision")
        verbose_name_plural = _("CLAIMED step decisions")
        constraints = [
            models.UniqueConstraint(fields=["partnership", "step"], name="claimed_step_decision_unique"),
            models.CheckConstraint(condition=~Q(reason=""), name="claimed_step_decision_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_step_display()}: not applicable"


# Problem statement (Inform) ----------------------------------------------------------------------


class ProblemStatement(TLPLabelled):
    """Nature, scale and causes of the problem; shared with candidate partners as a briefing."""

    code = CodeField()
    partnership = models.OneToOneField(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    nature = models.TextField(_("nature of the problem"), blank=True)
    causes = models.TextField(_("causes"), blank=True)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)
    updated_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True)

    class Meta:
        verbose_name = _("problem statement")
        verbose_name_plural = _("problem statements")


class ProblemFigure(models.Model):
    """One figure of the scale of the problem, with its source and date."""

    code = CodeField()
    statement = models.ForeignKey(ProblemStatement, on_delete=models.CASCADE, related_name="figures")
    label = models.CharField(_("what is counted"), max_length=200)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=50, blank=True)
    source = models.CharField(_("source"), max_length=300)
    as_of = models.DateField(_("date of the figure"))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("figure")
        verbose_name_plural = _("figures")
        ordering = ["position", "id"]
        constraints = [models.CheckConstraint(condition=~Q(source=""), name="problem_figure_source")]

    def __str__(self) -> str:
        return f"{self.label}: {self.value} {self.unit}".strip()


class BriefingShare(models.Model):
    """A personal link that shows the problem statement to a candidate organisation (if its TLP label allows)."""

    code = CodeField()
    candidate = models.ForeignKey("formation.Candidate", on_delete=models.CASCADE, related_name="briefings")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    email = models.EmailField(_("sent to"))
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("sent"), default=clock.now)
    expires_at = models.DateTimeField(_("expires"))
    last_viewed_at = models.DateTimeField(_("last viewed"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("briefing link")
        verbose_name_plural = _("briefing links")

    def __str__(self) -> str:
        return f"Briefing for {self.email}"


# Directory and candidates (Locate, Alert) --------------------------------------------------------


class Capability(models.TextChoices):
    INFORMATION = "information", _("Information and data")
    CAMERAS = "cameras", _("Camera surveillance")
    PATROLS = "patrols", _("Patrols and guarding")
    PHYSICAL = "physical", _("Physical security and design")
    LIGHTING = "lighting", _("Lighting and environment")
    FUNDING = "funding", _("Funding")
    EXPERTISE = "expertise", _("Expertise and research")
    TRAINING = "training", _("Training and awareness")
    REGISTRY = "registry", _("Registration and marking of property")
    SOCIAL = "social", _("Social and youth work")
    COMMUNICATION = "communication", _("Communication and campaigns")
    LEGAL = "legal", _("Legal and regulatory powers")
    NETWORK = "network", _("Network of members (businesses, residents)")
    VENUE = "venue", _("Meeting space and facilities")


class DirectoryProfile(models.Model):
    """An organisation's public profile in the partner directory (when published)."""

    code = CodeField()
    organisation = models.OneToOneField(ORGANISATION, on_delete=models.CASCADE, related_name="+")
    published = models.BooleanField(_("published"), default=False)
    summary = models.TextField(_("who we are"), blank=True)
    regions = models.CharField(_("regions served"), max_length=300, blank=True)
    crime_areas = models.JSONField(_("crime areas we work on"), default=list, blank=True)
    capabilities = models.JSONField(_("capabilities"), default=list, blank=True)
    offers = models.TextField(_("what we offer a partnership"), blank=True)
    contact_role = models.CharField(_("contact role"), max_length=200, blank=True)
    search_text = models.TextField(editable=False, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)
    updated_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name = _("directory profile")
        verbose_name_plural = _("directory profiles")
        indexes = [models.Index(fields=["published"], name="directory_published")]

    def __str__(self) -> str:
        return str(self.organisation)


class CandidateStage(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    ASSESSING = "assessing", _("Assessing")
    INVITED = "invited", _("Invited")
    JOINED = "joined", _("Joined")
    DECLINED = "declined", _("Declined")
    REJECTED = "rejected", _("Rejected")


class Candidate(models.Model):
    """An organisation considered as a partner: the candidate pipeline."""

    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(ORGANISATION, on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(
        _("stage"), max_length=16, choices=CandidateStage.choices, default=CandidateStage.IDENTIFIED
    )
    suggested = models.BooleanField(_("suggested by SafePact"), default=False)
    reasons = models.JSONField(_("why this candidate"), default=list, blank=True)
    note = models.TextField(_("note"), blank=True)
    added_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("added"), default=clock.now)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)

    class Meta:
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "organisation"], name="candidate_unique"),
            models.CheckConstraint(
                condition=Q(stage__in=CandidateStage.values), name="candidate_stage_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_stage_display()})"


class CandidateMove(models.Model):
    """History of the pipeline: every move of a candidate (also in the audit trail)."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="moves")
    from_stage = models.CharField(max_length=16, choices=CandidateStage.choices, blank=True)
    to_stage = models.CharField(max_length=16, choices=CandidateStage.choices)
    reason = models.TextField(_("reason"), blank=True)
    moved_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True)
    moved_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["moved_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_stage or '-'} → {self.to_stage}"


class ImpartialityRule(models.TextChoices):
    UMBRELLA_EXISTS = "umbrella_exists", _("A trade association of this sector is in the directory")
    SOLE_COMPANY = "sole_company", _("The only company of its sector in the partnership")


class ImpartialityDismissal(models.Model):
    """A coordinator dismissed an impartiality warning, with a reason. The warnings themselves are derived."""

    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(ORGANISATION, on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(_("warning"), max_length=32, choices=ImpartialityRule.choices)
    reason = models.TextField(_("reason"))
    dismissed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    dismissed_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "organisation", "rule"], name="impartiality_dismissal_unique"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="impartiality_dismissal_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()}: {self.organisation}"


# Due diligence (Locate) --------------------------------------------------------------------------


class RiskTier(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class DueDiligenceDecision(models.TextChoices):
    PENDING = "pending", _("Pending")
    ADMIT = "admit", _("Admit")
    REJECT = "reject", _("Reject")


class DueDiligenceAssessment(models.Model):
    """A risk assessment of a candidate with the versioned question bank; tier computed by its rules."""

    code = CodeField()
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="assessments")
    bank_version = models.CharField(_("question bank version"), max_length=20)
    answers = models.JSONField(_("answers"), default=dict)
    score = models.PositiveIntegerField(_("risk score"), default=0)
    tier = models.CharField(_("risk tier"), max_length=8, choices=RiskTier.choices, blank=True)
    assessed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("started"), default=clock.now)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    decision = models.CharField(
        _("decision"),
        max_length=8,
        choices=DueDiligenceDecision.choices,
        default=DueDiligenceDecision.PENDING,
    )
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    approved_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    reassess_on = models.DateField(_("reassess on"), null=True, blank=True)

    class Meta:
        verbose_name = _("due-diligence assessment")
        verbose_name_plural = _("due-diligence assessments")
        ordering = ["-created_at"]
        constraints = [
            # Four eyes: the approver is never the person who decided.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=models.F("decided_by")),
                name="due_diligence_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return f"Due diligence of {self.candidate.organisation}"


# Objectives, motives, commitments (Motivate, Direct) ---------------------------------------------


class ObjectiveStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ACHIEVED = "achieved", _("Achieved")
    DROPPED = "dropped", _("Dropped")


class Objective(models.Model):
    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("objective"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    indicator = models.CharField(_("indicator"), max_length=300)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    priority = models.PositiveIntegerField(_("priority (1 = highest)"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=ObjectiveStatus.choices, default=ObjectiveStatus.ACTIVE
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.title


class Benefit(models.TextChoices):
    SUBSIDY = "subsidy", _("Subsidy")
    TAX = "tax", _("Tax advantage")
    REPUTATION = "reputation", _("Reputation")
    SAFER_SURROUNDINGS = "safer", _("Safer surroundings")
    COMPLIANCE = "compliance", _("Legal compliance")
    OTHER = "other", _("Other")


class PartnerMotivation(models.Model):
    """Why a partner takes part: motives (economic, societal, legislative) and expected benefits."""

    partner = models.OneToOneField(PARTNER, on_delete=models.CASCADE, related_name="+")
    economic = models.TextField(_("economic motives"), blank=True)
    societal = models.TextField(_("societal motives"), blank=True)
    legislative = models.TextField(_("legislative motives"), blank=True)
    benefits = models.JSONField(_("expected benefits and incentives"), default=list, blank=True)
    benefits_other = models.CharField(_("other benefit"), max_length=200, blank=True)
    updated_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"Motives of {self.partner.organisation}"


class Commitment(models.Model):
    """A partner commits to an objective."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="commitments")
    partner = models.ForeignKey(PARTNER, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(_("contribution"), max_length=300, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["objective", "partner"], name="commitment_unique")]

    def __str__(self) -> str:
        return f"{self.partner.organisation} → {self.objective}"


class FormationSettings(models.Model):
    partnership = models.OneToOneField(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    focus_limit = models.PositiveSmallIntegerField(_("focus limit (active objectives)"), default=5)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(focus_limit__gte=1, focus_limit__lte=20), name="focus_limit_range"
            )
        ]

    def __str__(self) -> str:
        return f"Formation settings of {self.partnership}"


# Austin's collaboration continuum ----------------------------------------------------------------


class AustinDimension(models.TextChoices):
    ENGAGEMENT = "engagement", _("Level of engagement")
    MISSION = "mission", _("Importance to mission")
    RESOURCES = "resources", _("Magnitude of resources")
    SCOPE = "scope", _("Scope of activities")
    INTERACTION = "interaction", _("Interaction level")
    COMPLEXITY = "complexity", _("Managerial complexity")
    STRATEGIC = "strategic", _("Strategic value")


class AustinStage(models.TextChoices):
    PHILANTHROPIC = "philanthropic", _("Philanthropic")
    TRANSACTIONAL = "transactional", _("Transactional")
    INTEGRATIVE = "integrative", _("Integrative")


class AustinProfile(models.Model):
    """The coordinator's placement of the partnership on the continuum at one moment (history = all rows).

    ``scores`` maps each dimension to a position from 0 (philanthropic) via 50 (transactional)
    to 100 (integrative).
    """

    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    scores = models.JSONField(_("positions"), default=dict)
    declared_stage = models.CharField(_("declared stage"), max_length=16, choices=AustinStage.choices)
    note = models.TextField(_("note"), blank=True)
    assessed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField(_("assessed"), default=clock.now)

    class Meta:
        ordering = ["assessed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_declared_stage_display()} ({self.assessed_at:%Y-%m-%d})"


class AustinInput(models.Model):
    """A partner's view on one dimension, as input for the coordinator."""

    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(PARTNER, on_delete=models.CASCADE, related_name="+")
    dimension = models.CharField(max_length=16, choices=AustinDimension.choices)
    position = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    given_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    given_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(position__lte=100), name="austin_input_position_range")
        ]

    def __str__(self) -> str:
        return f"{self.get_dimension_display()}: {self.position}"


# Structure (Clarify, Empower) --------------------------------------------------------------------


class Level(models.TextChoices):
    BOARD = "board", _("Management / board")
    OPERATIONAL = "operational", _("Operational")
    STAKEHOLDER = "stakeholder", _("Related stakeholders")


class Body(models.Model):
    """A part of the structure: a board, a working group, an advisory board, ..."""

    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
    )
    mandate = models.TextField(_("mandate"), blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("body")
        verbose_name_plural = _("bodies")
        ordering = ["level", "position", "name"]

    def __str__(self) -> str:
        return self.name


class Seat(models.Model):
    """Who sits where: a partner (and optionally a person) in a body, with a role and time commitment."""

    code = CodeField()
    body = models.ForeignKey(Body, on_delete=models.CASCADE, related_name="seats")
    partner = models.ForeignKey(PARTNER, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    role_title = models.CharField(_("role"), max_length=200)
    mandate = models.TextField(_("mandate"), blank=True)
    hours_per_month = models.DecimalField(_("hours per month"), max_digits=6, decimal_places=1, default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(hours_per_month__gte=0), name="seat_hours_positive")
        ]

    def __str__(self) -> str:
        return f"{self.role_title} ({self.partner.organisation})"


class Task(models.Model):
    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("task"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class Raci(models.TextChoices):
    RESPONSIBLE = "R", _("Responsible")
    ACCOUNTABLE = "A", _("Accountable")
    CONSULTED = "C", _("Consulted")
    INFORMED = "I", _("Informed")


class TaskAssignment(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    partner = models.ForeignKey(PARTNER, on_delete=models.CASCADE, related_name="+")
    raci = models.CharField(_("RACI"), max_length=1, choices=Raci.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "partner"], name="task_assignment_unique"),
            models.UniqueConstraint(fields=["task"], condition=Q(raci="A"), name="task_one_accountable"),
        ]

    def __str__(self) -> str:
        return f"{self.task}: {self.raci} {self.partner.organisation}"
