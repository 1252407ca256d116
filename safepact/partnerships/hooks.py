"""Extension points for the apps above (floor 3), so partnerships never imports them.

Apps register in their ``AppConfig.ready``:

* ``on_partner_activated(fn)``: ``fn(*, partner, actor)`` runs inside the transaction in which a partner
  organisation becomes active (an accepted invitation, or a coordinator's status change). Formation uses
  it to move a candidate to "joined".
* ``register_section(label, url_name)``: a link on every partnership's overview page to a section an app
  adds (e.g. the formation journey); ``url_name`` takes the partnership code as its only argument.
* ``register_attention(fn)``: ``fn(*, user, memberships)`` returns ``{partnership_id: [AttentionItem]}``
  for the dashboard's "needs your attention" list. ``memberships`` are the user's active memberships
  (with ``partner__partnership`` loaded); a provider must use a fixed number of queries for all of them.
* ``register_organisation_source(fn)``: ``fn(user)`` returns a queryset of the ids (one column) of extra
  organisations ``user`` may see and add to a partnership, besides their own and their partnerships'
  partners. Formation registers the organisations with a published directory profile.
  ``selectors.organisations_visible_to`` adds each source as one subquery.
* ``register_notice(fn)``: ``fn(*, user, partnership)`` returns a list of ``Notice`` shown at the top of the
  partnership's overview page: a state other apps give the partnership (e.g. "its covenant expired").
  One or two queries per provider.
* ``register_dashboard_panel(fn)``: ``fn(*, user, memberships)`` returns a list of ``Panel`` (a template
  name and its context) shown on the dashboard below the partnership cards, e.g. the continuity of every
  partnership the person coordinates, side by side. Query-constant over all ``memberships``.
* ``register_demo(fn)``: ``fn(demo)`` adds an app's part to ``manage.py demo``. It runs before the
  foundation's story and schedules its steps on the demo's timeline with ``demo.schedule(days_ago,
  step)``, so they interleave in time with the foundation's and every audit chain reads forward. ``demo``
  is the command's ``Demo`` helper: the partnerships, organisations and people by key, and the frozen clock.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class AttentionItem:
    text: str
    url: str


@dataclass(frozen=True)
class Notice:
    level: str  # "warning" | "error" | "info"
    text: str
    url: str = ""
    link_text: str = ""


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict


@dataclass(frozen=True)
class Section:
    label: str
    url_name: str


_sections: list[Section] = []
_partner_activated: list[Callable] = []
_attention: list[Callable] = []
_organisation_sources: list[Callable] = []
_demo_extensions: list[Callable] = []
_notices: list[Callable] = []
_panels: list[Callable] = []


def on_partner_activated(fn: Callable) -> Callable:
    if fn not in _partner_activated:
        _partner_activated.append(fn)
    return fn


def register_section(label, url_name: str) -> None:
    if all(section.url_name != url_name for section in _sections):
        _sections.append(Section(label, url_name))


def sections() -> list[Section]:
    return list(_sections)


def register_attention(fn: Callable) -> Callable:
    if fn not in _attention:
        _attention.append(fn)
    return fn


def partner_activated(*, partner, actor) -> None:
    for fn in _partner_activated:
        fn(partner=partner, actor=actor)


def attention_for(*, user, memberships) -> dict[int, list[AttentionItem]]:
    items: dict[int, list[AttentionItem]] = {}
    for fn in _attention:
        for partnership_id, found in fn(user=user, memberships=memberships).items():
            items.setdefault(partnership_id, []).extend(found)
    return items


def register_organisation_source(fn: Callable) -> Callable:
    if fn not in _organisation_sources:
        _organisation_sources.append(fn)
    return fn


def organisation_sources(user) -> list:
    """The extra organisation-id querysets registered sources give for ``user``."""
    return [fn(user) for fn in _organisation_sources]


def register_demo(fn: Callable) -> Callable:
    if fn not in _demo_extensions:
        _demo_extensions.append(fn)
    return fn


def demo_extensions() -> list[Callable]:
    """The registered parts of ``manage.py demo``, in the order the apps registered them."""
    return list(_demo_extensions)


def register_notice(fn: Callable) -> Callable:
    if fn not in _notices:
        _notices.append(fn)
    return fn


def notices_for(*, user, partnership) -> list[Notice]:
    found: list[Notice] = []
    for fn in _notices:
        found.extend(fn(user=user, partnership=partnership))
    return found


def register_dashboard_panel(fn: Callable) -> Callable:
    if fn not in _panels:
        _panels.append(fn)
    return fn


def dashboard_panels(*, user, memberships) -> list[Panel]:
    found: list[Panel] = []
    for fn in _panels:
        found.extend(fn(user=user, memberships=memberships))
    return found
