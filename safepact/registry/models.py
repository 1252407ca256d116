"""Shared registry of stolen and wanted objects (the paper's Schengen Information System example).

* ``Alert``: one object (category after the SIS regulation, plus bicycle, phone and art object) reported by
  its owning unit (a law-enforcement partner of the partnership), with the partnership's ``reference``
  (shown to checking partners on a hit), the unit's own case reference, legal basis, jurisdiction, status,
  expiry and the action to take on a hit.
* ``Identifier``: any number of typed identifiers per alert (VIN, HIN/CIN, engine number, IMEI, plate, ...).
  ``key`` is the kind-prefixed normalised form (``safepact.registry.identifiers``); every lookup is an exact
  match on ``(partnership, key)``.
* ``Check``: one logged check of one identifier by a partner member (who, organisation, what, when,
  context); written by raw SQL on the hot path (``services.checks``). A batch (``BatchCheck``) is a CSV
  upload checked by a background task, with progress.
* ``Hit``: a check (live) or, when an alert or identifier is added later, an earlier check in the retention
  window (late) that matches an active alert; the owning unit confirms or rejects it; an unhandled hit
  escalates after ``RegistrySettings.escalation_hours``.
* ``Overlap``: two alerts sharing an identifier (the same boat reported twice, or a cloned plate).
* ``RateWindow``: per-minute and per-day counters for the check rate limits.
* ``ImportRun``: the record of an import (who, file name, counts, dry run or not).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safepact.lib import clock
from safepact.lib.ids import CodeField

PARTNERSHIP = "partnerships.Partnership"
PARTNER = "partnerships.Partner"
ORGANISATION = "accounts.Organisation"
USER = settings.AUTH_USER_MODEL


class Category(models.TextChoices):
    """Object categories of Regulation (EU) 2018/1862, Art. 38(2), plus bicycle, phone and art object."""

    VEHICLE = "vehicle", _("Motor vehicle")
    TRAILER = "trailer", _("Trailer")
    CARAVAN = "caravan", _("Caravan")
    INDUSTRIAL_EQUIPMENT = "industrial_equipment", _("Industrial equipment")
    BOAT = "boat", _("Boat")
    BOAT_ENGINE = "boat_engine", _("Boat engine")
    CONTAINER = "container", _("Container")
    AIRCRAFT = "aircraft", _("Aircraft")
    AIRCRAFT_ENGINE = "aircraft_engine", _("Aircraft engine")
    FIREARM = "firearm", _("Firearm")
    DOCUMENT = "document", _("Identity or official document")
    NUMBER_PLATE = "number_plate", _("Number plate")
    BANKNOTE = "banknote", _("Banknote")
    IT_EQUIPMENT = "it_equipment", _("IT equipment")
    COMPONENT = "component", _("Vehicle or industrial component")
    HIGH_VALUE = "high_value", _("Other high-value object")
    BICYCLE = "bicycle", _("Bicycle")
    PHONE = "phone", _("Phone")
    ART = "art", _("Art object")


class AlertStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    LOCATED = "located", _("Located")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


class HitAction(models.TextChoices):
    """What a checking partner is told to do on a hit (shown with the reference; nothing else is)."""

    HOLD = (
        "hold",
        _("Do not go ahead with the transaction; keep the object if you safely can and call the police."),
    )
    CONTACT = "contact", _("Go ahead as usual; the police will contact you.")
    REPORT = "report", _("Report where the object was seen; take no other action.")


class Alert(models.Model):
    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    #: The partnership's reference, shown to a partner on a hit ("REG-2026-000042").
    reference = models.CharField(_("reference"), max_length=32)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    description = models.TextField(_("description"), max_length=2000)
    #: The owning unit: a law-enforcement partner of the partnership.
    owner = models.ForeignKey(
        PARTNER, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("owning unit")
    )
    case_reference = models.CharField(_("case reference"), max_length=64)
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=2, help_text=_("Country code (ISO 3166)."))
    status = models.CharField(
        _("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.ACTIVE
    )
    expires_on = models.DateField(_("expires on"))
    action = models.CharField(
        _("action on a hit"), max_length=16, choices=HitAction.choices, default=HitAction.HOLD
    )
    #: Shown to the checking partner with the action: write nothing about the case here.
    action_note = models.CharField(_("note for the checking partner"), max_length=300, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    status_changed_at = models.DateTimeField(default=clock.now)
    #: Why the status last changed ("found in Ystad"): case data, on the alert's page for law enforcement only
    #: (the audit trail, which coordinators read, records the change by reference).
    status_note = models.CharField(_("reason for the status"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "reference"], name="registry_alert_reference_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=AlertStatus.values), name="registry_alert_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="registry_alert_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(action__in=HitAction.values), name="registry_alert_action_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["partnership", "status", "-created_at"], name="registry_alert_list"),
            models.Index(fields=["owner", "case_reference"], name="registry_alert_case"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_category_display()})"


class IdentifierKind(models.TextChoices):
    VIN = "vin", _("Vehicle identification number (VIN)")
    HIN = "hin", _("Hull identification number (HIN/CIN)")
    ENGINE = "engine", _("Engine number")
    FRAME = "frame", _("Frame number")
    IMEI = "imei", _("IMEI")
    IMO = "imo", _("IMO number")
    PLATE = "plate", _("Licence plate")
    FIREARM = "firearm", _("Firearm serial number")
    DOCUMENT = "document", _("Document number")
    SERIAL = "serial", _("Serial number")


class DocumentType(models.TextChoices):
    PASSPORT = "passport", _("Passport")
    ID_CARD = "id_card", _("Identity card")
    DRIVING_LICENCE = "driving_licence", _("Driving licence")
    VEHICLE_REGISTRATION = "vehicle_registration", _("Vehicle registration document")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
    OTHER = "other", _("Other document")


class Identifier(models.Model):
    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+", db_index=False)
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="identifiers")
    kind = models.CharField(_("kind"), max_length=16, choices=IdentifierKind.choices)
    #: The parts as entered (manufacturer, country, document type; may be blank) and the normalised value.
    manufacturer = models.CharField(_("manufacturer"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    document_type = models.CharField(
        _("document type"), max_length=32, blank=True, choices=DocumentType.choices
    )
    value = models.CharField(_("identifier"), max_length=64)
    #: Kind-prefixed normalised form; every lookup is an exact match on (partnership, key).
    key = models.CharField(max_length=200)
    #: Validator warnings at the time it was stored (e.g. a European VIN whose check digit does not match).
    warnings = models.JSONField(default=list, blank=True)
    added_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    added_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("identifier")
        verbose_name_plural = _("identifiers")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "key"], name="registry_identifier_unique_per_alert"),
            models.CheckConstraint(
                condition=Q(kind__in=IdentifierKind.values), name="registry_identifier_kind_valid"
            ),
        ]
        indexes = [models.Index(fields=["partnership", "key"], name="registry_identifier_lookup")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class CheckContext(models.TextChoices):
    OFFERED_FOR_SALE = "offered_for_sale", _("Offered for sale")
    PURCHASE = "purchase", _("Purchase or trade-in")
    REPAIR = "repair", _("Repair or maintenance")
    STORAGE = "storage", _("Storage or mooring")
    INSURANCE = "insurance", _("Insurance claim or policy")
    REGISTRATION = "registration", _("Registration")
    FOUND = "found", _("Found object")
    ROUTINE = "routine", _("Routine check")
    OTHER = "other", _("Other")


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BatchCheck(models.Model):
    """A CSV of identifiers checked by a background task (``registry.check_batch``), with progress."""

    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(ORGANISATION, on_delete=models.PROTECT, related_name="+")
    context = models.CharField(_("context"), max_length=32, choices=CheckContext.choices)
    file = models.FileField(upload_to="registry/batches/%Y/%m/", max_length=300)
    file_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(
        _("status"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.QUEUED
    )
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows checked"), default=0)
    hits = models.PositiveIntegerField(_("hits"), default=0)
    rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    #: Problems by line: [{"line": 12, "message": "..."}], the first 1,000.
    problems = models.JSONField(default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(default=clock.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("batch check")
        verbose_name_plural = _("batch checks")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=BatchStatus.values), name="registry_batch_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.file_name


#: The check log is bucketed by week (seconds since the epoch // this): a check's row goes into its week's
#: part of the late-hit index, so writing a batch's rows costs what this week's checks make it cost, not
#: what the whole retention window's would. The purge reads the same index by (partnership, week).
CHECK_WEEK_SECONDS = 7 * 86400


def check_week(moment) -> int:
    """The check log's week of an aware datetime (``Check.week``)."""
    return int(moment.timestamp()) // CHECK_WEEK_SECONDS


def check_weeks(since, until) -> list[int]:
    """The weeks a late-hit look-up reads for checks from ``since`` to ``until``."""
    return list(range(check_week(since), check_week(until) + 1))


class Check(models.Model):
    """One logged check. Written by raw SQL on the hot path (``services.checks``): keep the columns in step.

    Every index costs each check an update: the foreign keys have none of their own (no constraints
    either); of the two indexes below, (partnership, week, key) serves late hits and the purge, (user,
    checked_at) a person's log."""

    partnership = models.ForeignKey(
        PARTNERSHIP, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    user = models.ForeignKey(
        USER, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    organisation = models.ForeignKey(
        ORGANISATION, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    batch = models.ForeignKey(
        BatchCheck,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    kind = models.CharField(max_length=16)
    key = models.CharField(max_length=200)
    context = models.CharField(max_length=32)
    checked_at = models.DateTimeField()
    week = models.IntegerField(editable=False)  # check_week(checked_at): set by save() and the hot path
    hit = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("check")
        verbose_name_plural = _("checks")
        indexes = [
            # Late hits: (partnership, week, key). New rows go into this week's part of the index only (a
            # batch of 100,000 keys into a (partnership, key) index of 2,000,000 rows rewrote most of its
            # pages); a look-up reads the retention window's weeks (13 for 90 days) for each key.
            models.Index(fields=["partnership", "week", "key"], name="registry_check_week_key"),
            models.Index(fields=["user", "checked_at"], name="registry_check_user"),
            # No index on checked_at alone: the purge reads (partnership, week) of the late-hit index, and
            # one index fewer saves a batch of 100,000 about 0.15 s on SQLite.
        ]

    def __str__(self) -> str:
        return self.key

    def save(self, *args, **kwargs):
        if self.week is None and self.checked_at is not None:
            self.week = check_week(self.checked_at)
        super().save(*args, **kwargs)


class HitKind(models.TextChoices):
    LIVE = "live", _("Hit")
    LATE = "late", _("Late hit")


class HitStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the owning unit")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class Hit(models.Model):
    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="hits")
    identifier = models.ForeignKey(Identifier, on_delete=models.SET_NULL, null=True, related_name="+")
    check_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    kind = models.CharField(_("kind"), max_length=8, choices=HitKind.choices, default=HitKind.LIVE)
    key = models.CharField(max_length=200)
    #: The identifier as the partner typed it (their own input), and the batch line it came from.
    checked_value = models.CharField(max_length=200, blank=True)
    batch = models.ForeignKey(BatchCheck, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    batch_line = models.PositiveIntegerField(null=True, blank=True)
    checked_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    checked_by_organisation = models.ForeignKey(
        ORGANISATION, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    context = models.CharField(_("context"), max_length=32, choices=CheckContext.choices)
    checked_at = models.DateTimeField(_("checked at"))
    created_at = models.DateTimeField(default=clock.now)
    status = models.CharField(_("status"), max_length=16, choices=HitStatus.choices, default=HitStatus.OPEN)
    escalated_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    #: The owning unit's own note (never shown to the checking partner).
    note = models.TextField(_("note"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("hit")
        verbose_name_plural = _("hits")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=HitStatus.values), name="registry_hit_status_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=HitKind.values), name="registry_hit_kind_valid"),
            models.UniqueConstraint(
                fields=["alert", "check_ref"],
                condition=Q(check_ref__isnull=False),
                name="registry_hit_once",
            ),
        ]
        indexes = [
            models.Index(fields=["partnership", "status", "created_at"], name="registry_hit_open"),
            models.Index(fields=["checked_by", "-created_at"], name="registry_hit_checker"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.alert.reference}"


class OverlapStatus(models.TextChoices):
    OPEN = "open", _("Open")
    SAME_OBJECT = "same_object", _("Same object reported twice")
    DIFFERENT_OBJECTS = "different_objects", _("Different objects (cloned or reused identifier)")
    DISMISSED = "dismissed", _("Dismissed")


class Overlap(models.Model):
    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    #: ``first.pk < second.pk`` always; one overlap per pair and key.
    first = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=clock.now)
    status = models.CharField(
        _("status"), max_length=24, choices=OverlapStatus.choices, default=OverlapStatus.OPEN
    )
    resolved_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("overlap")
        verbose_name_plural = _("overlaps")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second", "key"], name="registry_overlap_once"),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="registry_overlap_ordered"
            ),
            models.CheckConstraint(
                condition=Q(status__in=OverlapStatus.values), name="registry_overlap_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.key


class RateWindow(models.Model):
    """A counter of checks for one scope ("u:<user id>" or "o:<organisation id>", with "b" for batch rows)
    in one window (the minute or the day it started). Old windows are deleted by the daily job."""

    scope = models.CharField(max_length=40)
    window = models.BigIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "window"], name="registry_rate_window_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope}@{self.window}"


class RegistrySettings(models.Model):
    partnership = models.OneToOneField(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    escalation_hours = models.PositiveSmallIntegerField(
        _("escalate an unhandled hit after (hours)"), default=12
    )
    retention_days = models.PositiveSmallIntegerField(_("keep the check log for (days)"), default=90)
    #: Alerts without an explicit expiry expire this many days after they are created.
    default_alert_days = models.PositiveSmallIntegerField(_("alerts expire after (days)"), default=3650)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("registry settings")
        verbose_name_plural = _("registry settings")

    def __str__(self) -> str:
        return f"Registry settings of {self.partnership_id}"


class ImportRun(models.Model):
    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    file_name = models.CharField(_("file name"), max_length=255)
    mapping_name = models.CharField(_("mapping"), max_length=255)
    dry_run = models.BooleanField(_("dry run"), default=False)
    created = models.PositiveIntegerField(default=0)
    merged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    identifiers = models.PositiveIntegerField(default=0)
    ran_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-ran_at", "-id"]

    def __str__(self) -> str:
        return self.file_name
