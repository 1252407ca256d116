"""Server-rendered SVG pictures: accessible (``<title>``, ``<desc>``, ``role="img"``), testable by
their nodes, no JavaScript. Build a picture from plain elements; every text is escaped.

    picture = Svg(width=400, height=200, title=_("Alignment"), desc=_("Partners x objectives ..."))
    picture.rect(10, 10, 50, 20, fill="#0b4f8a", **{"data-partner": code})
    picture.text(15, 25, "Malmö stad", css_class="label")
    html = picture.render()      # safe string for templates; also served as image/svg+xml
"""

import itertools
from xml.sax.saxutils import escape, quoteattr

from django.utils.safestring import SafeString, mark_safe

# Palette with WCAG AA contrast against white for text and >= 3:1 for shapes.
COLOURS = {
    "text": "#1b1f24",
    "muted": "#4a5360",
    "brand": "#0b4f8a",
    "ok": "#1e6b32",
    "warn": "#8a4b00",
    "danger": "#a4161a",
    "line": "#6b7480",
    "surface": "#f4f6f8",
}


_ids = itertools.count(1)


def _attrs(attrs: dict) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        name = "class" if key == "css_class" else key.replace("_", "-") if not key.startswith("data") else key
        parts.append(f" {name}={quoteattr(str(value))}")
    return "".join(parts)


class Svg:
    def __init__(
        self, *, width: float, height: float, title: str, desc: str = "", css_class: str = "picture"
    ):
        self.width, self.height = width, height
        self.title, self.desc, self.css_class = str(title), str(desc), css_class
        self._body: list[str] = []
        self._id = next(_ids)  # unique per process, so several pictures on one page never share ids

    def add(self, tag: str, text: str | None = None, **attrs) -> None:
        if text is None:
            self._body.append(f"<{tag}{_attrs(attrs)}/>")
        else:
            self._body.append(f"<{tag}{_attrs(attrs)}>{escape(str(text))}</{tag}>")

    def rect(self, x, y, w, h, **attrs) -> None:
        self.add("rect", x=x, y=y, width=w, height=h, **attrs)

    def line(self, x1, y1, x2, y2, **attrs) -> None:
        self.add("line", x1=x1, y1=y1, x2=x2, y2=y2, **attrs)

    def circle(self, cx, cy, r, **attrs) -> None:
        self.add("circle", cx=cx, cy=cy, r=r, **attrs)

    def polyline(self, points: list[tuple[float, float]], **attrs) -> None:
        self.add("polyline", points=" ".join(f"{x:g},{y:g}" for x, y in points), **attrs)

    def text(self, x, y, content, **attrs) -> None:
        self.add("text", content, x=x, y=y, **attrs)

    def group_start(self, **attrs) -> None:
        self._body.append(f"<g{_attrs(attrs)}>")

    def group_end(self) -> None:
        self._body.append("</g>")

    def titled(self, tooltip: str) -> None:
        """A ``<title>`` for the element group just opened (a tooltip and an accessible name)."""
        self._body.append(f"<title>{escape(str(tooltip))}</title>")

    def render(self) -> SafeString:
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {self.width:g} {self.height:g}" '
            f'width="{self.width:g}" height="{self.height:g}" role="img" class={quoteattr(self.css_class)} '
            f'aria-labelledby="svg-title-{self._id} svg-desc-{self._id}" '
            f'font-family="system-ui, sans-serif" font-size="13">'
            f'<title id="svg-title-{self._id}">{escape(self.title)}</title>'
            f'<desc id="svg-desc-{self._id}">{escape(self.desc)}</desc>'
        )
        return mark_safe(head + "".join(self._body) + "</svg>")  # noqa: S308 - every part is escaped above
