import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from safepact.lib import clock
from safepact.lib.ids import CodeField


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Logs in with an email address."""

    code = CodeField()
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform administrator"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=clock.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class OrganisationKind(models.TextChoices):
    MUNICIPALITY = "municipality", _("Municipality")
    LAW_ENFORCEMENT = "law_enforcement", _("Law enforcement")
    PUBLIC_AUTHORITY = "public_authority", _("Other public authority")
    BUSINESS = "business", _("Business")
    UMBRELLA = "umbrella", _("Trade association / umbrella body")
    NGO = "ngo", _("Non-governmental organisation")
    KNOWLEDGE = "knowledge", _("Knowledge institution")


class Sector(models.TextChoices):
    PUBLIC_ADMINISTRATION = "public_administration", _("Public administration")
    POLICING_JUSTICE = "policing_justice", _("Policing and justice")
    RETAIL = "retail", _("Retail")
    HOSPITALITY = "hospitality", _("Hospitality")
    TRANSPORT_LOGISTICS = "transport_logistics", _("Transport and logistics")
    AUTOMOTIVE = "automotive", _("Automotive")
    MARITIME = "maritime", _("Maritime")
    FINANCE = "finance", _("Banking and finance")
    INSURANCE = "insurance", _("Insurance")
    TELECOM_ICT = "telecom_ict", _("Telecom and ICT")
    REAL_ESTATE = "real_estate", _("Real estate and housing")
    SECURITY = "security", _("Private security")
    INDUSTRY = "industry", _("Industry and manufacturing")
    EDUCATION_RESEARCH = "education_research", _("Education and research")
    SOCIAL_CARE = "social_care", _("Social care and community work")
    OTHER = "other", _("Other")


class Organisation(models.Model):
    """A municipality, police force, business, NGO, ... Partners in partnerships are organisations."""

    code = CodeField()
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=OrganisationKind.choices)
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices, default=Sector.OTHER)
    country = CountryField(_("country"))
    registration_number = models.CharField(_("registration number"), max_length=64, blank=True)
    member_of = models.ForeignKey(
        "self",
        verbose_name=_("member of (umbrella body)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member_organisations",
    )
    created_at = models.DateTimeField(_("created"), default=clock.now)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "registration_number"],
                condition=~Q(registration_number=""),
                name="organisation_unique_registration",
            ),
            models.CheckConstraint(
                condition=~Q(member_of=models.F("id")), name="organisation_not_member_of_itself"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OrganisationMembership(models.Model):
    """A person belongs to an organisation; a person may belong to several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="organisation_memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="people")
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    is_authorised_signatory = models.BooleanField(_("authorised signatory"), default=False)
    is_law_enforcement_officer = models.BooleanField(_("law-enforcement officer"), default=False)
    created_at = models.DateTimeField(_("created"), default=clock.now)

    class Meta:
        verbose_name = _("organisation membership")
        verbose_name_plural = _("organisation memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="organisation_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the secret is shown once."""

    PREFIX = "sp_"

    code = CodeField()
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(_("starts with"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), default=clock.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
