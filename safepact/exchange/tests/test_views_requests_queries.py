"""Query counts of the list pages stay constant: the requests list and the data-sharing register answer in
the same number of queries for a few items as for many."""

import pytest
from django.urls import reverse

from safepact.exchange import services
from safepact.exchange.tests.factories import media_root  # noqa: F401 - fixture
from safepact.exchange.tests.register_factories import make_assessment, make_flow, partner
from safepact.exchange.tests.request_factories import NOW, make_cast, make_request, sent_request
from safepact.lib import clock

pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def url(world, name):
    return reverse(f"exchange:{name}", args=[world.partnership_a.code])


def _count(client, address, django_assert_max_num_queries, limit=40) -> int:
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_requests_list_queries_do_not_grow(client, world, django_assert_max_num_queries):
    cast = make_cast(world)
    sent_request(world, cast, title="First")
    make_request(world, cast, title="Draft")
    client.force_login(world.coordinator)
    few = _count(client, url(world, "requests"), django_assert_max_num_queries)
    few_sent = _count(client, url(world, "requests") + "?box=sent&status=sent", django_assert_max_num_queries)
    for n in range(12):
        request = sent_request(
            world,
            cast,
            title=f"Request {n}",
            partners=[cast.city, cast.shop, cast.garage_partner],
            tlp=("green", "amber", "amber+strict")[n % 3],
        )
        if n % 2:
            services.request_answer(actor=world.member, request=request, text="Known.")
    make_request(world, cast, actor=world.member, partners=[cast.police], title="City asks")
    with django_assert_max_num_queries(few):
        page = client.get(url(world, "requests"))
    assert len(page.context["page"].object_list) == 15  # coordinators also see the city's draft
    with django_assert_max_num_queries(few_sent):
        client.get(url(world, "requests") + "?box=sent&status=sent")
    # The same for a member of an addressed organisation.
    client.force_login(world.member)
    member_few = _count(client, url(world, "requests") + "?box=received", django_assert_max_num_queries)
    sent_request(world, cast, title="One more", partners=[cast.city])
    with django_assert_max_num_queries(member_few):
        client.get(url(world, "requests") + "?box=received")


def test_register_list_queries_do_not_grow(client, world, django_assert_max_num_queries):
    a = world.partnership_a
    make_flow(world, title="Flow 0")
    client.force_login(world.member)
    few = _count(client, url(world, "register"), django_assert_max_num_queries)
    assessment = make_assessment(a, world.coordinator, status="approved")
    for n in range(1, 15):
        make_flow(
            world,
            title=f"Flow {n}",
            assessment=assessment if n % 2 else None,
            parties=[
                (partner(a, world.org_police_a), "joint_controller", "asks"),
                (partner(a, world.org_city_a), "joint_controller", "provides"),
                (partner(a, world.org_shop_a), "processor", "stores"),
            ],
        )
    with django_assert_max_num_queries(few):
        page = client.get(url(world, "register"))
    assert len(page.context["flows"]) == 15
    assert page.content.decode().count("Processor") >= 14


def test_assessments_list_queries_do_not_grow(client, world, django_assert_max_num_queries):
    a = world.partnership_a
    make_assessment(a, world.member)
    client.force_login(world.coordinator)
    few = _count(client, url(world, "assessments"), django_assert_max_num_queries)
    for n in range(10):
        make_assessment(a, world.member if n % 2 else world.coordinator, title=f"Assessment {n}")
    with django_assert_max_num_queries(few):
        page = client.get(url(world, "assessments"))
    assert len(page.context["assessments"]) == 11
