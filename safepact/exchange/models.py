"""Information exchange (the paper: partners hesitate to share because of confidentiality and privacy; weigh
benefits against risks with the Five Safes, and give partners a closed platform for news, updates and
information requests).

* ``Post`` (news, update, warning, good practice) and ``Document`` (with ``DocumentVersion``): TLP-labelled,
  read through ``partnerships.tlp.visible_to`` / ``may_see`` only.
* ``Attachment``: a file of a post, a request or an answer; it carries its owner's label.
* ``AccessLog``: every view and download of an AMBER, AMBER+STRICT or RED item (who, when, what).
* ``InformationRequest`` to chosen partner organisations (``RequestRecipient``), answered or declined
  (``Answer``, itself labelled: the requester's and the answering organisation see it).
* ``Assessment`` (Five Safes, ``AssessmentAnswer`` per safe): gates a request that asks for personal data
  and documents a recurring ``DataFlow`` (the data-sharing register, with ``DataFlowParty`` roles).
* ``SearchEntry``: one row per searchable item (title and text), indexed by SQLite FTS5 or PostgreSQL
  full-text search (``safepact.exchange.search``).
* ``ExchangeSettings``: per partnership upload limits, retention periods and reminder days.

Retention: every item kind has a retention period (``ExchangeSettings``, bounded by
``settings.SAFEPACT_EXCHANGE_RETENTION``); the daily job purges expired items unless ``legal_hold`` is set,
and leaves an audit event (a tombstone: kind, code, label, dates; never the content).
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


class PostKind(models.TextChoices):
    NEWS = "news", _("News")
    UPDATE = "update", _("Update")
    WARNING = "warning", _("Warning")
    GOOD_PRACTICE = "good_practice", _("Good practice")


class Retained(models.Model):
    """What every purgeable item has: a legal hold that stops the purge."""

    legal_hold = models.BooleanField(_("legal hold"), default=False)
    legal_hold_reason = models.CharField(_("reason for the legal hold"), max_length=300, blank=True)

    class Meta:
        abstract = True


class Post(TLPLabelled, Retained):
    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=PostKind.choices, default=PostKind.NEWS)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), help_text=_("Markdown."))
    #: The post this one was forwarded from (another partnership), if any.
    forwarded_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta(TLPLabelled.Meta):
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["partnership", "-created_at"], name="exchange_post_recent")]

    def __str__(self) -> str:
        return self.title


class Document(TLPLabelled, Retained):
    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta(TLPLabelled.Meta):
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title


def upload_path(instance, filename: str) -> str:
    """Files are stored under an opaque name; the person's file name is kept in ``name``."""
    return f"exchange/{instance.code}"


class StoredFile(models.Model):
    """A checked upload: its original name, the detected type, size and SHA-256."""

    code = CodeField()
    file = models.FileField(upload_to=upload_path, max_length=200)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        abstract = True


class DocumentVersion(StoredFile):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    note = models.CharField(_("what changed"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="exchange_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.number}"


class Attachment(StoredFile):
    """A file of exactly one post, request or answer; it is read under its owner's label."""

    post = models.ForeignKey(
        Post, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    request = models.ForeignKey(
        "InformationRequest", on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    answer = models.ForeignKey(
        "Answer", on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(post__isnull=False, request__isnull=True, answer__isnull=True)
                    | Q(post__isnull=True, request__isnull=False, answer__isnull=True)
                    | Q(post__isnull=True, request__isnull=True, answer__isnull=False)
                ),
                name="exchange_attachment_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ItemKind(models.TextChoices):
    """The kinds of labelled item: used by the access log, search, retention and subject access."""

    POST = "post", _("Post")
    DOCUMENT = "document", _("Document")
    REQUEST = "request", _("Information request")
    ANSWER = "answer", _("Answer")


class AccessAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    DOWNLOAD = "download", _("Downloaded")


class AccessLog(models.Model):
    """One view or download of an AMBER, AMBER+STRICT or RED item. Append-only; the item's author reads it."""

    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    item_kind = models.CharField(max_length=12, choices=ItemKind.choices)
    item_code = models.UUIDField()
    tlp = models.CharField(max_length=16)
    action = models.CharField(max_length=12, choices=AccessAction.choices)
    #: The file, for a download or an inline view of an attachment or version.
    file_code = models.UUIDField(null=True, blank=True)
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(ORGANISATION, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["item_kind", "item_code", "-at"], name="exchange_access_item")]

    def __str__(self) -> str:
        return f"{self.action} {self.item_kind} {self.item_code} by {self.user_id}"


class LegalBasis(models.TextChoices):
    """GDPR Article 6(1)."""

    CONSENT = "consent", _("Art. 6(1)(a) consent")
    CONTRACT = "contract", _("Art. 6(1)(b) contract")
    LEGAL_OBLIGATION = "legal_obligation", _("Art. 6(1)(c) legal obligation")
    VITAL_INTERESTS = "vital_interests", _("Art. 6(1)(d) vital interests")
    PUBLIC_TASK = "public_task", _("Art. 6(1)(e) public task")
    LEGITIMATE_INTERESTS = "legitimate_interests", _("Art. 6(1)(f) legitimate interests")


class DataCategory(models.TextChoices):
    """Categories of personal data a request asks for or a data flow carries."""

    IDENTIFICATION = "identification", _("Identification (name, date of birth, ID numbers)")
    CONTACT = "contact", _("Contact details")
    OWNERSHIP = "ownership", _("Ownership of objects (vehicles, boats, engines)")
    TRANSACTIONS = "transactions", _("Purchases, sales and transactions")
    FINANCIAL = "financial", _("Financial data")
    LOCATION = "location", _("Location data")
    IMAGES = "images", _("Camera images")
    CRIMINAL = "criminal", _("Criminal convictions and offences (Art. 10)")
    SPECIAL = "special", _("Special categories (Art. 9)")
    OTHER = "other", _("Other personal data")


class RequestStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    AWAITING_ASSESSMENT = "awaiting_assessment", _("Awaiting assessment")
    SENT = "sent", _("Sent")
    ANSWERED = "answered", _("Answered")
    DECLINED = "declined", _("Declined")
    OVERDUE = "overdue", _("Overdue")
    CLOSED = "closed", _("Closed")


#: States in which recipients may still answer or decline.
OPEN_STATES = (RequestStatus.SENT, RequestStatus.ANSWERED, RequestStatus.OVERDUE)


class InformationRequest(TLPLabelled, Retained):
    """A question from a member (typically police) to chosen partner organisations.

    For TLP:AMBER and AMBER+STRICT the recipient organisations of the label are the requesting and the
    addressed organisations (the service keeps them in step); for TLP:RED the named recipients are people
    of the addressed organisations chosen by the requester.
    """

    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    requester_partner = models.ForeignKey(PARTNER, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("subject"), max_length=200)
    question = models.TextField(_("question"), help_text=_("Markdown."))
    purpose = models.TextField(_("purpose"))
    legal_basis = models.CharField(_("legal basis (GDPR Art. 6)"), max_length=24, choices=LegalBasis.choices)
    national_provision = models.CharField(_("national legal provision"), max_length=300, blank=True)
    data_categories = models.JSONField(_("personal data asked for"), default=list, blank=True)
    deadline = models.DateField(_("answer by"))
    status = models.CharField(
        _("status"), max_length=24, choices=RequestStatus.choices, default=RequestStatus.DRAFT
    )
    assessment = models.OneToOneField(
        "Assessment", on_delete=models.SET_NULL, null=True, blank=True, related_name="request"
    )
    #: Set when the request was made through the API (a police system), for the record.
    via_api = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    updated_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta(TLPLabelled.Meta):
        verbose_name = _("information request")
        verbose_name_plural = _("information requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            *TLPLabelled.Meta.constraints,
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="exchange_request_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def asks_personal_data(self) -> bool:
        return bool(self.data_categories)


class RecipientStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ANSWERED = "answered", _("Answered")
    DECLINED = "declined", _("Declined")


class RequestRecipient(models.Model):
    """An addressed partner organisation and where it stands."""

    code = CodeField()
    request = models.ForeignKey(InformationRequest, on_delete=models.CASCADE, related_name="recipients")
    partner = models.ForeignKey(PARTNER, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=RecipientStatus.choices, default=RecipientStatus.PENDING)
    responded_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("addressed organisation")
        verbose_name_plural = _("addressed organisations")
        constraints = [
            models.UniqueConstraint(fields=["request", "partner"], name="exchange_recipient_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} ({self.status})"


class Answer(TLPLabelled, Retained):
    """An answer (or a reasoned decline) of one addressed organisation. Labelled: the requesting and the
    answering organisation see it (AMBER and AMBER+STRICT), or the requester in person (RED)."""

    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    request = models.ForeignKey(InformationRequest, on_delete=models.CASCADE, related_name="answers")
    recipient = models.ForeignKey(RequestRecipient, on_delete=models.CASCADE, related_name="answers")
    declined = models.BooleanField(default=False)
    text = models.TextField(_("answer"), help_text=_("Markdown. For a decline: the reason."))
    created_at = models.DateTimeField(default=clock.now)

    class Meta(TLPLabelled.Meta):
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Answer to {self.request_id}"


class Safe(models.TextChoices):
    PEOPLE = "people", _("Safe people")
    PROJECTS = "projects", _("Safe projects")
    SETTINGS = "settings", _("Safe settings")
    DATA = "data", _("Safe data")
    OUTPUTS = "outputs", _("Safe outputs")


class Risk(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Being filled in")
    SUBMITTED = "submitted", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    APPROVED_WITH_CONDITIONS = "approved_with_conditions", _("Approved with conditions")
    REJECTED = "rejected", _("Rejected")


APPROVED_STATES = (AssessmentStatus.APPROVED, AssessmentStatus.APPROVED_WITH_CONDITIONS)


class Assessment(models.Model):
    """A Five Safes assessment of a request or of a recurring data flow. Decided by someone other than the
    person who asked for it (four eyes); valid until ``valid_until``."""

    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    #: The version of the question set it was made with (``five_safes/questions_v<N>.json``).
    question_set = models.CharField(max_length=20, default="1")
    status = models.CharField(
        _("status"), max_length=28, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    decision_note = models.TextField(_("reasoning"), blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("Five Safes assessment")
        verbose_name_plural = _("Five Safes assessments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AssessmentStatus.values), name="exchange_assessment_status_valid"
            ),
            # Four eyes: whoever decides is not whoever asked.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=models.F("requested_by")),
                name="exchange_assessment_four_eyes",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AssessmentAnswer(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    safe = models.CharField(max_length=12, choices=Safe.choices)
    answer = models.TextField(_("answer"))
    risk = models.CharField(_("risk"), max_length=8, choices=Risk.choices)
    mitigations = models.TextField(_("mitigations"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "safe"], name="exchange_assessment_answer_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.safe} ({self.risk})"


class FlowStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class DataFlow(models.Model):
    """A recurring flow of personal data between partners: one record of the data-sharing register."""

    code = CodeField()
    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("name"), max_length=200)
    purpose = models.TextField(_("purpose"))
    legal_basis = models.CharField(_("legal basis (GDPR Art. 6)"), max_length=24, choices=LegalBasis.choices)
    national_provision = models.CharField(_("national legal provision"), max_length=300, blank=True)
    data_subjects = models.TextField(_("data subjects"))
    data_categories = models.JSONField(_("categories of personal data"), default=list)
    retention = models.CharField(_("retention"), max_length=300)
    security_measures = models.TextField(_("security measures"))
    assessment = models.ForeignKey(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="flows"
    )
    #: The data-sharing agreement (agreements app), by its code: the apps share no foreign keys.
    agreement_code = models.UUIDField(null=True, blank=True)
    review_on = models.DateField(_("review date"))
    review_reminded_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=FlowStatus.choices, default=FlowStatus.ACTIVE
    )
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("data flow")
        verbose_name_plural = _("data-sharing register")
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class PartyRole(models.TextChoices):
    CONTROLLER = "controller", _("Controller")
    JOINT_CONTROLLER = "joint_controller", _("Joint controller")
    PROCESSOR = "processor", _("Processor")


class DataFlowParty(models.Model):
    flow = models.ForeignKey(DataFlow, on_delete=models.CASCADE, related_name="parties")
    partner = models.ForeignKey(PARTNER, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=20, choices=PartyRole.choices)
    #: What this party does in the flow ("provides", "receives"), free text.
    part = models.CharField(_("part in the flow"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["flow", "partner"], name="exchange_party_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} ({self.role})"


class SearchEntry(models.Model):
    """The searchable text of one post, document or request (answers are found through their request).

    Exactly one of ``post``, ``document``, ``request`` is set; search narrows by that item's label through
    ``visible_to`` on the item's own model, so an entry never shows more than its item.
    """

    partnership = models.ForeignKey(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=ItemKind.choices)
    post = models.OneToOneField(Post, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    document = models.OneToOneField(
        Document, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    request = models.OneToOneField(
        InformationRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    text = models.TextField()
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = _("search entry")
        verbose_name_plural = _("search entries")

    def __str__(self) -> str:
        return self.title


class ExchangeSettings(models.Model):
    """Per partnership: upload limits, who may download TLP:RED files, retention per kind, reminders."""

    partnership = models.OneToOneField(PARTNERSHIP, on_delete=models.CASCADE, related_name="+")
    max_upload_mb = models.PositiveIntegerField(_("largest file (MB)"), default=20)
    #: File types allowed, by key of ``safepact.exchange.uploads.FILE_TYPES``.
    allowed_types = models.JSONField(_("allowed file types"), default=list)
    red_downloads = models.BooleanField(
        _("TLP:RED files may be downloaded"),
        default=False,
        help_text=_("When off, files of TLP:RED items can be viewed in the browser but not downloaded."),
    )
    post_retention_days = models.PositiveIntegerField(_("keep posts (days)"), default=730)
    document_retention_days = models.PositiveIntegerField(_("keep documents (days)"), default=1825)
    request_retention_days = models.PositiveIntegerField(
        _("keep information requests and answers (days)"), default=365
    )
    reminder_days = models.PositiveIntegerField(
        _("remind addressed organisations (days before the deadline)"), default=2
    )
    updated_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"Exchange settings of {self.partnership_id}"
