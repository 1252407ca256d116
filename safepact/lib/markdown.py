"""Markdown to safe HTML: CommonMark (with tables) by markdown-it-py, raw HTML off, then nh3's allow-list.

Two layers on purpose: the parser never passes raw HTML through, and nh3 removes anything the parser
could still produce that is not on the list (``javascript:`` links, event attributes).
"""

import nh3
from markdown_it import MarkdownIt

_parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

TAGS = {
    "a", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "li", "ol", "p", "pre",
    "strong", "table", "tbody", "td", "th", "thead", "tr", "ul", "del", "s",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "th": {"style"}, "td": {"style"}, "ol": {"start"}}


def render(text: str, *, heading_offset: int = 0) -> str:
    """Sanitised HTML of ``text``. ``heading_offset`` demotes headings (1 turns ``#`` into ``<h2>``)."""
    html = _parser.render(text or "")
    if heading_offset:
        for level in range(6, 0, -1):
            new = min(level + heading_offset, 6)
            html = html.replace(f"<h{level}>", f"<h{new}>").replace(f"</h{level}>", f"</h{new}>")
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )
