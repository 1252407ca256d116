"""Changing a TLP label: who may, raising and lowering (a lowering needs a reason), recipients, audit,
visibility afterwards and search."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.exchange import search as search_module
from safepact.exchange.models import Post
from safepact.exchange.services import label_change
from safepact.exchange.tests.factories import (
    add_person,
    audit_events,
    make_document,
    make_post,
    media_root,  # noqa: F401 - fixture
)
from safepact.lib.tlp import TLP
from safepact.partnerships.tlp import may_see

pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def colleague(world):
    return add_person(world, "colleague@city.example", organisation=world.org_city_a)


def test_raising_needs_no_reason_and_narrows_the_audience(world):
    post = make_post(world, world.member, title="Engine serial")
    assert may_see(world.viewer, post)
    label_change(actor=world.member, item=post, tlp="amber", recipient_organisations=[world.org_police_a])
    post.refresh_from_db()
    assert post.tlp == TLP.AMBER
    assert set(post.recipient_organisations.all()) == {world.org_police_a, world.org_city_a}
    assert may_see(world.coordinator, post) and not may_see(world.viewer, post)
    (event,) = audit_events("exchange.post.relabelled")
    assert event.before == {"tlp": "green", "recipient_organisations": [], "recipient_people": []}
    assert event.after["tlp"] == "amber"
    assert sorted(event.after["recipient_organisations"]) == sorted(
        [str(world.org_police_a.code), str(world.org_city_a.code)]
    )
    assert "Engine" not in event.target_label


def test_lowering_needs_a_reason(world):
    post = make_post(world, world.member, tlp="red", people=[world.coordinator])
    with pytest.raises(ValidationError) as caught:
        label_change(actor=world.member, item=post, tlp="green")
    assert "reason" in caught.value.message_dict
    with pytest.raises(ValidationError):
        label_change(
            actor=world.member,
            item=post,
            tlp="amber",
            recipient_organisations=[world.org_police_a],
            reason="  ",
        )
    post.refresh_from_db()
    assert post.tlp == TLP.RED and audit_events("exchange.post.relabelled") == []

    label_change(actor=world.member, item=post, tlp="green", reason="The suspect has been arrested.")
    post.refresh_from_db()
    assert post.tlp == TLP.GREEN and not post.recipient_people.exists()
    (event,) = audit_events("exchange.post.relabelled")
    assert event.reason == "The suspect has been arrested."
    assert event.before["tlp"] == "red" and event.before["recipient_people"] == [str(world.coordinator.code)]
    assert event.after == {"tlp": "green", "recipient_organisations": [], "recipient_people": []}
    assert may_see(world.viewer, post)


def test_amber_strict_to_amber_is_a_lowering(world):
    post = make_post(world, world.member, tlp="amber+strict", orgs=[world.org_police_a])
    with pytest.raises(ValidationError) as caught:
        label_change(actor=world.member, item=post, tlp="amber")
    assert "reason" in caught.value.message_dict
    label_change(actor=world.member, item=post, tlp="amber", reason="May go to clients")
    post.refresh_from_db()
    # Recipients not given: kept.
    assert post.tlp == "amber"
    assert set(post.recipient_organisations.all()) == {world.org_police_a, world.org_city_a}


def test_coordinator_may_relabel_others_may_not(world, colleague):
    post = make_post(world, world.member)
    with pytest.raises(PermissionDenied):
        label_change(actor=colleague, item=post, tlp="amber", recipient_organisations=[world.org_city_a])
    with pytest.raises(PermissionDenied):
        label_change(actor=world.viewer, item=post, tlp="amber", recipient_organisations=[world.org_city_a])
    with pytest.raises(Http404):
        label_change(actor=world.outsider, item=post, tlp="amber", recipient_organisations=[world.org_city_a])
    with pytest.raises(Http404):
        label_change(actor=world.coordinator_b, item=post, tlp="red", recipient_people=[world.member])
    label_change(
        actor=world.coordinator, item=post, tlp="red", recipient_people=[world.member, world.coordinator]
    )
    post.refresh_from_db()
    assert post.tlp == "red"
    assert set(post.recipient_people.all()) == {world.member, world.coordinator}


def test_coordinator_who_may_not_see_the_item_gets_404(world):
    post = make_post(world, world.member, tlp="red", people=[world.member])
    with pytest.raises(Http404):
        label_change(actor=world.coordinator, item=post, tlp="green", reason="because")


def test_relabel_must_keep_the_actor_able_to_see_it(world):
    post = make_post(world, world.member)
    with pytest.raises(ValidationError) as caught:
        label_change(actor=world.coordinator, item=post, tlp="red", recipient_people=[world.member])
    assert "tlp" in caught.value.message_dict
    post.refresh_from_db()
    assert post.tlp == "green"


def test_recipient_rules_apply_to_a_new_label(world):
    post = make_post(world, world.member)
    with pytest.raises(ValidationError) as caught:
        label_change(actor=world.member, item=post, tlp="amber")
    assert "recipient_organisations" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        label_change(actor=world.member, item=post, tlp="red", recipient_people=[world.outsider])
    assert "recipient_people" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        label_change(actor=world.member, item=post, tlp="black")
    assert "tlp" in caught.value.message_dict


def test_same_label_and_recipients_records_nothing(world):
    post = make_post(world, world.member, tlp="amber", orgs=[world.org_police_a])
    label_change(actor=world.member, item=post, tlp="amber")
    assert audit_events("exchange.post.relabelled") == []


def test_widening_recipients_at_the_same_label_is_audited(world):
    post = make_post(world, world.member, tlp="amber", orgs=[world.org_police_a])
    label_change(
        actor=world.member,
        item=post,
        tlp="amber",
        recipient_organisations=[world.org_police_a, world.org_shop_a],
    )
    assert may_see(world.viewer, Post.objects.get(pk=post.pk))
    (event,) = audit_events("exchange.post.relabelled")
    assert str(world.org_shop_a.code) in event.after["recipient_organisations"]


def test_document_relabel(world):
    document = make_document(world, world.member, tlp="green", title="Plan")
    label_change(
        actor=world.member, item=document, tlp="amber+strict", recipient_organisations=[world.org_police_a]
    )
    document.refresh_from_db()
    assert document.tlp == "amber+strict"
    assert audit_events("exchange.document.relabelled")[0].after["tlp"] == "amber+strict"
    assert not may_see(world.viewer, document)


def test_search_follows_the_new_label(world):
    post = make_post(world, world.member, title="Stolen catamaran")
    assert [r.title for r in search_module.search(user=world.viewer, query="catamaran").results] == [
        "Stolen catamaran"
    ]
    label_change(actor=world.member, item=post, tlp="amber", recipient_organisations=[world.org_police_a])
    assert search_module.search(user=world.viewer, query="catamaran").results == []
    assert len(search_module.search(user=world.coordinator, query="catamaran").results) == 1


def test_label_change_refuses_other_kinds(world):
    with pytest.raises(TypeError):
        label_change(actor=world.member, item=world.partnership_a, tlp="green")


def test_information_request_relabel(world):
    """Requests are relabelled by their requester or a coordinator (the REQUESTS part owns their services;
    the row is made directly here)."""
    from datetime import date

    from safepact.exchange.models import InformationRequest, RequestRecipient
    from safepact.partnerships.models import Partner

    request = InformationRequest.objects.create(
        partnership=world.partnership_a,
        requester_partner=Partner.objects.get(partnership=world.partnership_a, organisation=world.org_city_a),
        title="Last owner of engine 4711",
        question="q",
        purpose="p",
        legal_basis="public_task",
        deadline=date(2030, 1, 1),
        tlp="amber",
        created_by=world.member,
    )
    RequestRecipient.objects.create(
        request=request,
        partner=Partner.objects.get(partnership=world.partnership_a, organisation=world.org_police_a),
    )
    request.recipient_organisations.set([world.org_city_a, world.org_police_a])
    with pytest.raises(PermissionDenied):
        label_change(actor=world.viewer, item=request, tlp="red", recipient_people=[world.member])
    label_change(
        actor=world.member, item=request, tlp="red", recipient_people=[world.coordinator, world.member]
    )
    request.refresh_from_db()
    # the organisations stay in step with the asking and the asked ones (they matter again if it is lowered)
    assert request.tlp == "red"
    assert set(request.recipient_organisations.all()) == {world.org_city_a, world.org_police_a}
    assert set(request.recipient_people.all()) == {world.coordinator, world.member}
    (event,) = audit_events("exchange.request.relabelled")
    assert event.before["tlp"] == "amber" and event.after["tlp"] == "red"
    assert "4711" not in event.target_label
    assert not may_see(world.viewer, request)
