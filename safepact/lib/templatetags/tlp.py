"""``{% load tlp %}{% tlp_badge item.tlp %}``: the TLP label as text, never colour only."""

from django import template

from safepact.lib.tlp import TLP

register = template.Library()


@register.inclusion_tag("lib/tlp_badge.html")
def tlp_badge(label, describe: bool = False) -> dict:
    """Render a label; ``describe=True`` adds its description in words after the badge."""
    try:
        tlp = TLP(label)
    except ValueError:
        return {"tlp": None}
    return {"tlp": tlp, "describe": describe}
