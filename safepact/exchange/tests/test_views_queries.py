"""Query counts of the posts list, the documents list and the search page: the same for a few items as for
many (no query per row), whatever their labels and recipients."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safepact.exchange.tests.factories import make_document, make_post, media_root, upload  # noqa: F401

LABELS = [
    ("green", {}),
    ("amber", {"orgs": "city"}),
    ("amber+strict", {"orgs": "city"}),
    ("red", {"people": "member"}),
    ("clear", {}),
]


@pytest.fixture(autouse=True)
def _media(media_root):  # noqa: F811 - the fixture imported above
    return media_root


def queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured)


def _labelled(world, i):
    label, recipients = LABELS[i % len(LABELS)]
    extra = {}
    if recipients.get("orgs"):
        extra["orgs"] = [world.org_city_a, world.org_police_a]
    if recipients.get("people"):
        extra["people"] = [world.member, world.coordinator]
    return label, extra


def add_posts(world, start, n):
    for i in range(start, start + n):
        label, extra = _labelled(world, i)
        files = [upload(f"f{i}.pdf")] if i % 2 else []
        make_post(world, world.coordinator, tlp=label, title=f"Burglary report {i}", files=files, **extra)


def add_documents(world, start, n):
    for i in range(start, start + n):
        label, extra = _labelled(world, i)
        document = make_document(world, world.coordinator, tlp=label, title=f"Burglary map {i}", **extra)
        if i % 2:
            from safepact.exchange.services import document_version_add

            document_version_add(
                actor=world.coordinator, document=document, upload=upload("v2.pdf"), note="v2"
            )


@pytest.mark.parametrize("persona", ["member", "coordinator"])
def test_posts_list_queries_do_not_grow(client_for, world, persona, django_assert_max_num_queries):
    client = client_for(getattr(world, persona))
    url = reverse("exchange:posts", args=[world.partnership_a.code])
    add_posts(world, 0, 3)
    few = queries(client, url)
    add_posts(world, 3, 20)
    assert queries(client, url) == few
    assert queries(client, url, {"kind": "news"}) == few
    with django_assert_max_num_queries(15):
        client.get(url)


@pytest.mark.parametrize("persona", ["member", "coordinator"])
def test_documents_list_queries_do_not_grow(client_for, world, persona, django_assert_max_num_queries):
    client = client_for(getattr(world, persona))
    url = reverse("exchange:documents", args=[world.partnership_a.code])
    add_documents(world, 0, 3)
    few = queries(client, url)
    add_documents(world, 3, 15)
    assert queries(client, url) == few
    with django_assert_max_num_queries(15):
        client.get(url)


def test_search_page_queries_do_not_grow(client_for, world, django_assert_max_num_queries):
    client = client_for(world.member)
    url = reverse("exchange:search", args=[world.partnership_a.code])
    add_posts(world, 0, 2)
    add_documents(world, 0, 2)
    few = queries(client, url, {"q": "burglary"})
    add_posts(world, 2, 20)
    add_documents(world, 2, 10)
    many = queries(client, url, {"q": "burglary"})
    assert many == few
    assert queries(client, url, {"q": "burglary", "kinds": ["post", "document"], "offset": "20"}) == few
    with django_assert_max_num_queries(12):
        client.get(url, {"q": "burglary"})


def test_home_queries_do_not_grow(client_for, world):
    client = client_for(world.member)
    url = reverse("exchange:home", args=[world.partnership_a.code])
    add_posts(world, 0, 2)
    add_documents(world, 0, 2)
    few = queries(client, url)
    add_posts(world, 2, 10)
    add_documents(world, 2, 8)
    assert queries(client, url) == few
