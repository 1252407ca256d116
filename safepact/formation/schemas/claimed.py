"""API schemas of the CLAIMED journey."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from ninja import Field, Schema

from safepact.accounts.schemas import InputSchema, text

StateValue = Literal["done", "in_progress", "open", "not_applicable"]


class DecisionOut(Schema):
    reason: str
    decided_by: str = Field(description="Name of the coordinator who marked the step not applicable.")
    decided_by_code: UUID
    decided_at: datetime


class StepOut(Schema):
    step: str = Field(description="clarify, locate, alert, inform, motivate, empower or direct.")
    letter: str
    name: str
    title: str
    state: StateValue  # type: ignore[valid-type]
    state_label: str
    derived_state: StateValue = Field(
        description="The state from the data alone, before a not-applicable decision."
    )  # type: ignore[valid-type]
    rule: str = Field(description="How the state is worked out.")
    evidence: list[str]
    open_items: list[str]
    link: str = Field(description="Path of the page that does this step.")
    link_label: str
    decision: DecisionOut | None = Field(
        None, description="Set when a coordinator marked the step not applicable."
    )

    @staticmethod
    def resolve_link(obj) -> str:
        return obj.link_url

    @staticmethod
    def resolve_decision(obj):
        d = obj.decision
        if d is None:
            return None
        return {
            "reason": d.reason,
            "decided_by": str(d.decided_by),
            "decided_by_code": d.decided_by.code,
            "decided_at": d.decided_at,
        }


class StepDecisionIn(InputSchema):
    not_applicable: bool = Field(
        description="true: the step does not apply (reason required); false: reopen it."
    )
    reason: text(2000) = ""  # type: ignore[valid-type]
