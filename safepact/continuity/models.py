"""Continuity (the paper: regular but not excessive communication, standardised progress reports and
follow-up, resources that last): the action plan's activities, the progress report schedule, the reports
and each partner's section, resource commitments and what was actually used.

The continuity signals (engagement, overdue work, meeting rhythm and load, funding runway, under-spent
commitments, agreements to review) are derived by ``selectors`` and never stored.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from safepact.lib import clock
from safepact.lib.ids import CodeField

PARTNERSHIP = "partnerships.Partnership"
PARTNER = "partnerships.Partner"
USER = settings.AUTH_USER_MODEL


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


CLOSED_ACTIVITY = (ActivityStatus.DONE, ActivityStatus.CANCELLED)


class Activity(models.Model):
    """One line of the action plan."""

    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("activity"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    objective = models.ForeignKey(
        "formation.Objective",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("objective"),
    )
    owner_partner = models.ForeignKey(
        PARTNER, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner")
    )
    start_date = models.DateField(_("start"))
    due_date = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=12, choices=ActivityStatus.choices, default=ActivityStatus.PLANNED
    )
    done_at = models.DateTimeField(null=True, blank=True)
    depends_on = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="dependents", verbose_name=_("depends on")
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["start_date", "due_date", "id"]
        indexes = [models.Index(fields=["partnership", "status", "due_date"], name="activity_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_date__gte=F("start_date")), name="activity_due_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    HALF_YEARLY = "half_yearly", _("Every six months")
    YEARLY = "yearly", _("Yearly")


MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.HALF_YEARLY: 6, Frequency.YEARLY: 12}


class ReportSchedule(models.Model):
    """When progress reports are due. The scheduled job opens the report of each period that has ended
    and reminds partners whose section is late; both are idempotent (data, not timers)."""

    partnership = models.OneToOneField(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(
        _("frequency"), max_length=12, choices=Frequency.choices, default=Frequency.QUARTERLY
    )
    #: The first day of the first period; later periods follow on without gaps.
    starts_on = models.DateField(_("first period starts"))
    #: Partners have this many days after a period ends to fill in their section.
    days_to_contribute = models.PositiveIntegerField(
        _("days after the period for partners' sections"), default=14
    )
    #: Late partners are reminded this many days before the deadline, and again on the day after it.
    remind_days_before = models.PositiveIntegerField(
        _("remind this many days before the deadline"), default=3
    )
    active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"{self.frequency} from {self.starts_on}"


class ReportStatus(models.TextChoices):
    COLLECTING = "collecting", _("Collecting sections")
    SIGNED_OFF = "signed_off", _("Signed off")


class ProgressReport(models.Model):
    """The standardised report of one period: each partner's section, compiled and signed off by a
    coordinator. Signed off reports are frozen."""

    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    #: The deadline for partners' sections.
    due_date = models.DateField(_("sections due"))
    status = models.CharField(
        _("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.COLLECTING
    )
    summary = models.TextField(_("coordinator's summary"), blank=True, help_text=_("Markdown."))
    signed_off_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    signed_off_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "period_start"], name="report_period_unique"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="report_period_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_start} to {self.period_end}"


class ReportSection(models.Model):
    """One partner's part of a report: the standard headings."""

    code = CodeField()
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="sections")
    partner = models.ForeignKey(PARTNER, on_delete=models.CASCADE, related_name="+")
    activities_done = models.TextField(_("activities done"), blank=True)
    outputs = models.TextField(_("outputs"), blank=True)
    problems = models.TextField(_("problems"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    hours_used = models.DecimalField(
        _("hours spent"),
        max_digits=8,
        decimal_places=1,
        default=Decimal(0),
        validators=[MinValueValidator(0)],
    )
    money_used = models.DecimalField(
        _("money spent (EUR)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(0)],
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("report section")
        verbose_name_plural = _("report sections")
        constraints = [models.UniqueConstraint(fields=["report", "partner"], name="report_section_unique")]

    def __str__(self) -> str:
        return f"{self.partner_id} in {self.report_id}"


class ReportReminder(models.Model):
    """A reminder sent to a late partner (once per report, partner and kind)."""

    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, related_name="reminders")
    partner = models.ForeignKey(PARTNER, on_delete=models.CASCADE, related_name="+")
    #: "before" (some days before the deadline) or "late" (the day after it).
    kind = models.CharField(max_length=10)
    sent_at = models.DateTimeField(default=clock.now)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "partner", "kind"], name="report_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder for {self.partner_id}"


class ResourceKind(models.TextChoices):
    HOURS = "hours", _("Time (hours a month)")
    STAFF = "staff", _("Staff")
    FUNDING = "funding", _("Funding")


class Commitment(models.Model):
    """What a partner puts in: hours a month, staff, or funding (with its source and end date)."""

    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(
        PARTNER, on_delete=models.CASCADE, related_name="+", verbose_name=_("partner")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ResourceKind.choices)
    #: Hours a month (HOURS), people (STAFF, may be fractional FTE) or euros in total (FUNDING).
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    source = models.CharField(_("source"), max_length=200, blank=True, help_text=_("For funding: who pays."))
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("resource commitment")
        verbose_name_plural = _("resource commitments")
        ordering = ["kind", "starts_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="commitment_period_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class Actual(models.Model):
    """What was actually used of a commitment in one month (hours, staff or euros)."""

    code = CodeField()
    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="actuals")
    #: The first day of the month.
    month = models.DateField(_("month"))
    amount = models.DecimalField(
        _("used"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    reported_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("actual use")
        verbose_name_plural = _("actual use")
        ordering = ["month", "id"]
        constraints = [
            models.UniqueConstraint(fields=["commitment", "month"], name="actual_month_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="actual_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.month}: {self.amount}"


class ContinuitySettings(models.Model):
    """Per partnership: the thresholds of the early warnings."""

    partnership = models.OneToOneField(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    disengagement_days = models.PositiveIntegerField(
        _("warn when a partner has not taken part for (days)"), default=90
    )
    runway_warning_days = models.PositiveIntegerField(
        _("warn this many days before a funding source ends"), default=90
    )
    underspend_percent = models.PositiveIntegerField(
        _("warn when time spent falls below this share of the time committed (%)"), default=50
    )
    meeting_gap_days = models.PositiveIntegerField(_("warn when no meeting was held for (days)"), default=60)
    updated_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"Continuity settings of {self.partnership_id}"
