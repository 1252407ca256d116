"""``lib.urls.tree`` nests URL patterns by path segment: every path must resolve exactly as before."""

import re
import uuid

import pytest
from django.urls import URLResolver, path, re_path
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern

from safepact.api import api
from safepact.lib.urls import tree

SAMPLES = {"uuid": str(uuid.UUID(int=7)), "int": "42", "str": "abc", "slug": "a-b", "path": "x/y"}


def sample_path(route: str) -> str:
    def value(match):
        converter = match.group(1) or "str"
        return SAMPLES[converter]

    return re.sub(r"<(?:(\w+):)?\w+>", value, route)


def resolver(patterns) -> URLResolver:
    return URLResolver(RegexPattern(r"^/"), patterns)


def outcome(res, url):
    try:
        match = res.resolve(url)
    except Resolver404:
        return None
    return (match.func, match.url_name, match.kwargs, match.args)


def test_every_api_path_resolves_to_the_same_view_name_and_arguments():
    flat = api.urls[0]
    nested = tree(flat)
    assert len(nested) < len(flat) / 4  # nested indeed
    flat_res, nested_res = resolver(flat), resolver(nested)
    urls = {"/" + sample_path(str(p.pattern._route)) for p in flat}
    urls |= {url + "x" for url in urls} | {url.rstrip("/") for url in urls} | {"/partnerships/nope", "/nope"}
    assert len(urls) > 300
    for url in sorted(urls):
        assert outcome(nested_res, url) == outcome(flat_res, url), url


def view(name):
    def _view(request, **kwargs):
        return name

    _view.__name__ = name
    return _view


def names(patterns, url):
    got = outcome(resolver(patterns), url)
    return got and got[1]


def test_a_converter_in_between_keeps_the_order_of_patterns_it_could_match():
    patterns = [
        path("a/one", view("a1"), name="a1"),
        path("a/two", view("a2"), name="a2"),
        path("<str:any>/two", view("any2"), name="any2"),
        path("a/<str:x>", view("ax"), name="ax"),
        path("a/three", view("a3"), name="a3"),
        path("b/one", view("b1"), name="b1"),
        path("b/two", view("b2"), name="b2"),
        path("b/three", view("b3"), name="b3"),
    ]
    nested = tree(patterns)
    for url in ("/a/one", "/a/two", "/z/two", "/a/zz", "/a/three", "/b/three", "/b/two", "/c/one"):
        assert names(nested, url) == names(patterns, url), url
    assert names(nested, "/a/three") == "ax"  # "<str:x>" came first, and still does


@pytest.mark.parametrize(
    "odd",
    [
        re_path(r"^a/(?P<rest>.*)$", view("regex"), name="regex"),
        path("<path:rest>", view("anything"), name="anything"),
        path("<str:one>", view("one"), name="one"),
    ],
)
def test_a_pattern_that_may_match_anything_stops_patterns_moving_past_it(odd):
    patterns = [
        path("a/one", view("a1"), name="a1"),
        path("a/two", view("a2"), name="a2"),
        odd,
        path("a/three", view("a3"), name="a3"),
        path("a/four", view("a4"), name="a4"),
        path("a/five", view("a5"), name="a5"),
    ]
    nested = tree(patterns)
    for url in ("/a/one", "/a/three", "/a/five", "/a", "/zz", "/a/x/y"):
        assert names(nested, url) == names(patterns, url), url


def test_every_api_name_reverses_to_the_same_path():
    """Reversing a name (some names are used twice, so the order of patterns decides) gives what the flat
    list gave, and the site's own URLs (nested) agree."""
    from django.urls import reverse

    flat = api.urls[0]
    flat_res, nested_res = resolver(flat), resolver(tree(flat))
    checked = 0
    for pattern in flat:
        route = str(pattern.pattern._route)
        if not pattern.name:
            continue
        kwargs = {
            name: SAMPLES[converter or "str"] for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", route)
        }
        expected = flat_res.reverse(pattern.name, **kwargs)
        assert nested_res.reverse(pattern.name, **kwargs) == expected
        assert reverse(f"api:{pattern.name}", kwargs=kwargs) == "/api/v1/" + expected
        checked += 1
    assert checked > 150
