"""Presentation helpers of the trail page: ``{% load audit_trail %}``."""

from django import template

from safepact.audit import selectors

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return selectors.action_label(action)


@register.filter
def changes(event) -> list[dict]:
    return selectors.changes(event.before, event.after)
