"""Exchange API for posts, documents and their files: the label decides who reads, lists, downloads and
exports (an AMBER post is a 404 for a third organisation, a RED file is 403 ``view_only``, the export never
holds AMBER+STRICT or RED), restricted reads are logged, uploads are checked through the API (size, type,
content, nothing stored on refusal), errors name the field, and the lists cost the same number of queries
for few and for many items."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safepact.audit.models import AuditEvent
from safepact.exchange import services
from safepact.exchange.models import AccessLog, Attachment, Document, DocumentVersion, Post
from safepact.exchange.tests.factories import (  # noqa: F401 - fixtures
    docx_bytes,
    exe_bytes,
    make_document,
    make_post,
    media_root,
    pdf_bytes,
    upload,
    zip_bytes,
)
from safepact.exchange.tests.test_api_access import Multipart, base, call
from safepact.partnerships.services import partnership_create


@pytest.fixture(autouse=True)
def _media(media_root):  # noqa: F811 - the fixture imported above
    return media_root


def org(organisation) -> str:
    return str(organisation.code)


def new_post(client, world, **fields):
    body = {
        "kind": "warning",
        "title": "Engine thefts",
        "body": "Two outboard engines taken.",
        "tlp": "green",
    }
    body.update(fields)
    return call(client, "post", f"{base(world)}/posts", body)


def codes(response) -> set[str]:
    return {item["code"] for item in response.json()["items"]}


# Posts and labels ---------------------------------------------------------------------------------------


def test_an_amber_post_reaches_its_recipients_only_and_their_reads_are_logged(client_for, world):
    client = client_for(world.coordinator)
    response = new_post(
        client,
        world,
        tlp="amber",
        title="Police and city: engine gang",
        recipient_organisations=[org(world.org_city_a)],
    )
    assert response.status_code == 201, response.content
    post = response.json()
    assert post["tlp"] == "amber" and post["may_export"] is True and post["may_download"] is True
    # The author's own organisation is added to the recipients.
    assert {o["code"] for o in post["recipient_organisations"]} == {
        org(world.org_city_a),
        org(world.org_police_a),
    }
    assert post["author"]["full_name"] == "Cora Coordinator"
    url = f"{base(world)}/posts/{post['code']}"

    # The city member reads it (logged); the shop's viewer is not a recipient: 404, not listed, not counted.
    member = client_for(world.member)
    assert member.get(url).status_code == 200
    assert post["code"] in codes(member.get(f"{base(world)}/posts"))
    viewer = client_for(world.viewer)
    response = viewer.get(url)
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    listed = viewer.get(f"{base(world)}/posts").json()
    assert post["code"] not in {p["code"] for p in listed["items"]} and listed["count"] == 0
    assert AccessLog.objects.filter(item_code=post["code"], user=world.member, action="view").count() == 1

    # The author reads the access log; the member (not the author) may not.
    log = client_for(world.coordinator).get(f"{url}/access-log").json()
    assert [entry["person"]["code"] for entry in log["items"]] == [str(world.member.code)]
    assert log["items"][0]["organisation"]["code"] == org(world.org_city_a)
    assert client_for(world.member).get(f"{url}/access-log").status_code == 403


def test_green_posts_are_not_logged_and_filter_by_kind(client_for, world):
    make_post(world, world.coordinator, kind="news", title="Market day")
    make_post(world, world.coordinator, kind="warning", title="Pickpockets")
    client = client_for(world.viewer)
    warnings = client.get(f"{base(world)}/posts", {"kind": "warning"}).json()
    assert [p["title"] for p in warnings["items"]] == ["Pickpockets"]
    assert client.get(f"{base(world)}/posts", {"kind": "rumour"}).status_code == 422
    client.get(f"{base(world)}/posts/{Post.objects.get(title='Market day').code}")
    assert not AccessLog.objects.exists()


def test_bad_post_input_names_the_field_and_stores_nothing(
    client_for, world, django_capture_on_commit_callbacks
):
    client = client_for(world.member)
    before = (Post.objects.count(), AuditEvent.objects.count())
    cases = [
        ({"tlp": "amber"}, "recipient_organisations"),  # AMBER without recipients
        ({"tlp": "red"}, "recipient_people"),
        ({"tlp": "amber", "recipient_organisations": [org(world.org_b)]}, "recipient_organisations"),  # B's
        ({"tlp": "red", "recipient_people": [str(world.coordinator_b.code)]}, "recipient_people"),
        ({"title": "x" * 201}, "title"),
        ({"title": ""}, "title"),
        ({"tlp": "purple"}, "tlp"),
        ({"colour": "blue"}, "colour"),  # unknown fields are refused
    ]
    for fields, field in cases:
        response = new_post(client, world, **fields)
        assert response.status_code == 422, (fields, response.content)
        assert response.json()["code"] == "invalid"
        assert response.json()["detail"].startswith(field), (fields, response.json()["detail"])
    response = client.post(f"{base(world)}/posts", data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "malformed_json"
    assert (Post.objects.count(), AuditEvent.objects.count()) == before


def test_author_edits_relabels_with_a_reason_and_deletes(client_for, world):
    post = make_post(world, world.member, tlp="amber", title="City CCTV gaps")
    url = f"{base(world)}/posts/{post.code}"
    client = client_for(world.member)
    response = call(client, "patch", url, {"body": "Three cameras are broken.", "kind": "update"})
    assert response.status_code == 200 and response.json()["kind"] == "update"
    assert call(client, "patch", url, {"title": None}).json()["detail"].startswith("title")

    # Lowering the label needs a reason; with one it is audited with labels, not the title.
    response = call(client, "post", f"{url}/label", {"tlp": "green"})
    assert response.status_code == 422 and response.json()["detail"].startswith("reason")
    response = call(client, "post", f"{url}/label", {"tlp": "green", "reason": "Published by the city."})
    assert response.status_code == 200
    assert response.json()["tlp"] == "green" and response.json()["recipient_organisations"] == []
    event = AuditEvent.objects.filter(action="exchange.post.relabelled").get()
    assert event.before["tlp"] == "amber" and event.after["tlp"] == "green"
    assert "City CCTV gaps" not in json.dumps([event.before, event.after])

    # Another member with the write role who is not the author may not change it.
    other = make_post(world, world.coordinator, title="Police patrol times")
    response = call(client, "patch", f"{base(world)}/posts/{other.code}", {"title": "Mine"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"

    assert call(client, "delete", url).status_code == 204
    assert not Post.objects.filter(pk=post.pk).exists()
    assert client.get(url).status_code == 404


def test_forward_keeps_green_refuses_strict_and_red_and_unknown_partnerships(client_for, world):
    harbour = partnership_create(
        actor=world.coordinator,
        organisation=world.org_police_a,
        name="Malmö harbour",
        purpose="A safe harbour.",
        country="SE",
        crime_areas=["burglary"],
    )
    client = client_for(world.coordinator)
    green = make_post(world, world.coordinator, title="Harbour thefts")
    response = call(
        client, "post", f"{base(world)}/posts/{green.code}/forward", {"partnership": str(harbour.code)}
    )
    assert response.status_code == 201, response.content
    copy = response.json()
    assert copy["forwarded"] is True and copy["tlp"] == "green" and copy["code"] != str(green.code)
    assert Post.objects.get(code=copy["code"]).partnership == harbour

    strict = make_post(world, world.coordinator, tlp="amber+strict", title="Informant")
    red = make_post(world, world.coordinator, tlp="red", title="Raid")
    for item in (strict, red):
        response = call(
            client, "post", f"{base(world)}/posts/{item.code}/forward", {"partnership": str(harbour.code)}
        )
        assert response.status_code == 422 and response.json()["detail"].startswith("tlp")
    for target in (world.partnership_b.code, world.partnership_a.code):
        response = call(
            client, "post", f"{base(world)}/posts/{green.code}/forward", {"partnership": str(target)}
        )
        assert response.status_code == 422 and response.json()["detail"].startswith("partnership")
    assert Post.objects.filter(partnership=harbour).count() == 1


# Files --------------------------------------------------------------------------------------------------


def test_attachment_upload_download_and_the_access_log(client_for, world):
    post = make_post(world, world.member, tlp="amber", orgs=[world.org_police_a], title="Dealer list")
    client = client_for(world.member)
    response = call(
        client,
        "post",
        f"{base(world)}/posts/{post.code}/attachments",
        Multipart(make_file=lambda: upload("dealers.pdf", pdf_bytes("Dealers"))),
    )
    assert response.status_code == 201, response.content
    stored = response.json()
    assert stored["name"] == "dealers.pdf" and stored["content_type"] == "application/pdf"
    response = client_for(world.coordinator).get(f"{base(world)}/files/{stored['code']}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    entry = AccessLog.objects.get(action="download")
    assert (entry.user, str(entry.file_code), str(entry.item_code)) == (
        world.coordinator,
        stored["code"],
        str(post.code),
    )
    # Not a recipient: the file does not exist for them.
    assert client_for(world.viewer).get(f"{base(world)}/files/{stored['code']}").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("engine.pdf", exe_bytes(), "programs"),
        ("report.docx", zip_bytes(), "zip archive"),  # a zip renamed, no [Content_Types].xml
        ("photo.png", pdf_bytes(), "does not match"),
        ("page.html", b"<html><script>alert(1)</script></html>", "not allowed"),
        ("tool.exe", exe_bytes(), "not allowed"),
    ],
)
def test_bad_files_are_refused_through_the_api(client_for, world, name, content, reason):
    post = make_post(world, world.member)
    client = client_for(world.member)
    before = (Attachment.objects.count(), AuditEvent.objects.count())
    response = call(
        client,
        "post",
        f"{base(world)}/posts/{post.code}/attachments",
        Multipart(make_file=lambda: upload(name, content)),
    )
    assert response.status_code == 422, response.content
    detail = response.json()["detail"]
    assert detail.startswith("file") and reason in detail, detail
    assert (Attachment.objects.count(), AuditEvent.objects.count()) == before


def test_upload_limits_of_the_partnership_apply_to_the_api(client_for, world, media_root):  # noqa: F811
    services.settings_update(
        actor=world.coordinator, partnership=world.partnership_a, max_upload_mb=1, allowed_types=["pdf"]
    )
    post = make_post(world, world.member)
    client = client_for(world.member)
    url = f"{base(world)}/posts/{post.code}/attachments"
    big = pdf_bytes() + b"%" + b"0" * (1024 * 1024)
    response = call(client, "post", url, Multipart(make_file=lambda: upload("big.pdf", big)))
    assert response.status_code == 422 and "larger than 1 MB" in response.json()["detail"]
    response = call(client, "post", url, Multipart(make_file=lambda: upload("notes.txt", b"Plain notes.\n")))
    assert response.status_code == 422 and "does not allow" in response.json()["detail"]
    response = call(client, "post", url, Multipart(make_file=lambda: None))  # no file at all
    assert response.status_code == 422 and response.json()["detail"].startswith("file")
    assert not Attachment.objects.exists()
    assert not list(media_root.rglob("*")) or all(p.is_dir() for p in media_root.rglob("*"))
    response = call(client, "post", url, Multipart(make_file=lambda: upload("ok.pdf", pdf_bytes())))
    assert response.status_code == 201


def test_red_files_are_view_only_unless_the_partnership_allows_downloads(client_for, world):
    post = make_post(
        world, world.coordinator, tlp="red", people=[world.member], files=[upload("raid.pdf")], title="Raid"
    )
    attachment = post.attachments.get()
    client = client_for(world.member)
    detail = client.get(f"{base(world)}/posts/{post.code}").json()
    assert detail["may_download"] is False and detail["may_export"] is False
    assert [p["code"] for p in detail["recipient_people"]] == [str(world.member.code)]
    response = client.get(f"{base(world)}/files/{attachment.code}")
    assert response.status_code == 403 and response.json()["code"] == "view_only"
    assert not AccessLog.objects.filter(action="download").exists()

    services.settings_update(actor=world.coordinator, partnership=world.partnership_a, red_downloads=True)
    assert client.get(f"{base(world)}/posts/{post.code}").json()["may_download"] is True
    listed = client.get(f"{base(world)}/posts").json()["items"]
    assert [p["may_download"] for p in listed if p["code"] == str(post.code)] == [True]
    assert client.get(f"{base(world)}/files/{attachment.code}").status_code == 200
    assert AccessLog.objects.filter(action="download", user=world.member).count() == 1
    # The viewer is not a named recipient: neither the post nor its file exists for them.
    assert client_for(world.viewer).get(f"{base(world)}/files/{attachment.code}").status_code == 404


# The export ---------------------------------------------------------------------------------------------


def test_export_holds_no_amber_strict_or_red_posts_and_is_recorded(client_for, world):
    for label in ("clear", "green", "amber", "amber+strict", "red"):
        make_post(
            world,
            world.coordinator,
            tlp=label,
            title=f"Export {label}",
            orgs=[world.org_city_a],
            people=[world.member],
        )
    client = client_for(world.member)
    before = AuditEvent.objects.filter(action="exchange.post.exported").count()
    response = client.get(f"{base(world)}/exports/posts")
    assert response.status_code == 200
    exported = response.json()
    assert sorted(p["tlp"] for p in exported) == ["amber", "clear", "green"]
    assert not {"Export amber+strict", "Export red"} & {p["title"] for p in exported}
    assert all(p["author"] == "Cora Coordinator" for p in exported)
    events = AuditEvent.objects.filter(action="exchange.post.exported")
    assert events.count() == before + 1 and events.last().after == {"format": "json", "count": 3}
    # The viewer's organisation is no AMBER recipient: the viewer exports CLEAR and GREEN only.
    assert sorted(p["tlp"] for p in client_for(world.viewer).get(f"{base(world)}/exports/posts").json()) == [
        "clear",
        "green",
    ]


# Documents ----------------------------------------------------------------------------------------------


def test_document_with_versions_through_the_api(client_for, world):
    client = client_for(world.member)
    response = call(
        client,
        "post",
        f"{base(world)}/documents",
        Multipart(
            {
                "title": "Engine register",
                "description": "Serial numbers.",
                "tlp": "amber",
                "recipient_organisations": [org(world.org_police_a)],
                "note": "First draft",
            },
            make_file=lambda: upload("register.docx", docx_bytes("Serials")),
        ),
    )
    assert response.status_code == 201, response.content
    document = response.json()
    assert document["tlp"] == "amber" and [v["number"] for v in document["versions"]] == [1]
    assert {o["code"] for o in document["recipient_organisations"]} == {
        org(world.org_city_a),
        org(world.org_police_a),
    }
    url = f"{base(world)}/documents/{document['code']}"

    coordinator = client_for(world.coordinator)
    response = call(
        coordinator,
        "post",
        f"{url}/versions",
        Multipart({"note": "Police additions"}, make_file=lambda: upload("register.pdf")),
    )
    assert response.status_code == 201 and response.json()["number"] == 2
    detail = coordinator.get(url).json()
    assert [v["number"] for v in detail["versions"]] == [2, 1] and detail["latest_version"]["number"] == 2
    assert AccessLog.objects.filter(
        item_code=document["code"], user=world.coordinator, action="view"
    ).exists()
    version = DocumentVersion.objects.get(document__code=document["code"], number=1)
    response = coordinator.get(f"{base(world)}/versions/{version.code}/file")
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml"
    )
    response = call(coordinator, "patch", url, {"description": None, "title": "Engine register 2025"})
    assert response.status_code == 200, response.content
    assert response.json()["description"] == ""
    assert client_for(world.viewer).get(url).status_code == 404
    assert client_for(world.viewer).get(f"{base(world)}/versions/{version.code}/file").status_code == 404


def test_document_with_a_bad_file_stores_nothing(client_for, world):
    client = client_for(world.member)
    before = (Document.objects.count(), AuditEvent.objects.count())
    for make_file, field in (
        (lambda: upload("register.pdf", exe_bytes()), "file"),
        (lambda: None, "file"),
        (lambda: upload("register.pdf"), "title"),
    ):
        fields = {"title": "Register", "tlp": "green"}
        if field == "title":
            fields["title"] = ""
        response = call(client, "post", f"{base(world)}/documents", Multipart(fields, make_file=make_file))
        assert response.status_code == 422, response.content
        assert response.json()["detail"].startswith(field), response.json()["detail"]
    assert (Document.objects.count(), AuditEvent.objects.count()) == before


# Query counts -------------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, {"limit": "100"})
    assert response.status_code == 200
    return len(context.captured_queries)


def _posts(world, n: int, start: int = 0):
    for i in range(start, start + n):
        label = ("green", "amber", "red")[i % 3]
        make_post(
            world,
            world.coordinator,
            tlp=label,
            title=f"Post {i}",
            orgs=[world.org_city_a],
            people=[world.member],
            files=[upload(f"file{i}.txt", b"Some text.\n")],
        )


def test_post_and_document_lists_cost_the_same_for_few_and_many(client_for, world):
    services.settings_update(actor=world.coordinator, partnership=world.partnership_a, red_downloads=True)
    client = client_for(world.member)
    _posts(world, 3)
    for i in range(2):
        make_document(
            world, world.coordinator, tlp=("green", "amber")[i], orgs=[world.org_city_a], title=f"D{i}"
        )
    few_posts, few_documents = (
        _queries(client, f"{base(world)}/posts"),
        _queries(client, f"{base(world)}/documents"),
    )
    _posts(world, 12, start=3)
    for i in range(2, 12):
        make_document(
            world, world.coordinator, tlp=("green", "amber")[i % 2], orgs=[world.org_city_a], title=f"D{i}"
        )
    assert client.get(f"{base(world)}/posts").json()["count"] == 15
    assert _queries(client, f"{base(world)}/posts") == few_posts
    assert _queries(client, f"{base(world)}/documents") == few_documents
