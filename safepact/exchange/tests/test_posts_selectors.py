"""Reads: lists and access helpers start from what the person may see; files follow their owner; downloads
of TLP:RED files; exports; recipients; settings; query counts."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.http import Http404

from safepact.exchange.models import Answer, Attachment, InformationRequest, Post, RequestRecipient
from safepact.exchange.selectors import (
    document_list,
    export_posts,
    get_attachment_for_user,
    get_document_for_user,
    get_item_for_user,
    get_post_for_user,
    get_version_for_user,
    item_for,
    may_download,
    page_path,
    post_list,
    recipient_choices,
    settings_by_partnership,
    settings_for,
)
from safepact.exchange.services import settings_update
from safepact.exchange.tests.factories import (
    add_person,
    make_document,
    make_post,
    media_root,  # noqa: F401 - fixture
    pdf_bytes,
    upload,
)
from safepact.exchange.uploads import FILE_TYPES
from safepact.partnerships.models import Partner

pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture
def dealer(world):
    return add_person(world, "dealer@dealer.example")


@pytest.fixture
def posts(world):
    """One post per label by the member; AMBER kinds for the police, RED for the coordinator."""
    return {
        "clear": make_post(world, world.member, tlp="clear", title="clear", kind="news"),
        "green": make_post(world, world.member, tlp="green", title="green", kind="warning"),
        "amber": make_post(world, world.member, tlp="amber", orgs=[world.org_police_a], title="amber"),
        "amber+strict": make_post(
            world, world.member, tlp="amber+strict", orgs=[world.org_police_a], title="strict"
        ),
        "red": make_post(world, world.member, tlp="red", people=[world.coordinator], title="red"),
    }


def titles(queryset) -> set[str]:
    return {p.title for p in queryset}


# Posts ---------------------------------------------------------------------------------------------


def test_post_list_shows_only_what_each_person_may_see(world, posts, dealer):
    everything = {"clear", "green", "amber", "strict", "red"}
    assert titles(post_list(user=world.member, partnership=world.partnership_a)) == everything
    assert titles(post_list(user=world.coordinator, partnership=world.partnership_a)) == everything
    assert titles(post_list(user=world.viewer, partnership=world.partnership_a)) == {"clear", "green"}
    assert titles(post_list(user=dealer, partnership=world.partnership_a)) == {"clear", "green"}
    # Not a member: nothing, not even CLEAR (the list is of a partnership they cannot open).
    assert titles(post_list(user=world.outsider, partnership=world.partnership_a)) == set()
    assert titles(post_list(user=world.coordinator_b, partnership=world.partnership_a)) == set()


def test_post_list_by_kind_and_newest_first(world, posts):
    assert titles(post_list(user=world.member, partnership=world.partnership_a, kind="warning")) == {"green"}
    assert titles(post_list(user=world.member, partnership=world.partnership_a, kind="bogus")) == set()
    listed = list(post_list(user=world.member, partnership=world.partnership_a))
    assert listed[0].title == "red"  # the last made


def _bulk_posts(world, count: int) -> None:
    labels = ["green", "amber", "red", "clear", "amber+strict"]
    for index in range(count):
        post = Post.objects.create(
            partnership=world.partnership_a,
            title=f"p{index}",
            body="b",
            tlp=labels[index % len(labels)],
            created_by=world.member,
        )
        post.recipient_organisations.set([world.org_police_a, world.org_city_a])
        post.recipient_people.set([world.coordinator])
        Attachment.objects.create(
            post=post,
            file=ContentFile(b"x", name="f.txt"),
            name="f.txt",
            content_type="text/plain",
            size=1,
            sha256="0" * 64,
            created_by=world.member,
        )


def _render_list(user, partnership) -> int:
    rows = list(post_list(user=user, partnership=partnership))
    for post in rows:
        _ = (post.created_by.full_name, [o.name for o in post.recipient_organisations.all()])
        _ = ([p.full_name for p in post.recipient_people.all()], [a.name for a in post.attachments.all()])
    return len(rows)


def test_post_list_query_count_is_constant(world, django_assert_max_num_queries, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _bulk_posts(world, 5)
    with CaptureQueriesContext(connection) as five:
        assert _render_list(world.coordinator, world.partnership_a) == 5
    _bulk_posts(world, 20)
    with CaptureQueriesContext(connection) as twenty_five:
        assert _render_list(world.coordinator, world.partnership_a) == 25
    assert len(five.captured_queries) == len(twenty_five.captured_queries)
    with django_assert_max_num_queries(5):
        _render_list(world.coordinator, world.partnership_a)


def test_get_post_for_user(world, posts, dealer):
    amber = posts["amber"]
    found = get_post_for_user(world.coordinator, world.partnership_a.code, amber.code)
    assert found == amber and found.partnership.membership.user == world.coordinator
    for user in (dealer, world.viewer):
        with pytest.raises(Http404):
            get_post_for_user(user, world.partnership_a.code, amber.code)
    for user in (world.outsider, world.coordinator_b):
        with pytest.raises(Http404):
            get_post_for_user(user, world.partnership_a.code, posts["clear"].code)
    with pytest.raises(Http404):
        get_post_for_user(world.member, world.partnership_a.code, "not-a-code")
    with pytest.raises(Http404):  # right post, wrong partnership
        get_post_for_user(world.coordinator_b, world.partnership_b.code, amber.code)
    with pytest.raises(PermissionDenied):
        get_post_for_user(world.viewer, world.partnership_a.code, posts["green"].code, write=True)
    assert get_post_for_user(world.member, world.partnership_a.code, amber.code, write=True) == amber


def test_export_posts_leaves_strict_and_red_out(world, posts):
    exported = titles(export_posts(user=world.coordinator, partnership=world.partnership_a))
    assert exported == {"clear", "green", "amber"}
    assert titles(export_posts(user=world.viewer, partnership=world.partnership_a)) == {"clear", "green"}
    assert titles(export_posts(user=world.outsider, partnership=world.partnership_a)) == set()


# Documents -----------------------------------------------------------------------------------------


def test_documents_follow_their_label(world, dealer):
    green = make_document(world, world.member, title="green doc")
    amber = make_document(world, world.member, tlp="amber", orgs=[world.org_police_a], title="amber doc")
    from safepact.exchange.services import document_version_add

    document_version_add(actor=world.member, document=amber, upload=upload("v2.pdf"))
    listed = {d.title: d for d in document_list(user=world.coordinator, partnership=world.partnership_a)}
    assert set(listed) == {"green doc", "amber doc"}
    assert listed["amber doc"].latest_number == 2 and listed["green doc"].latest_number == 1
    assert titles(document_list(user=dealer, partnership=world.partnership_a)) == {"green doc"}
    assert titles(document_list(user=world.outsider, partnership=world.partnership_a)) == set()
    found = get_document_for_user(world.coordinator, world.partnership_a.code, amber.code)
    assert [v.number for v in found.versions.all()] == [2, 1]
    for user in (dealer, world.outsider):
        with pytest.raises(Http404):
            get_document_for_user(user, world.partnership_a.code, amber.code)
    with pytest.raises(PermissionDenied):
        get_document_for_user(world.viewer, world.partnership_a.code, green.code, write=True)

    version = amber.versions.get(number=1)
    assert get_version_for_user(world.coordinator, world.partnership_a.code, version.code) == version
    for user in (dealer, world.viewer, world.outsider):
        with pytest.raises(Http404):
            get_version_for_user(user, world.partnership_a.code, version.code)
    with pytest.raises(Http404):
        get_version_for_user(world.coordinator, world.partnership_a.code, "nope")


# Files ---------------------------------------------------------------------------------------------


def test_attachment_visibility_follows_its_post(world, posts, dealer):
    from safepact.exchange.services import attachment_add

    attachment = attachment_add(actor=world.member, post=posts["amber"], upload=upload("a.pdf"))
    found = get_attachment_for_user(world.coordinator, world.partnership_a.code, attachment.code)
    assert found == attachment and found.owner == posts["amber"]
    for user in (dealer, world.viewer, world.outsider, world.coordinator_b):
        with pytest.raises(Http404):
            get_attachment_for_user(user, world.partnership_a.code, attachment.code)
    with pytest.raises(Http404):  # through another partnership's address
        get_attachment_for_user(world.coordinator_b, world.partnership_b.code, attachment.code)


def _request_with_answer(world, *, tlp="amber"):
    """A request from the police to Malmö stad, with a RED answer: made directly (the REQUESTS part owns
    the services)."""
    police = Partner.objects.get(partnership=world.partnership_a, organisation=world.org_police_a)
    city = Partner.objects.get(partnership=world.partnership_a, organisation=world.org_city_a)
    request = InformationRequest.objects.create(
        partnership=world.partnership_a,
        requester_partner=police,
        title="Last owner of engine",
        question="q",
        purpose="p",
        legal_basis="public_task",
        deadline=date(2030, 1, 1),
        status="sent",
        tlp=tlp,
        created_by=world.coordinator,
    )
    request.recipient_organisations.set([world.org_police_a, world.org_city_a])
    recipient = RequestRecipient.objects.create(request=request, partner=city)
    answer = Answer.objects.create(
        partnership=world.partnership_a,
        request=request,
        recipient=recipient,
        text="The owner is ...",
        tlp="red",
        created_by=world.member,
    )
    answer.recipient_people.set([world.coordinator])
    files = {}
    for owner_name, owner in (("request", request), ("answer", answer)):
        files[owner_name] = Attachment.objects.create(
            **{owner_name: owner},
            file=ContentFile(pdf_bytes(), name="f.pdf"),
            name=f"{owner_name}.pdf",
            content_type="application/pdf",
            size=len(pdf_bytes()),
            sha256="0" * 64,
            created_by=owner.created_by,
        )
    return request, answer, files


def test_attachment_visibility_follows_request_and_answer(world, dealer):
    colleague = add_person(world, "colleague@city.example", organisation=world.org_city_a)
    request, answer, files = _request_with_answer(world)
    code = world.partnership_a.code
    assert get_attachment_for_user(world.member, code, files["request"].code).owner == request
    assert get_attachment_for_user(colleague, code, files["request"].code).owner == request
    with pytest.raises(Http404):
        get_attachment_for_user(dealer, code, files["request"].code)
    # The RED answer: its author and the named requester only.
    assert get_attachment_for_user(world.coordinator, code, files["answer"].code).owner == answer
    assert get_attachment_for_user(world.member, code, files["answer"].code).owner == answer
    with pytest.raises(Http404):
        get_attachment_for_user(colleague, code, files["answer"].code)


def test_red_files_are_viewed_not_downloaded_unless_allowed(world, posts):
    from safepact.exchange.services import attachment_add

    red_file = attachment_add(actor=world.member, post=posts["red"], upload=upload("a.pdf"))
    amber_file = attachment_add(actor=world.member, post=posts["amber"], upload=upload("a.pdf"))
    assert may_download(world.coordinator, amber_file) and may_download(world.coordinator, posts["amber"])
    assert not may_download(world.coordinator, red_file)
    assert not may_download(world.coordinator, posts["red"])
    assert not may_download(world.viewer, amber_file)  # cannot even see it
    settings_update(actor=world.coordinator, partnership=world.partnership_a, red_downloads=True)
    assert may_download(world.coordinator, red_file)
    assert not may_download(world.viewer, red_file)


def test_version_download_follows_the_document(world):
    document = make_document(world, world.member, tlp="red", people=[world.coordinator])
    version = document.versions.get()
    assert not may_download(world.coordinator, version)
    assert not may_download(world.viewer, version)


# Items, recipients, settings -----------------------------------------------------------------------


def test_item_helpers(world, posts, dealer):
    amber = posts["amber"]
    assert item_for("post", amber.code) == amber
    assert item_for("post", amber.code, partnership=world.partnership_b) is None
    assert item_for("meeting", amber.code) is None and item_for("post", "x") is None
    assert get_item_for_user(world.coordinator, world.partnership_a.code, "post", amber.code) == amber
    for user, kind in ((dealer, "post"), (world.outsider, "post"), (world.coordinator, "document")):
        with pytest.raises(Http404):
            get_item_for_user(user, world.partnership_a.code, kind, amber.code)
    assert page_path(amber) == f"/p/{world.partnership_a.code}/exchange/posts/{amber.code}/"


def test_recipient_choices(world, dealer):
    choices = recipient_choices(partnership=world.partnership_a)
    names = [o.name for o in choices.organisations]
    assert set(names) == {"Polisen Malmö", "Malmö stad", "Sofielund Fastighetsägare", "Dealer"}
    assert names == sorted(names)
    assert set(choices.people) == {world.coordinator, world.member, world.viewer, dealer}
    Partner.objects.filter(partnership=world.partnership_a, organisation__name="Dealer").update(
        status="suspended"
    )
    choices = recipient_choices(partnership=world.partnership_a)
    assert "Dealer" not in {o.name for o in choices.organisations} and dealer not in set(choices.people)


def test_settings_for_defaults_and_saved(world):
    defaults = settings_for(world.partnership_a)
    assert defaults.pk is None
    assert (defaults.max_upload_mb, defaults.red_downloads) == (20, False)
    assert defaults.allowed_types == list(FILE_TYPES)
    settings_update(actor=world.coordinator, partnership=world.partnership_a, max_upload_mb=5)
    saved = settings_for(world.partnership_a)
    assert saved.pk is not None and saved.max_upload_mb == 5
    bulk = settings_by_partnership([world.partnership_a.pk, world.partnership_b.pk])
    assert bulk[world.partnership_a.pk].max_upload_mb == 5 and bulk[world.partnership_b.pk].pk is None
