"""API schemas for the audit trail: every hashed field, so a reader can verify the chain."""

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema


class AuditEventOut(Schema):
    """One event, exactly as hashed (``occurred_at`` in UTC, microseconds), with its own and previous hash."""

    code: str
    chain: str
    seq: int
    occurred_at: str = Field(description="UTC, ISO 8601 with microseconds: the form that is hashed.")
    actor_code: str
    actor_label: str
    action: str
    partnership_code: str
    target_type: str
    target_code: str
    target_label: str
    before: Any = None
    after: Any = None
    reason: str
    ip: str
    prev_hash: str
    hash: str

    @staticmethod
    def resolve_code(obj) -> str:
        return str(obj.code)

    @staticmethod
    def resolve_occurred_at(obj) -> str:
        return obj.hashed_fields()["occurred_at"]


class AuditFilter(Schema):
    action: str | None = Field(
        None,
        max_length=100,
        description='An action ("partnerships.member.role_changed") or, ending in a dot, '
        'a prefix ("partnerships.member.").',
    )
    since: datetime | None = Field(None, description="Events at or after this moment (ISO 8601).")
    until: datetime | None = Field(None, description="Events before this moment (ISO 8601).")


class ChainHead(Schema):
    seq: int
    hash: str


class AuditExportOut(Schema):
    """The whole trail, oldest first; ``python safepact/audit/chain.py export.json`` verifies it offline."""

    format: Literal["safepact-audit-trail"]
    version: int
    partnership: str
    exported_at: str
    head: ChainHead = Field(description="The last event in the file: a shorter file is a truncated one.")
    verify: str
    events: list[AuditEventOut]


class ExportParams(Schema):
    format: Literal["json", "csv"] = Field("json", description="json (default) or csv.")
