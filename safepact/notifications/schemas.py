"""API schemas of notifications. A restricted item's text (TLP:AMBER, TLP:AMBER+STRICT, TLP:RED) is not
repeated here: ``body`` is empty and ``body_withheld`` true; open the item (``url``) to read it."""

from datetime import datetime
from uuid import UUID

from ninja import Field, Schema

from safepact.accounts.schemas import InputSchema, choice_of
from safepact.lib.tlp import TLP
from safepact.notifications.emails import is_restricted
from safepact.notifications.models import EmailMode

EmailModeValue = choice_of(EmailMode)


class NotificationOut(Schema):
    code: UUID
    kind: str = Field(description="What it is about, e.g. meetings.invited.")
    title: str
    body: str = Field(description="Empty for restricted items (see body_withheld).")
    body_withheld: bool = Field(description="True for TLP:AMBER, TLP:AMBER+STRICT and TLP:RED items.")
    url: str = Field(description="Path of the item inside SafePact (may be empty).")
    tlp: str
    tlp_label: str
    partnership: UUID | None = Field(description="Code of the partnership it belongs to, if any.")
    partnership_name: str
    created_at: datetime
    read_at: datetime | None
    unread: bool

    @staticmethod
    def resolve_body(obj) -> str:
        return "" if is_restricted(obj) else obj.body

    @staticmethod
    def resolve_body_withheld(obj) -> bool:
        return is_restricted(obj)

    @staticmethod
    def resolve_tlp_label(obj) -> str:
        return str(TLP(obj.tlp).label)

    @staticmethod
    def resolve_partnership(obj) -> UUID | None:
        return obj.partnership.code if obj.partnership_id else None

    @staticmethod
    def resolve_partnership_name(obj) -> str:
        return obj.partnership.name if obj.partnership_id else ""

    @staticmethod
    def resolve_unread(obj) -> bool:
        return obj.read_at is None


class ReadAllOut(Schema):
    marked_read: int


class SettingOut(Schema):
    email_mode: str = Field(description="immediate, digest or none.")
    email_mode_label: str

    @staticmethod
    def resolve_email_mode_label(obj) -> str:
        return str(EmailMode(obj.email_mode).label)


class SettingIn(InputSchema):
    email_mode: EmailModeValue  # type: ignore[valid-type]
