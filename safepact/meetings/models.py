"""Meetings (the paper: trust is built through regular, preferably face-to-face contact, but too many
meetings irritate): meetings of six kinds, a series for recurring ones, the people invited and their
attendance, minutes with a TLP label, decisions and action items (which the continuity app shows in the
action plan).

Derived facts (attendance rates, meeting load per person per month) are computed by selectors.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from safepact.lib import clock
from safepact.lib.ids import CodeField
from safepact.lib.tlp import TLPLabelled

PARTNERSHIP = "partnerships.Partnership"
PARTNER = "partnerships.Partner"
USER = settings.AUTH_USER_MODEL


class Kind(models.TextChoices):
    PLENARY = "plenary", _("Plenary meeting in person")
    ONLINE = "online", _("Online meeting")
    THEMATIC = "thematic", _("Thematic discussion")
    TRAINING = "training", _("Joint training")
    SOCIAL = "social", _("Social event")
    WALKTHROUGH = "walkthrough", _("Site walk-through")


#: Kinds the paper suggests instead of yet another plenary when people tire of meetings.
LIGHTER_KINDS = (Kind.THEMATIC, Kind.TRAINING)
#: Kinds that bring people together face to face.
IN_PERSON_KINDS = (Kind.PLENARY, Kind.THEMATIC, Kind.TRAINING, Kind.SOCIAL, Kind.WALKTHROUGH)


class Status(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Every week")
    FORTNIGHTLY = "fortnightly", _("Every two weeks")
    MONTHLY = "monthly", _("Every month")
    QUARTERLY = "quarterly", _("Every quarter")


class Series(models.Model):
    """Recurring meetings: created together, each occurrence an ordinary meeting that can be moved or
    cancelled on its own."""

    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(_("repeats"), max_length=12, choices=Frequency.choices)
    count = models.PositiveIntegerField(_("number of meetings"))
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("meeting series")
        verbose_name_plural = _("meeting series")

    def __str__(self) -> str:
        return f"{self.frequency} x {self.count}"


class Meeting(models.Model):
    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    series = models.ForeignKey(
        Series, on_delete=models.SET_NULL, null=True, blank=True, related_name="meetings"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PLENARY)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    location = models.CharField(_("place"), max_length=300, blank=True)
    online_url = models.URLField(_("link to join online"), max_length=500, blank=True)
    agenda = models.TextField(_("agenda"), blank=True, help_text=_("Markdown: one item per line."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    #: Bumped on every change, for the iCalendar SEQUENCE (calendars replace the event they hold).
    sequence = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["partnership", "starts_at"], name="meeting_partnership_start")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after_start"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class Response(models.TextChoices):
    PENDING = "pending", _("No answer yet")
    ACCEPTED = "accepted", _("Will come")
    DECLINED = "declined", _("Cannot come")


class Attendance(models.TextChoices):
    UNKNOWN = "unknown", _("Not recorded")
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    ABSENT = "absent", _("Absent")


ATTENDED = (Attendance.IN_PERSON, Attendance.ONLINE)


class Participant(models.Model):
    """A person invited to a meeting, through the partner they take part for."""

    code = CodeField()
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(PARTNER, on_delete=models.CASCADE, related_name="+")
    response = models.CharField(
        _("answer"), max_length=10, choices=Response.choices, default=Response.PENDING
    )
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, default=Attendance.UNKNOWN
    )
    invited_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="participant_unique")]
        indexes = [models.Index(fields=["partner", "attendance"], name="participant_partner_att")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.meeting_id}"


class Minutes(TLPLabelled):
    """The minutes of a held meeting. Their label decides who reads them (and they never go out by email
    unless CLEAR or GREEN)."""

    code = CodeField()
    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="minutes")
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    text = models.TextField(_("minutes"), help_text=_("Markdown."))
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta(TLPLabelled.Meta):
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")

    def __str__(self) -> str:
        return f"Minutes of {self.meeting_id}"


class Decision(models.Model):
    code = CodeField()
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(_("decision"))
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class ActionItem(models.Model):
    """An action agreed in a meeting: an owner partner (and person), a due date. The continuity app lists
    these in the partnership's action plan beside its planned activities."""

    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="action_items")
    title = models.CharField(_("action"), max_length=300)
    owner_partner = models.ForeignKey(
        PARTNER, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner (partner)")
    )
    owner_person = models.ForeignKey(
        USER,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner (person)"),
    )
    due_date = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["partnership", "status", "due_date"], name="action_item_due")]

    def __str__(self) -> str:
        return self.title


class MeetingsSettings(models.Model):
    """Per partnership: how many meeting hours a month are too many for one person (meeting fatigue)."""

    partnership = models.OneToOneField(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    monthly_hours_limit = models.DecimalField(
        _("meeting hours a month one person can give"), max_digits=5, decimal_places=1, default=8
    )
    updated_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"Meeting settings of {self.partnership_id}"


class CalendarFeed(models.Model):
    """A person's secret calendar address (iCalendar): one for all their meetings, or one per partnership.
    Only the SHA-256 of the token is stored; resetting the token turns the old address off."""

    code = CodeField()
    user = models.ForeignKey(USER, on_delete=models.CASCADE, related_name="+")
    partnership = models.ForeignKey(
        PARTNERSHIP, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "partnership"], name="calendar_feed_unique"),
            models.UniqueConstraint(
                fields=["user"], condition=Q(partnership__isnull=True), name="calendar_feed_personal_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar of {self.user_id}"
