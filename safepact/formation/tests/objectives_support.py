"""Helpers for the objectives and Austin tests (not a test module)."""

import re
import xml.etree.ElementTree as ET

from conftest import make_org
from safepact.formation.services.objectives import commitment_add, objective_create
from safepact.partnerships.services import partner_add

NS = {"svg": "http://www.w3.org/2000/svg"}


def add_objectives(world, n, *, start=1, partnership=None):
    partnership = partnership or world.partnership_a
    return [
        objective_create(
            actor=world.coordinator,
            partnership=partnership,
            title=f"Objective {i}",
            indicator=f"Indicator {i}",
        )
        for i in range(start, start + n)
    ]


def add_partners(world, n):
    """``n`` extra active partners of A (organisations of the coordinator)."""
    return [
        partner_add(
            actor=world.coordinator,
            partnership=world.partnership_a,
            organisation=make_org(world.coordinator, f"Partner org {i:02d}", "business", "SE"),
            status="active",
        )
        for i in range(n)
    ]


def commit(world, objective, partner, note=""):
    return commitment_add(actor=world.coordinator, objective=objective, partner=partner, note=note)


def svgs(html: str) -> list:
    """Every inline ``<svg>`` of a page, parsed."""
    return [ET.fromstring(m) for m in re.findall(r"<svg\b.*?</svg>", html, flags=re.S)]


def svg_with_class(html: str, css_class: str):
    for root in svgs(html):
        if css_class in (root.get("class") or "").split():
            return root
    raise AssertionError(f"no <svg class={css_class}> in the page")
