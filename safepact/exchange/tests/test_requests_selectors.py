"""Reading information requests: the boxes of the list, the access helper (404 for whatever a person may not
see), what waits for my organisation, and the dashboard's attention items (query-constant)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from safepact.exchange import selectors, services
from safepact.exchange.selectors.requests import request_attention
from safepact.exchange.tests.request_factories import (
    NOW,
    fill_assessment,
    make_cast,
    make_request,
    sent_request,
)
from safepact.lib import clock
from safepact.partnerships.hooks import attention_for
from safepact.partnerships.selectors import active_memberships

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def cast(world):
    return make_cast(world, second_coordinator=True)


def listed(user, world, box="all") -> set[str]:
    return set(
        selectors.request_list(user=user, partnership=world.partnership_a, box=box).values_list(
            "title", flat=True
        )
    )


@pytest.fixture
def requests(world, cast):
    """Three sent requests and a draft: police asks city and dealer (AMBER); police asks the garage only
    (AMBER); the city asks the dealer (GREEN); a draft of the police (AMBER)."""
    return {
        "both": sent_request(world, cast, title="Both"),
        "garage": sent_request(world, cast, title="Garage only", partners=[cast.garage_partner]),
        "city": sent_request(
            world, cast, title="From the city", actor=world.member, tlp="green", partners=[cast.shop]
        ),
        "draft": make_request(world, cast, title="Draft"),
    }


def test_the_boxes_of_the_list(world, cast, requests):
    assert listed(world.coordinator, world) == {"Both", "Garage only", "From the city", "Draft"}
    assert listed(world.coordinator, world, "sent") == {"Both", "Garage only", "Draft"}
    assert listed(world.coordinator, world, "received") == set()
    assert listed(world.member, world) == {"Both", "From the city"}
    assert listed(world.member, world, "sent") == {"From the city"}
    assert listed(world.member, world, "received") == {"Both"}
    assert listed(world.member, world, "mine") == {"From the city"}
    assert listed(cast.dealer, world, "received") == {"Both", "From the city"}
    assert listed(world.viewer, world) == {"Both", "From the city"}
    assert listed(cast.garage, world) == {"Garage only", "From the city"}
    # a coordinator of another organisation sees a draft only where the label lets them
    assert listed(cast.coordinator2, world) == {"Both", "From the city", "Draft"}
    assert listed(world.outsider, world) == set()
    assert listed(world.coordinator_b, world) == set()
    with pytest.raises(ValidationError) as error:
        listed(world.member, world, "archive")
    assert "box" in error.value.message_dict


def test_the_access_helper_gives_404_for_anything_not_visible(world, cast, requests):
    code = world.partnership_a.code
    both = requests["both"]
    for reader in (world.coordinator, world.member, cast.dealer, world.viewer):
        found = selectors.get_request_for_user(reader, code, both.code)
        assert found == both and found.partnership.membership.user == reader
    for stranger in (cast.garage, world.outsider, world.coordinator_b):
        with pytest.raises(Http404):
            selectors.get_request_for_user(stranger, code, both.code)
    with pytest.raises(Http404):  # a request of partnership A asked for under partnership B
        selectors.get_request_for_user(world.coordinator_b, world.partnership_b.code, both.code)
    with pytest.raises(Http404):
        selectors.get_request_for_user(world.coordinator, code, "nonsense")


def test_what_waits_for_my_organisation(world, cast, requests):
    a = world.partnership_a
    assert list(selectors.requests_needing_me(user=world.member, partnership=a)) == [requests["both"]]
    assert set(selectors.requests_needing_me(user=cast.dealer, partnership=a)) == {
        requests["both"],
        requests["city"],
    }
    assert not selectors.requests_needing_me(user=world.viewer, partnership=a).exists()  # cannot answer
    assert not selectors.requests_needing_me(user=world.outsider, partnership=a).exists()
    services.request_answer(actor=world.member, request=requests["both"], text="Jan Jansen.")
    assert not selectors.requests_needing_me(user=world.member, partnership=a).exists()
    assert selectors.my_recipient(user=world.member, request=requests["both"]).status == "answered"
    assert selectors.my_recipient(user=world.coordinator, request=requests["both"]) is None


def _attention(user):
    memberships = list(active_memberships(user).select_related("partner__partnership"))
    return request_attention(user=user, memberships=memberships)


def test_the_dashboard_lists_requests_to_answer_and_assessments_to_decide(world, cast, requests):
    a = world.partnership_a
    items = _attention(cast.dealer)[a.pk]
    assert len(items) == 2 and all("waits for your organisation's answer" in item.text for item in items)
    assert {item.url for item in items} == {
        f"/p/{a.code}/exchange/requests/{requests['both'].code}/",
        f"/p/{a.code}/exchange/requests/{requests['city'].code}/",
    }
    assert _attention(world.viewer) == {}
    assert _attention(world.outsider) == {}
    flow = services.assessment_create(actor=world.member, partnership=a, title="Camera images")
    fill_assessment(flow, world.member)
    services.assessment_submit(actor=world.member, assessment=flow)
    texts = [item.text for item in _attention(world.coordinator)[a.pk]]
    assert texts == ["The Five Safes assessment “Camera images” waits for your decision."]
    assert not any("Camera" in item.text for item in _attention(world.member).get(a.pk, []))
    # registered with the partnerships app
    assert any(
        "Camera images" in item.text
        for item in attention_for(
            user=world.coordinator,
            memberships=list(active_memberships(world.coordinator).select_related("partner__partnership")),
        )[a.pk]
    )


def test_the_attention_items_take_the_same_queries_for_more_requests(world, cast):
    sent_request(world, cast, title="First")
    memberships = list(active_memberships(cast.coordinator2).select_related("partner__partnership"))
    with CaptureQueriesContext(connection) as first:
        request_attention(user=cast.coordinator2, memberships=memberships)
    for number in range(3):
        sent_request(world, cast, title=f"More {number}")
    flow = services.assessment_create(actor=world.member, partnership=world.partnership_a, title="Flow")
    fill_assessment(flow, world.member)
    services.assessment_submit(actor=world.member, assessment=flow)
    with CaptureQueriesContext(connection) as second:
        items = request_attention(user=cast.coordinator2, memberships=memberships)
    assert len(items[world.partnership_a.pk]) == 5
    assert len(second.captured_queries) == len(first.captured_queries) <= 3
