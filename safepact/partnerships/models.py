from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from safepact.lib import clock
from safepact.lib.ids import CodeField


class CrimeArea(models.TextChoices):
    BURGLARY = "burglary", _("Burglary")
    VEHICLE = "vehicle", _("Vehicle crime")
    RETAIL = "retail", _("Retail crime")
    CYBER = "cyber", _("Cybercrime")
    FRAUD = "fraud", _("Fraud")
    ORGANISED = "organised", _("Organised and subversive crime")
    CSE = "cse", _("Child sexual exploitation")
    ALCOHOL_DRUGS = "alcohol_drugs", _("Alcohol and drugs")
    NUISANCE = "nuisance", _("Nuisance and vandalism")
    TRAFFICKING = "trafficking", _("Human trafficking and exploitation")
    OTHER = "other", _("Other")


class PartnershipStatus(models.TextChoices):
    FORMING = "forming", _("Forming")
    ACTIVE = "active", _("Active")
    UNDER_REVIEW = "under_review", _("Under review")
    ENDED = "ended", _("Ended")


class Listing(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


class Partnership(models.Model):
    """The tenant: a public-private partnership and its closed workspace.

    Its active members are the "community" of TLP:GREEN.
    """

    code = CodeField()
    name = models.CharField(_("name"), max_length=200)
    purpose = models.TextField(_("purpose"))
    crime_areas = models.JSONField(_("crime areas"), default=list, blank=True)
    country = CountryField(_("country"))
    region = models.CharField(_("region"), max_length=120, blank=True)
    municipality = models.CharField(_("municipality"), max_length=120, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PartnershipStatus.choices, default=PartnershipStatus.FORMING
    )
    listing = models.CharField(_("listing"), max_length=8, choices=Listing.choices, default=Listing.PRIVATE)
    created_at = models.DateTimeField(_("created"), default=clock.now)
    updated_at = models.DateTimeField(_("updated"), default=clock.now)

    class Meta:
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PartnershipStatus.values), name="partnership_status_valid"
            ),
            models.CheckConstraint(condition=Q(listing__in=Listing.values), name="partnership_listing_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_crime_areas_display(self) -> list[str]:
        labels = dict(CrimeArea.choices)
        return [str(labels.get(area, area)) for area in self.crime_areas]


class PartnerStatus(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate")
    INVITED = "invited", _("Invited")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Partner(models.Model):
    """An organisation taking part in a partnership."""

    code = CodeField()
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="partnerships_joined"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=PartnerStatus.choices, default=PartnerStatus.CANDIDATE
    )
    joined_at = models.DateTimeField(_("joined"), null=True, blank=True)
    created_at = models.DateTimeField(_("added"), default=clock.now)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.UniqueConstraint(fields=["partnership", "organisation"], name="partner_unique"),
            models.CheckConstraint(condition=Q(status__in=PartnerStatus.values), name="partner_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.partnership}"


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    MEMBER = "member", _("Member")
    VIEWER = "viewer", _("Viewer (read-only)")


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")


class Membership(models.Model):
    """A person takes part in a partnership through one of its partner organisations."""

    code = CodeField()
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="partnership_memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(
        _("status"), max_length=16, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE
    )
    #: May sign agreements on behalf of the organisation (set by a coordinator, after re-authentication).
    is_signatory = models.BooleanField(_("authorised signatory"), default=False)
    created_at = models.DateTimeField(_("joined"), default=clock.now)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(fields=["partner", "user"], name="membership_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="membership_role_valid"),
            models.CheckConstraint(
                condition=Q(status__in=MembershipStatus.values), name="membership_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class Invitation(models.Model):
    """An emailed invitation to join a partnership, with an expiry. Only the token's hash is stored."""

    code = CodeField()
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="invitations")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="invitations_sent"
    )
    message = models.TextField(_("personal message"), blank=True)
    created_at = models.DateTimeField(_("sent"), default=clock.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations_accepted"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="invitation_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.partnership}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > clock.now()

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= clock.now():
            return "expired"
        return "pending"
