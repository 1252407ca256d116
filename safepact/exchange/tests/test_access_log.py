"""The access log: every view and download of AMBER, AMBER+STRICT and RED items is recorded (the author's
own included), none of CLEAR and GREEN; the author and the coordinators read it, others get 403, and
whoever may not see the item 404."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from safepact.exchange.models import AccessAction, AccessLog
from safepact.exchange.selectors import access_log_for
from safepact.exchange.services import access_record, attachment_add
from safepact.exchange.tests.factories import (
    add_person,
    make_document,
    make_post,
    media_root,  # noqa: F401 - fixture
    upload,
)
from safepact.lib import clock

pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def colleague(world):
    return add_person(world, "colleague@city.example", organisation=world.org_city_a)


@pytest.mark.parametrize("tlp", ["clear", "green"])
def test_unrestricted_views_are_not_logged(world, tlp):
    post = make_post(world, world.member, tlp=tlp)
    assert access_record(user=world.viewer, item=post) is None
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("tlp", ["amber", "amber+strict", "red"])
def test_restricted_views_are_logged_with_who_when_and_organisation(world, tlp):
    post = make_post(world, world.member, tlp=tlp, orgs=[world.org_police_a], people=[world.coordinator])
    with clock.frozen(clock.now().replace(microsecond=0)):
        entry = access_record(user=world.coordinator, item=post)
        at = clock.now()
    entry.refresh_from_db()
    assert (entry.item_kind, entry.item_code, entry.tlp) == ("post", post.code, tlp)
    assert (entry.user, entry.organisation, entry.action) == (world.coordinator, world.org_police_a, "view")
    assert entry.partnership_id == world.partnership_a.pk and entry.at == at and entry.file_code is None


def test_author_views_are_logged_too(world):
    post = make_post(world, world.member, tlp="amber")
    assert access_record(user=world.member, item=post) is not None
    assert AccessLog.objects.get().user == world.member


def test_downloads_log_the_file_and_its_owner(world):
    post = make_post(world, world.member, tlp="amber", orgs=[world.org_police_a])
    attachment = attachment_add(actor=world.member, post=post, upload=upload("a.pdf"))
    entry = access_record(user=world.coordinator, item=attachment, action=AccessAction.DOWNLOAD)
    assert (entry.item_kind, entry.item_code, entry.file_code, entry.action) == (
        "post",
        post.code,
        attachment.code,
        "download",
    )
    document = make_document(world, world.member, tlp="red", people=[world.coordinator])
    version = document.versions.get()
    entry = access_record(user=world.coordinator, item=version)
    assert (entry.item_kind, entry.item_code, entry.file_code) == ("document", document.code, version.code)


def test_author_and_coordinator_read_the_log_others_403_and_404(world, colleague):
    post = make_post(world, world.member, tlp="amber", orgs=[world.org_police_a])
    access_record(user=world.coordinator, item=post)
    access_record(user=colleague, item=post)
    access_record(user=world.member, item=post)
    entries = list(access_log_for(user=world.member, item=post))
    assert [e.user for e in entries] == [world.member, colleague, world.coordinator]  # newest first
    assert len(access_log_for(user=world.coordinator, item=post)) == 3
    with pytest.raises(PermissionDenied):
        access_log_for(user=colleague, item=post)  # may see the post, is not its author
    with pytest.raises(Http404):
        access_log_for(user=world.viewer, item=post)  # may not see the post
    with pytest.raises(Http404):
        access_log_for(user=world.outsider, item=post)


def test_log_of_one_item_holds_only_its_entries(world):
    first = make_post(world, world.member, tlp="amber", orgs=[world.org_police_a])
    second = make_post(world, world.member, tlp="amber", orgs=[world.org_police_a])
    access_record(user=world.coordinator, item=first)
    access_record(user=world.coordinator, item=second)
    access_record(user=world.coordinator, item=second)
    assert access_log_for(user=world.member, item=first).count() == 1
    assert access_log_for(user=world.member, item=second).count() == 2


def test_coordinator_may_not_read_the_log_of_an_item_they_may_not_see(world):
    post = make_post(world, world.member, tlp="red", people=[world.member])
    with pytest.raises(Http404):
        access_log_for(user=world.coordinator, item=post)


def test_unknown_action_is_a_programming_error(world):
    post = make_post(world, world.member, tlp="amber")
    with pytest.raises(ValueError):
        access_record(user=world.member, item=post, action="print")
