from datetime import UTC

from django.db import models
from django.utils.translation import gettext_lazy as _

from safepact.audit.chain import HASHED_FIELDS
from safepact.lib.ids import CodeField


class AuditEvent(models.Model):
    """One append-only, hash-chained record of a change or a disclosure.

    No foreign keys on purpose: deleting a person or a partnership must never rewrite
    the trail. Updates and deletes are refused by database triggers (see triggers.py).
    """

    code = CodeField()
    chain = models.CharField(_("chain"), max_length=64)
    seq = models.PositiveBigIntegerField(_("sequence"))
    occurred_at = models.DateTimeField(_("when"))
    actor_code = models.CharField(_("actor code"), max_length=36, blank=True)
    actor_label = models.CharField(_("who"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=100)
    partnership_code = models.CharField(_("partnership"), max_length=36, blank=True, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_code = models.CharField(_("target"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=300, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique")]
        indexes = [models.Index(fields=["partnership_code", "-occurred_at"], name="audit_partnership_time")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action}"

    def hashed_fields(self) -> dict:
        fields = {name: getattr(self, name) for name in HASHED_FIELDS}
        fields["occurred_at"] = self.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
        return fields

    def chain_fields(self) -> dict:
        """The hashed fields plus ``code`` and ``hash``: what an export carries and verify() reads."""
        return {**self.hashed_fields(), "code": str(self.code), "hash": self.hash}
