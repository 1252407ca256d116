"""Posts, documents and their files: create, change, delete, forward, attach; access, labels, audit,
notifications, search and storage."""

import hashlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.exchange import search as search_module
from safepact.exchange.models import Attachment, Document, DocumentVersion, Post, SearchEntry
from safepact.exchange.services import (
    attachment_add,
    document_create,
    document_update,
    document_version_add,
    post_create,
    post_delete,
    post_forward,
    post_update,
    settings_update,
)
from safepact.exchange.tests.factories import (
    add_person,
    audit_events,
    exe_bytes,
    join,
    make_document,
    make_post,
    media_root,  # noqa: F401 - fixture
    pdf_bytes,
    png_bytes,
    upload,
)
from safepact.lib.tlp import TLP
from safepact.notifications.models import Notification

pytestmark = pytest.mark.usefixtures("media_root")


def media() -> Path:
    return Path(django_settings.MEDIA_ROOT)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def notified(kind="exchange.post"):
    return {n.recipient.email: n for n in Notification.objects.filter(kind=kind).select_related("recipient")}


@pytest.fixture
def colleague(world):
    """A second member of the member's organisation (Malmö stad)."""
    return add_person(world, "colleague@city.example", organisation=world.org_city_a)


@pytest.fixture
def dealer(world):
    """A member of a fourth organisation."""
    return add_person(world, "dealer@dealer.example")


# Create --------------------------------------------------------------------------------------------


def test_green_post_is_published_audited_and_announced(world):
    post = post_create(
        actor=world.member,
        partnership=world.partnership_a,
        kind="warning",
        title="Burglaries on Nobelvägen",
        body="Three shops hit last night.",
        tlp="green",
    )
    post.refresh_from_db()
    assert (post.kind, post.tlp, post.created_by) == ("warning", TLP.GREEN, world.member)
    assert post.partnership == world.partnership_a
    (event,) = audit_events("exchange.post.created")
    assert event.partnership_code == str(world.partnership_a.code)
    assert event.target_code == str(post.code)
    assert event.after["tlp"] == "green" and event.after["title"] == "Burglaries on Nobelvägen"
    people = notified()
    assert set(people) == {world.coordinator.email, world.viewer.email}
    note = people[world.coordinator.email]
    assert note.title == "Warning: Burglaries on Nobelvägen"
    assert note.url == f"/p/{world.partnership_a.code}/exchange/posts/{post.code}/"
    assert note.tlp == "green" and note.body == ""


def test_amber_post_adds_own_organisation_and_tells_only_recipients_neutrally(world, colleague, dealer):
    post = post_create(
        actor=world.member,
        partnership=world.partnership_a,
        kind="warning",
        title="Suspect van KLM-123",
        body="Seen near the engine dealer.",
        tlp="amber",
        recipient_organisations=[world.org_police_a],
    )
    assert set(post.recipient_organisations.all()) == {world.org_police_a, world.org_city_a}
    assert not post.recipient_people.exists()
    people = notified()
    assert set(people) == {world.coordinator.email, colleague.email}
    for note in people.values():
        assert note.title == "New warning in Sofielund safety partnership"
        assert "KLM" not in note.title and note.body == ""
        assert note.tlp == "amber"
    (event,) = audit_events("exchange.post.created")
    assert "KLM" not in str(event.after) and "KLM" not in event.target_label
    assert "title" not in event.after
    assert sorted(event.after["recipient_organisations"]) == sorted(
        [str(world.org_police_a.code), str(world.org_city_a.code)]
    )


def test_recipient_organisations_may_be_given_by_code(world):
    post = post_create(
        actor=world.member,
        partnership=world.partnership_a,
        kind="news",
        title="t",
        body="b",
        tlp="amber+strict",
        recipient_organisations=[str(world.org_police_a.code)],
    )
    assert set(post.recipient_organisations.all()) == {world.org_police_a, world.org_city_a}


def test_red_post_goes_to_named_people_only(world, colleague):
    post = post_create(
        actor=world.member,
        partnership=world.partnership_a,
        kind="news",
        title="Informant",
        body="Name inside.",
        tlp="red",
        recipient_people=[world.coordinator],
        recipient_organisations=[world.org_police_a],  # not used by RED: dropped
    )
    assert list(post.recipient_people.all()) == [world.coordinator]
    assert not post.recipient_organisations.exists()
    assert set(notified()) == {world.coordinator.email}
    assert notified()[world.coordinator.email].title == "New news item in Sofielund safety partnership"


def test_green_post_drops_recipients(world):
    post = make_post(world, world.member, tlp="green", orgs=[world.org_police_a], people=[world.coordinator])
    assert not post.recipient_organisations.exists() and not post.recipient_people.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "gossip"}, "kind"),
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": ""}, "body"),
        ({"body": "x" * 50_001}, "body"),
        ({"tlp": "purple"}, "tlp"),
        ({"tlp": "amber"}, "recipient_organisations"),
        ({"tlp": "amber+strict", "recipient_organisations": ["not-a-code"]}, "recipient_organisations"),
        ({"tlp": "red"}, "recipient_people"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(world, fields, field):
    values = {"kind": "news", "title": "Title", "body": "Body", "tlp": "green", **fields}
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as caught:
        post_create(actor=world.member, partnership=world.partnership_a, **values)
    assert field in caught.value.message_dict
    assert not Post.objects.exists()
    assert AuditEvent.objects.count() == before
    assert not Notification.objects.exists()


def test_amber_recipients_must_be_active_partners(world):
    for organisation in (world.org_b, world.org_outsider):
        with pytest.raises(ValidationError) as caught:
            make_post(world, world.member, tlp="amber", orgs=[organisation])
        assert "active partners" in caught.value.message_dict["recipient_organisations"][0]
    assert not Post.objects.exists()


def test_red_recipients_must_be_active_members(world):
    for person in (world.outsider, world.coordinator_b):
        with pytest.raises(ValidationError) as caught:
            make_post(world, world.member, tlp="red", people=[person])
        assert "active members" in caught.value.message_dict["recipient_people"][0]


def test_viewer_may_not_post_and_outsider_gets_404(world):
    with pytest.raises(PermissionDenied):
        make_post(world, world.viewer)
    with pytest.raises(Http404):
        post_create(
            actor=world.outsider,
            partnership=world.partnership_a,
            kind="news",
            title="t",
            body="b",
            tlp="green",
        )
    with pytest.raises(Http404):
        make_post(world, world.coordinator_b, partnership=world.partnership_a)
    assert not Post.objects.exists()


def test_post_with_files_stores_them_under_opaque_names(world):
    post = make_post(world, world.member, files=[upload("report.pdf"), upload("photo.png")])
    files = list(post.attachments.order_by("name"))
    assert [f.name for f in files] == ["photo.png", "report.pdf"]
    assert files[1].sha256 == hashlib.sha256(pdf_bytes()).hexdigest()
    assert files[1].content_type == "application/pdf" and files[1].created_by == world.member
    assert all(f.file.name == f"exchange/{f.code}" for f in files)
    assert (media() / files[0].file.name).read_bytes() == png_bytes()
    (event,) = audit_events("exchange.post.created")
    assert {f["name"] for f in event.after["files"]} == {"report.pdf", "photo.png"}


def test_a_bad_file_stores_no_post_and_no_file(world):
    with pytest.raises(ValidationError) as caught:
        make_post(world, world.member, files=[upload("report.pdf"), upload("invoice.pdf", exe_bytes())])
    assert caught.value.message_dict["file"] == ["invoice.pdf: programs and scripts are not allowed."]
    assert not Post.objects.exists() and not Attachment.objects.exists()
    assert stored_files(media()) == []


def test_partnership_upload_limits_apply(world):
    settings_update(actor=world.coordinator, partnership=world.partnership_a, allowed_types=["pdf"])
    with pytest.raises(ValidationError) as caught:
        make_post(world, world.member, files=[upload("photo.png")])
    assert "does not allow" in caught.value.message_dict["file"][0]
    assert make_post(world, world.member, files=[upload("a.pdf")]).attachments.count() == 1


def test_created_post_is_indexed_for_search(world):
    post = make_post(world, world.member, title="Stolen outboard engine", body="Yamaha 40 hp")
    assert SearchEntry.objects.filter(post=post).exists()
    page = search_module.search(user=world.coordinator, query="outboard")
    assert [r.code for r in page.results] == [str(post.code)] or [str(r.code) for r in page.results] == [
        str(post.code)
    ]


# Update --------------------------------------------------------------------------------------------


def test_author_changes_the_post_audited(world):
    post = make_post(world, world.member, title="Old", body="Old text")
    post_update(actor=world.member, post=post, title="New", kind="update")
    post.refresh_from_db()
    assert (post.title, post.kind, post.body) == ("New", "update", "Old text")
    (event,) = audit_events("exchange.post.updated")
    assert event.before["title"] == "Old" and event.after["title"] == "New"
    assert event.before["kind"] == "news" and event.after["kind"] == "update"


def test_coordinator_may_change_a_post_and_other_members_may_not(world, colleague):
    post = make_post(world, world.member)
    post_update(actor=world.coordinator, post=post, body="Fixed by the coordinator")
    with pytest.raises(PermissionDenied):
        post_update(actor=colleague, post=post, body="Mine now")
    with pytest.raises(PermissionDenied):
        post_update(actor=world.viewer, post=post, body="Mine now")
    with pytest.raises(Http404):
        post_update(actor=world.outsider, post=post, body="Mine now")
    post.refresh_from_db()
    assert post.body == "Fixed by the coordinator"


def test_restricted_post_update_keeps_text_out_of_the_audit(world):
    post = make_post(world, world.member, tlp="red", people=[world.coordinator], title="Secret A", body="x")
    post_update(actor=world.member, post=post, title="Secret B")
    (event,) = audit_events("exchange.post.updated")
    assert "Secret" not in str(event.before) + str(event.after) + event.target_label
    assert event.after == {"text_changed": True}


def test_member_who_may_not_see_the_post_gets_404(world, dealer):
    post = make_post(world, world.member, tlp="amber", orgs=[world.org_police_a])
    with pytest.raises(Http404):
        post_update(actor=dealer, post=post, title="x")
    with pytest.raises(Http404):
        post_delete(actor=dealer, post=post)


def test_bad_update_names_the_field(world):
    post = make_post(world, world.member)
    with pytest.raises(ValidationError) as caught:
        post_update(actor=world.member, post=post, title="", kind="nope")
    assert set(caught.value.message_dict) == {"title", "kind"}


def test_unchanged_update_records_nothing(world):
    post = make_post(world, world.member, title="Same")
    post_update(actor=world.member, post=post, title="Same")
    assert audit_events("exchange.post.updated") == []


# Delete --------------------------------------------------------------------------------------------


def test_delete_leaves_a_tombstone_and_removes_files_after_commit(world, django_capture_on_commit_callbacks):
    post = make_post(world, world.member, tlp="amber", title="Secret title", files=[upload("a.pdf")])
    code = post.code
    assert len(stored_files(media())) == 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post_delete(actor=world.member, post=post)
    assert len(stored_files(media())) == 1  # not before the commit
    for callback in callbacks:
        callback()
    assert stored_files(media()) == []
    assert not Post.objects.filter(code=code).exists() and not Attachment.objects.exists()
    assert not SearchEntry.objects.exists()
    (event,) = audit_events("exchange.post.deleted")
    assert event.before["code"] == str(code) and event.before["tlp"] == "amber"
    assert event.before["files"] == 1
    assert "Secret" not in str(event.before) + event.target_label


def test_delete_rights(world, colleague):
    post = make_post(world, world.member)
    with pytest.raises(PermissionDenied):
        post_delete(actor=colleague, post=post)
    with pytest.raises(PermissionDenied):
        post_delete(actor=world.viewer, post=post)
    with pytest.raises(Http404):
        post_delete(actor=world.outsider, post=post)
    post_delete(actor=world.coordinator, post=post)
    assert not Post.objects.exists()


# Forward -------------------------------------------------------------------------------------------


@pytest.fixture
def member_in_b(world):
    """The member also takes part in partnership B (through "Mats Member organisation")."""
    return join(world, world.member, world.partnership_b)


def test_forward_green_keeps_label_and_copies_files(world, member_in_b):
    post = make_post(
        world, world.coordinator, title="Good practice", kind="good_practice", files=[upload("a.pdf")]
    )
    copy = post_forward(actor=world.member, post=post, partnership=world.partnership_b)
    assert copy.partnership == world.partnership_b and copy.forwarded_from == post
    assert (copy.tlp, copy.kind, copy.title, copy.created_by) == (
        "green",
        "good_practice",
        "Good practice",
        world.member,
    )
    (original,), (copied,) = post.attachments.all(), copy.attachments.all()
    assert copied.code != original.code and copied.sha256 == original.sha256
    assert (media() / copied.file.name).read_bytes() == pdf_bytes()
    forwarded = audit_events("exchange.post.forwarded")
    assert forwarded[0].partnership_code == str(world.partnership_a.code)
    assert forwarded[0].after["copy"] == str(copy.code)
    created = [
        e
        for e in audit_events("exchange.post.created")
        if e.partnership_code == str(world.partnership_b.code)
    ]
    assert created[0].after["forwarded_from"] == str(post.code)
    assert world.coordinator_b.email in notified()


def test_forward_amber_becomes_amber_for_own_organisation(world, member_in_b):
    post = make_post(world, world.coordinator, tlp="amber", orgs=[world.org_city_a])
    copy = post_forward(actor=world.member, post=post, partnership=world.partnership_b)
    own_in_b = world.member.full_name + " organisation"
    assert copy.tlp == "amber"
    assert [o.name for o in copy.recipient_organisations.all()] == [own_in_b]


@pytest.mark.parametrize("tlp", ["amber+strict", "red"])
def test_forward_strict_and_red_refused(world, member_in_b, tlp):
    post = make_post(world, world.coordinator, tlp=tlp, orgs=[world.org_city_a], people=[world.member])
    with pytest.raises(ValidationError) as caught:
        post_forward(actor=world.member, post=post, partnership=world.partnership_b)
    assert "cannot be forwarded" in caught.value.message_dict["tlp"][0]
    assert not Post.objects.filter(partnership=world.partnership_b).exists()


def test_forward_needs_write_membership_in_the_target(world):
    post = make_post(world, world.coordinator)
    with pytest.raises(Http404):  # not a member of B
        post_forward(actor=world.member, post=post, partnership=world.partnership_b)
    join(world, world.viewer, world.partnership_b, role="viewer")
    with pytest.raises(PermissionDenied):
        post_forward(actor=world.viewer, post=post, partnership=world.partnership_b)
    with pytest.raises(ValidationError) as caught:
        post_forward(actor=world.member, post=post, partnership=world.partnership_a)
    assert "partnership" in caught.value.message_dict


def test_forward_of_an_invisible_post_is_404(world, member_in_b, dealer):
    join(world, dealer, world.partnership_b)
    post = make_post(world, world.coordinator, tlp="amber", orgs=[world.org_city_a])
    with pytest.raises(Http404):
        post_forward(actor=dealer, post=post, partnership=world.partnership_b)
    with pytest.raises(Http404):
        post_forward(actor=world.outsider, post=post, partnership=world.partnership_b)


def test_forward_checks_the_target_limits(world, member_in_b):
    settings_update(actor=world.coordinator_b, partnership=world.partnership_b, allowed_types=["pdf"])
    post = make_post(world, world.coordinator, files=[upload("photo.png")])
    with pytest.raises(ValidationError) as caught:
        post_forward(actor=world.member, post=post, partnership=world.partnership_b)
    assert "photo.png" in caught.value.message_dict["file"][0]


# Attachments ---------------------------------------------------------------------------------------


def test_attachment_add_rights_and_checks(world, colleague):
    post = make_post(world, world.member, tlp="amber", orgs=[world.org_police_a], title="Secret")
    attachment = attachment_add(
        actor=world.member, post=post, upload=upload("notes.txt", b"Plates: ABC123\n")
    )
    assert attachment.post == post and attachment.content_type == "text/plain"
    (event,) = audit_events("exchange.attachment.added")
    assert event.after["file"] == str(attachment.code) and "name" not in event.after  # restricted
    attachment_add(actor=world.coordinator, post=post, upload=upload("b.pdf"))
    with pytest.raises(PermissionDenied):
        attachment_add(actor=colleague, post=post, upload=upload("c.pdf"))
    with pytest.raises(Http404):
        attachment_add(actor=world.outsider, post=post, upload=upload("c.pdf"))
    with pytest.raises(ValidationError) as caught:
        attachment_add(actor=world.member, post=post, upload=upload("empty.pdf", b""))
    assert caught.value.message_dict["file"] == ["empty.pdf: the file is empty."]
    with pytest.raises(ValidationError):
        attachment_add(actor=world.member, post=post, upload=None)
    assert post.attachments.count() == 2


# Documents -----------------------------------------------------------------------------------------


def test_document_create_update_and_versions(world, colleague):
    document = make_document(world, world.member, tlp="amber", title="Route plan", note="first")
    assert [v.number for v in document.versions.all()] == [1]
    assert set(document.recipient_organisations.all()) == {world.org_city_a}
    (event,) = audit_events("exchange.document.created")
    assert event.after["version"]["file"] == str(document.versions.get().code)
    assert "Route" not in str(event.after) + event.target_label

    document_update(actor=world.member, document=document, title="Route plan 2", description="More")
    document.refresh_from_db()
    assert (document.title, document.description) == ("Route plan 2", "More")

    # Any write member who may see it adds a version (the colleague is in a recipient organisation).
    version = document_version_add(
        actor=colleague, document=document, upload=upload("v2.docx"), note="second"
    )
    assert (version.number, version.note, version.created_by) == (2, "second", colleague)
    document.refresh_from_db()
    assert document.updated_at >= version.created_at
    assert audit_events("exchange.document.version_added")[0].after["version"] == 2


def test_document_rights(world, colleague, dealer):
    document = make_document(world, world.member, tlp="amber")
    with pytest.raises(PermissionDenied):
        document_update(actor=colleague, document=document, title="x")
    with pytest.raises(Http404):
        document_version_add(actor=dealer, document=document, upload=upload("v.pdf"))
    with pytest.raises(Http404):
        document_version_add(actor=world.outsider, document=document, upload=upload("v.pdf"))
    green = make_document(world, world.member)
    with pytest.raises(PermissionDenied):
        document_version_add(actor=world.viewer, document=green, upload=upload("v.pdf"))
    with pytest.raises(PermissionDenied):
        make_document(world, world.viewer)
    with pytest.raises(Http404):
        make_document(world, world.outsider, partnership=world.partnership_a)
    assert DocumentVersion.objects.count() == 2


def test_document_bad_input_stores_nothing(world):
    with pytest.raises(ValidationError) as caught:
        document_create(
            actor=world.member,
            partnership=world.partnership_a,
            title="",
            description="",
            tlp="green",
            upload=None,
        )
    assert set(caught.value.message_dict) == {"title", "file"}
    with pytest.raises(ValidationError) as caught:
        make_document(world, world.member, upload=upload("letter.docx", b"PK\x03\x04not really"))
    assert "file" in caught.value.message_dict
    assert not Document.objects.exists() and stored_files(media()) == []


# Export record -------------------------------------------------------------------------------------


def test_posts_export_is_recorded(world):
    from safepact.exchange.services import posts_export_record

    posts_export_record(actor=world.viewer, partnership=world.partnership_a, count=3)
    (event,) = audit_events("exchange.post.exported")
    assert event.after == {"format": "csv", "count": 3}
    assert event.actor_code == str(world.viewer.code)
    with pytest.raises(Http404):
        posts_export_record(actor=world.outsider, partnership=world.partnership_a, count=1)
