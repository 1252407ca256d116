"""URL patterns as a tree, so that resolving a path tries a handful of patterns instead of every one.

Django tries a list of patterns one by one. The API alone has over 200 (one per path, 206 of them under
``partnerships/<uuid:code>/``), so a request for one of the last ones matched some 200 regular expressions
first: about a sixth of the CPU time of a registry check over HTTP. ``tree`` nests patterns that share
their first path segment under one ``include`` (and so on, segment by segment), which resolves the same
paths to the same views, names and arguments.

Order is kept where it matters: Django takes the first pattern that matches, and a pattern moves ahead of
the patterns between it and its group only when none of those could match the same paths (their first
segments are different literal text, or none of them holds a converter).
"""

from __future__ import annotations

from django.urls import URLPattern, include, path
from django.urls.resolvers import RoutePattern

#: Groups smaller than this stay flat: nesting costs a resolver of its own.
MIN_GROUP = 3


def _route(pattern: URLPattern) -> str | None:
    """The route of a ``path()`` pattern, or None for anything else (``re_path``, resolvers)."""
    if isinstance(pattern, URLPattern) and isinstance(pattern.pattern, RoutePattern):
        return str(pattern.pattern)
    return None


def _head(route: str) -> str | None:
    """The first segment with its slash (``"partnerships/"``), or None for a route of one segment."""
    segment, slash, _rest = route.partition("/")
    return segment + slash if slash else None


def _overlaps(a: str | None, b: str | None) -> bool:
    """Could a path's first segment match both heads? Only literal heads (no converter) that differ are
    known apart; a pattern of one segment (None) never starts a group's paths."""
    if a is None or b is None:
        return False
    if a == b:
        return True
    return "<" in a or "<" in b


def tree(patterns: list) -> list:
    """``patterns`` with the ``path()`` patterns that share a first segment nested under one ``include``,
    recursively. Anything else (``re_path``, includes) is kept in place and ends any group it might match."""
    groups: list[tuple[str | None, list]] = []  # (head, patterns); head None: kept as it is
    open_heads: dict[str, int] = {}  # head -> index in groups that may still take patterns
    for pattern in patterns:
        route = _route(pattern)
        head = _head(route) if route is not None else None
        if route is None or "<path:" in (head or route) or (head is None and "<" in route):
            # A pattern that may match paths of any first segment (re_path, includes, a converter
            # spanning slashes, a one-segment converter): nothing moves past it.
            open_heads.clear()
            groups.append((None, [pattern]))
            continue
        if head is None:
            groups.append((None, [pattern]))
            continue
        index = open_heads.get(head)
        if index is None:
            groups.append((head, [pattern]))
            index = len(groups) - 1
        else:
            groups[index][1].append(pattern)
        # Groups whose head this pattern's could also match may not take later patterns past it.
        for other in [h for h in open_heads if h != head and _overlaps(h, head)]:
            del open_heads[other]
        open_heads[head] = index
    out: list = []
    for head, members in groups:
        if head is None or len(members) < MIN_GROUP:
            out += members
            continue
        inner = [
            path(_route(member)[len(head) :], member.callback, member.default_args, member.name)
            for member in members
        ]
        out.append(path(head, include(tree(inner))))
    return out
