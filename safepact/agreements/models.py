"""Agreements (the paper's formalisation step): templates are data files; what is stored here is the
agreements, their versions (every save), comments in review, parties, signatures with the hash of the
exact text signed, the PDFs SafePact produced (so one can be verified later) and the reminders sent.

Derived facts (whether an agreement has reached its quorum, whether a review date is near, whether the
confidentiality gate lets a person through) are computed by selectors and never stored twice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safepact.lib import clock
from safepact.lib.ids import CodeField

PARTNERSHIP = "partnerships.Partnership"
PARTNER = "partnerships.Partner"
USER = settings.AUTH_USER_MODEL


class Kind(models.TextChoices):
    MOU = "mou", _("Memorandum of understanding")
    COVENANT = "covenant", _("Covenant")
    CODE_OF_CONDUCT = "code_of_conduct", _("Code of conduct")
    MISSION_STATEMENT = "mission_statement", _("Joint mission statement")
    CONFIDENTIALITY = "confidentiality", _("Confidentiality agreement")
    DATA_SHARING = "data_sharing", _("Data-sharing agreement")


class Formality(models.TextChoices):
    """The paper's range: from a general description to a fixed statement of goals and duties."""

    GENERAL = "general", _("General: a description of the partnership and its focus")
    SPECIFIED = "specified", _("Specified: objectives, roles and ways of working")
    FIXED = "fixed", _("Fixed: goals, activities and responsibilities laid down")


FORMALITY_ORDER = [Formality.GENERAL, Formality.SPECIFIED, Formality.FIXED]


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    FINAL = "final", _("Final")
    SIGNING = "signing", _("Signing")
    IN_FORCE = "in_force", _("In force")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")
    SUPERSEDED = "superseded", _("Superseded")


EDITABLE = (Status.DRAFT, Status.REVIEW)
ENDED = (Status.EXPIRED, Status.TERMINATED, Status.SUPERSEDED)


class Agreement(models.Model):
    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    formality = models.CharField(_("formality"), max_length=10, choices=Formality.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    #: Signatures needed for the agreement to enter into force; ``None``: every required party.
    quorum = models.PositiveIntegerField(_("quorum"), null=True, blank=True)
    effective_from = models.DateField(_("in force from"), null=True, blank=True)
    review_date = models.DateField(_("review date"), null=True, blank=True)
    expiry_date = models.DateField(_("expiry date"), null=True, blank=True)
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("supersedes"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="superseded_by",
    )
    #: The version frozen when the agreement became final; its hash is what everyone signs.
    final_version = models.ForeignKey(
        "AgreementVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    final_sha256 = models.CharField(_("SHA-256 of the final text"), max_length=64, blank=True)
    finalised_at = models.DateTimeField(_("finalised"), null=True, blank=True)
    in_force_at = models.DateTimeField(_("entered into force"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.TextField(_("reason for ending"), blank=True)
    template_source = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("created"), default=clock.now)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(quorum__isnull=True) | Q(quorum__gte=1), name="agreement_quorum_positive"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "review"]) | ~Q(final_sha256=""),
                name="agreement_frozen_has_hash",
            ),
        ]
        indexes = [models.Index(fields=["partnership", "kind", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED


class AgreementVersion(models.Model):
    """One save of the text. Immutable once written (services never update a version)."""

    code = CodeField()
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    body = models.TextField(_("text (Markdown)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("saved"), default=clock.now)

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="agreement_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.agreement} v{self.number}"


class Party(models.Model):
    """A partner organisation that is party to an agreement (from the start, or by accession)."""

    code = CodeField()
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="parties")
    partner = models.ForeignKey(PARTNER, on_delete=models.CASCADE, related_name="+")
    #: Required parties must sign for the agreement to enter into force (unless a quorum is named).
    required = models.BooleanField(_("signature required"), default=True)
    acceded = models.BooleanField(_("joined by accession"), default=False)
    added_at = models.DateTimeField(_("added"), default=clock.now)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)
    withdrawn_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "partner"], name="agreement_party_unique")
        ]

    def __str__(self) -> str:
        return f"{self.partner} / {self.agreement}"


class SignatureMethod(models.TextChoices):
    SESSION = "session", _("Signed in the browser after re-authentication")
    API = "api", _("Signed through the API with password (and code)")


class Signature(models.Model):
    """A party's signature on one exact text: person, organisation, time and the text's SHA-256."""

    code = CodeField()
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="signatures")
    version = models.ForeignKey(AgreementVersion, on_delete=models.PROTECT, related_name="signatures")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="signatures")
    signer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField(_("signed by"), max_length=200)
    organisation_name = models.CharField(_("on behalf of"), max_length=200)
    text_sha256 = models.CharField(_("SHA-256 of the text signed"), max_length=64)
    method = models.CharField(_("method"), max_length=10, choices=SignatureMethod.choices)
    signed_at = models.DateTimeField(_("signed"), default=clock.now)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "party"], name="signature_once_per_party")]

    def __str__(self) -> str:
        return f"{self.organisation_name}: {self.signer_name}"


class Comment(models.Model):
    """A partner's remark on one section of a version while the agreement is in review."""

    code = CodeField()
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="comments")
    version = models.ForeignKey(AgreementVersion, on_delete=models.CASCADE, related_name="comments")
    section = models.CharField(_("section"), max_length=200)
    author = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    partner = models.ForeignKey(PARTNER, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("written"), default=clock.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.section}: {self.body[:40]}"


class DocumentFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    DOCX = "docx", "DOCX"


class DocumentExport(models.Model):
    """Every file SafePact produced of a version, by the SHA-256 of its bytes, so it can be verified."""

    code = CodeField()
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="exports")
    version = models.ForeignKey(AgreementVersion, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=4, choices=DocumentFormat.choices)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    text_sha256 = models.CharField(max_length=64)
    signature_count = models.PositiveIntegerField(default=0)
    exported_by = models.ForeignKey(USER, on_delete=models.SET_NULL, null=True, related_name="+")
    exported_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-exported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.agreement} v{self.version.number} {self.format} {self.file_sha256[:12]}"


class AgreementSettings(models.Model):
    """Per partnership: the confidentiality gate and how far ahead coordinators are reminded."""

    partnership = models.OneToOneField(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    require_confidentiality = models.BooleanField(
        _("require the confidentiality agreement for TLP:AMBER and TLP:RED content"), default=False
    )
    review_notice_days = models.PositiveIntegerField(_("remind before a review date (days)"), default=30)
    expiry_notice_days = models.PositiveIntegerField(_("remind before an expiry date (days)"), default=60)

    class Meta:
        verbose_name = _("agreement settings")
        verbose_name_plural = _("agreement settings")

    def __str__(self) -> str:
        return f"agreement settings {self.partnership_id}"


class ReminderKind(models.TextChoices):
    REVIEW = "review", _("Review date")
    EXPIRY = "expiry", _("Expiry date")
    EXPIRED = "expired", _("Expired")


class ReminderSent(models.Model):
    """One email per agreement, kind and date, so a daily job never sends the same reminder twice."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=ReminderKind.choices)
    due = models.DateField()
    sent_at = models.DateTimeField(default=clock.now)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agreement", "kind", "due"], name="agreement_reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.agreement_id} {self.kind} {self.due}"
