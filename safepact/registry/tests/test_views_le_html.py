"""The law-enforcement pages are accessible HTML: one h1 and no skipped heading level, a label for every
visible input, select and textarea, a scope on every table header and a caption on every table, and states
in words (a badge carries its label, never colour alone)."""

import itertools
import re

import pytest
from django.urls import reverse

from safepact.registry.tests.test_views_le_access import NAMES, Things, url_for

#: Pages that are not HTML (a download) or only answer to HTMX.
NOT_HTML = {"export"}
PAGES = [name for name in NAMES if name not in NOT_HTML]


@pytest.fixture
def things(reg):
    made = Things(reg)
    made.get("hit")
    made.get("overlap")
    return made


def assert_accessible(html: str, where: str) -> None:
    main = html.split('<main id="main"', 1)[1]
    headings = [int(level) for level in re.findall(r"<h([1-6])[\s>]", main)]
    assert headings and headings[0] == 1 and headings.count(1) == 1, (where, headings)
    assert all(b - a <= 1 for a, b in itertools.pairwise(headings)), (where, headings)
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", main):
        if re.search(r'type="(?:hidden|submit)"', tag):
            continue
        field_id = re.search(r'\sid="([^"]+)"', tag)
        assert field_id, (where, tag)
        assert f'for="{field_id.group(1)}"' in main, (where, field_id.group(1))
    for header in re.findall(r"<th\b[^>]*>", main):
        assert "scope=" in header, (where, header)
    assert main.count("<table") == main.count("<caption>"), where
    for badge in re.findall(r'<span class="badge[^"]*"[^>]*>([^<]*)</span>', main):
        assert badge.strip(), (where, "a state shown by colour only")


@pytest.mark.parametrize("name", PAGES)
def test_every_page_is_accessible(client_for, reg, things, name):
    response = client_for(reg.police).get(url_for(things, name))
    assert response.status_code == 200, name
    assert_accessible(response.content.decode(), name)


def test_filled_lists_and_results_are_accessible(client_for, reg, things):
    client = client_for(reg.police)
    code = reg.partnership.code
    for address in (
        reverse("registry:alerts", args=[code]) + "?q=5000",
        reverse("registry:search", args=[code]) + "?kind=hin&value=SEABC12345D405&max_distance=1",
        reverse("registry:search", args=[code]) + "?kind=&value=",
    ):
        response = client.get(address)
        assert_accessible(response.content.decode(), address)


def test_error_pages_are_accessible(client_for, reg, things):
    from safepact.registry.tests.le_factories import alert_form_data

    client = client_for(reg.police)
    rows = [{"kind": "hin", "value": "XYZ"}]
    response = client.post(
        reverse("registry:alert_new", args=[reg.partnership.code]), alert_form_data(rows=rows)
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert_accessible(html, "alert_new with errors")
    assert 'role="alert"' in html  # the error summary is announced
