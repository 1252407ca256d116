"""Exchange pages for posts, their files, labels, forwarding, deleting and the CSV export, through the test
client: every page renders for a member, forms show their errors next to the field, and the label is
enforced (an AMBER post is a 404 for a third organisation, a RED file is viewed but not downloaded)."""

import csv
import io

import pytest
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.exchange.models import AccessLog, Attachment, ExchangeSettings, Post
from safepact.exchange.tests.factories import (  # noqa: F401 - fixtures
    docx_bytes,
    exe_bytes,
    make_post,
    media_root,
    search_stub,
    upload,
)
from safepact.partnerships.services import partnership_create


@pytest.fixture(autouse=True)
def _media(media_root):  # noqa: F811 - the fixture imported above
    return media_root


def url(name, world, *args):
    return reverse(f"exchange:{name}", args=[world.partnership_a.code, *args])


def page(response) -> str:
    return response.content.decode()


# The overview -----------------------------------------------------------------------------------------


def test_home_shows_latest_visible_posts_and_links(client_for, world):
    make_post(world, world.coordinator, title="Bicycle thefts at the station")
    make_post(world, world.coordinator, tlp="amber", title="Police only: surveillance plan")
    client = client_for(world.member)
    response = client.get(url("home", world))
    assert response.status_code == 200
    html = page(response)
    assert "Bicycle thefts at the station" in html
    assert "surveillance plan" not in html  # AMBER for the police only
    assert url("posts", world) in html and url("documents", world) in html and url("search", world) in html
    assert url("post_new", world) in html
    assert url("settings", world) not in html  # coordinators only


def test_home_for_coordinator_and_viewer(client_for, world):
    html = page(client_for(world.coordinator).get(url("home", world)))
    assert url("settings", world) in html
    client = client_for(world.viewer)
    html = page(client.get(url("home", world)))
    assert url("post_new", world) not in html  # viewers read only
    assert url("settings", world) not in html


# Posts: list, filter, pages ------------------------------------------------------------------------------


def test_post_list_filters_by_kind_and_serves_the_htmx_fragment(client_for, world):
    make_post(world, world.coordinator, kind="warning", title="Warning: fake police callers")
    make_post(world, world.coordinator, kind="news", title="New shop opens")
    client = client_for(world.member)
    full = client.get(url("posts", world))
    assert full.status_code == 200
    assert "Warning: fake police callers" in page(full) and "New shop opens" in page(full)
    assert "<html" in page(full)

    fragment = client.get(url("posts", world), {"kind": "warning"}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200
    assert "<html" not in page(fragment)
    assert "Warning: fake police callers" in page(fragment) and "New shop opens" not in page(fragment)

    plain = client.get(url("posts", world), {"kind": "nonsense"})
    assert plain.status_code == 200
    assert "Select a valid choice" in page(plain) or "New shop opens" in page(plain)


def test_post_list_pages(client_for, world):
    for i in range(27):
        make_post(world, world.coordinator, title=f"Numbered post {i:02d}")
    client = client_for(world.member)
    first = page(client.get(url("posts", world)))
    assert "Numbered post 26" in first and "Numbered post 01" not in first
    assert "Page 1 of 2" in first
    second = page(client.get(url("posts", world), {"page": 2}))
    assert "Numbered post 01" in second and "Numbered post 26" not in second


# Posts: create -------------------------------------------------------------------------------------------


def test_member_publishes_a_green_post_with_a_file(client_for, world):
    client = client_for(world.member)
    form = client.get(url("post_new", world))
    assert form.status_code == 200
    html = page(form)
    assert 'enctype="multipart/form-data"' in html
    assert "Polisen Malmö" in html and "Malmö stad" in html  # recipient organisations offered
    assert "Mats Member" in html  # recipient people offered
    assert "At most 20 MB per file" in html  # the limits are shown
    response = client.post(
        url("post_new", world),
        {
            "kind": "good_practice",
            "title": "Lighting in the alley works",
            "body": "Since the **new lights** fewer break-ins.",
            "tlp": "green",
            "files": [upload("report.pdf")],
        },
    )
    assert response.status_code == 302
    post = Post.objects.get(title="Lighting in the alley works")
    assert response["Location"] == url("post", world, post.code)
    assert post.created_by == world.member and post.tlp == "green" and post.kind == "good_practice"
    detail = client.get(response["Location"])
    html = page(detail)
    assert "<strong>new lights</strong>" in html  # Markdown rendered
    attachment = post.attachments.get()
    assert attachment.name == "report.pdf"
    assert url("attachment_view", world, attachment.code) in html
    assert url("attachment_download", world, attachment.code) in html
    assert "Your post was published." in html


def test_create_form_shows_field_errors_and_stores_nothing(client_for, world):
    client = client_for(world.member)
    response = client.post(url("post_new", world), {"kind": "news", "title": "", "body": "", "tlp": "green"})
    assert response.status_code == 422
    html = page(response)
    assert 'id="error-summary"' in html and "This field is required." in html
    # AMBER without a recipient organisation: the service names the field.
    response = client.post(
        url("post_new", world), {"kind": "news", "title": "Amber", "body": "Text", "tlp": "amber"}
    )
    assert response.status_code == 422
    assert f'href="#{"id_recipient_organisations"}"' in page(response)
    # RED without a recipient person.
    response = client.post(
        url("post_new", world), {"kind": "news", "title": "Red", "body": "Text", "tlp": "red"}
    )
    assert response.status_code == 422
    assert 'href="#id_recipient_people"' in page(response)
    # A program named .pdf.
    response = client.post(
        url("post_new", world),
        {
            "kind": "news",
            "title": "File",
            "body": "Text",
            "tlp": "green",
            "files": [upload("x.pdf", exe_bytes())],
        },
    )
    assert response.status_code == 422
    assert 'href="#id_files"' in page(response) and "x.pdf" in page(response)
    assert not Post.objects.exists() and not Attachment.objects.exists()


def test_amber_post_to_chosen_organisations(client_for, world):
    client = client_for(world.coordinator)
    response = client.post(
        url("post_new", world),
        {
            "kind": "warning",
            "title": "Gang active on Friday nights",
            "body": "Details.",
            "tlp": "amber",
            "recipient_organisations": [str(world.org_city_a.code)],
        },
    )
    assert response.status_code == 302
    post = Post.objects.get()
    assert set(post.recipient_organisations.all()) == {world.org_city_a, world.org_police_a}  # own org added
    assert client_for(world.member).get(url("post", world, post.code)).status_code == 200
    assert (
        client_for(world.viewer).get(url("post", world, post.code)).status_code == 404
    )  # third organisation


# Posts: detail, label enforcement and the access log ------------------------------------------------------------


def test_amber_post_is_not_found_by_a_third_organisation(client_for, world):
    post = make_post(
        world, world.coordinator, tlp="amber", title="For the police", files=[upload("plan.pdf")]
    )
    attachment = post.attachments.get()
    client = client_for(world.member)  # the city: not a recipient
    assert client.get(url("post", world, post.code)).status_code == 404
    assert client.get(url("attachment_view", world, attachment.code)).status_code == 404
    assert client.get(url("attachment_download", world, attachment.code)).status_code == 404
    assert client.get(url("post_label", world, post.code)).status_code == 404
    assert client.get(url("access_log", world, "post", post.code)).status_code == 404
    assert "For the police" not in page(client.get(url("posts", world)))
    assert not AccessLog.objects.exists()


def test_reading_a_restricted_post_is_logged_and_its_author_sees_the_log(client_for, world):
    post = make_post(world, world.coordinator, tlp="amber", orgs=[world.org_city_a], title="Shared warning")
    member = client_for(world.member)
    response = member.get(url("post", world, post.code))
    assert response.status_code == 200
    html = page(response)
    assert "TLP:AMBER" in html and "for the recipient organisations only" in html  # label and description
    assert 'id="access-logged"' in html
    assert url("access_log", world, "post", post.code) not in html  # not the author
    entry = AccessLog.objects.get()
    assert (entry.user, entry.item_code, entry.action, entry.tlp) == (
        world.member,
        post.code,
        "view",
        "amber",
    )
    assert member.get(url("access_log", world, "post", post.code)).status_code == 403

    author = client_for(world.coordinator)
    html = page(author.get(url("post", world, post.code)))
    assert url("access_log", world, "post", post.code) in html
    log = author.get(url("access_log", world, "post", post.code))
    assert log.status_code == 200
    assert "Mats Member" in page(log) and "Malmö stad" in page(log)


def test_green_post_is_not_logged(client_for, world):
    post = make_post(world, world.coordinator)
    assert client_for(world.member).get(url("post", world, post.code)).status_code == 200
    assert not AccessLog.objects.exists()
    log = client_for(world.coordinator).get(url("access_log", world, "post", post.code))
    assert log.status_code == 200 and 'id="not-logged"' in page(log)


def test_red_file_is_viewed_inline_but_not_downloaded(client_for, world):
    post = make_post(
        world,
        world.coordinator,
        tlp="red",
        people=[world.member],
        title="Named informant",
        files=[upload("statement.pdf")],
    )
    attachment = post.attachments.get()
    client = client_for(world.member)
    html = page(client.get(url("post", world, post.code)))
    assert url("attachment_view", world, attachment.code) in html
    assert url("attachment_download", world, attachment.code) not in html
    assert 'id="no-download"' in html and 'id="no-forward"' in html

    view = client.get(url("attachment_view", world, attachment.code))
    assert view.status_code == 200
    assert view["Content-Disposition"].startswith("inline")
    assert view["X-Content-Type-Options"] == "nosniff"
    assert view["Content-Security-Policy"] == "sandbox"
    assert view["Cache-Control"] == "private, no-store"
    assert view["Content-Type"] == "application/pdf"
    assert b"".join(view.streaming_content).startswith(b"%PDF")

    assert client.get(url("attachment_download", world, attachment.code)).status_code == 403
    actions = list(AccessLog.objects.filter(file_code=attachment.code).values_list("action", flat=True))
    assert actions == ["view"]  # the refused download is not a download

    ExchangeSettings.objects.update_or_create(
        partnership=world.partnership_a, defaults={"red_downloads": True}
    )
    download = client.get(url("attachment_download", world, attachment.code))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert 'filename="statement.pdf"' in download["Content-Disposition"]
    assert (
        AccessLog.objects.filter(file_code=attachment.code, action="download", user=world.member).count() == 1
    )
    # The viewer is not named: the post and its file do not exist for them.
    assert client_for(world.viewer).get(url("attachment_view", world, attachment.code)).status_code == 404


def test_office_file_is_downloaded_not_shown(client_for, world):
    post = make_post(world, world.coordinator, files=[upload("minutes.docx", docx_bytes())])
    attachment = post.attachments.get()
    client = client_for(world.member)
    html = page(client.get(url("post", world, post.code)))
    assert url("attachment_view", world, attachment.code) not in html  # no "view" for office files
    view = client.get(url("attachment_view", world, attachment.code))
    assert view.status_code == 302 and view["Location"] == url("attachment_download", world, attachment.code)
    download = client.get(view["Location"])
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")


def test_text_file_is_shown_as_plain_text(client_for, world):
    post = make_post(world, world.coordinator, files=[upload("plates.csv")])
    view = client_for(world.member).get(url("attachment_view", world, post.attachments.get().code))
    assert view.status_code == 200 and view["Content-Type"] == "text/plain; charset=utf-8"


# Posts: edit, label, delete, attach -----------------------------------------------------------------------


def test_author_edits_the_post_and_others_may_not(client_for, world):
    post = make_post(world, world.member, title="Old title")
    client = client_for(world.member)
    form = client.get(url("post_edit", world, post.code))
    assert form.status_code == 200 and "Old title" in page(form)
    response = client.post(
        url("post_edit", world, post.code), {"kind": "update", "title": "New title", "body": "B"}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.title, post.kind) == ("New title", "update")
    errors = client.post(url("post_edit", world, post.code), {"kind": "update", "title": "", "body": "B"})
    assert errors.status_code == 422 and 'href="#id_title"' in page(errors)

    theirs = make_post(world, world.coordinator, title="Coordinator's")
    assert client.get(url("post_edit", world, theirs.code)).status_code == 403
    assert client.post(url("post_delete", world, theirs.code)).status_code == 403
    assert client.get(url("post_label", world, theirs.code)).status_code == 403
    # A coordinator may edit anyone's post.
    coordinator = client_for(world.coordinator)
    assert coordinator.get(url("post_edit", world, post.code)).status_code == 200


def test_lowering_a_label_asks_for_a_reason(client_for, world):
    post = make_post(world, world.coordinator, tlp="amber", orgs=[world.org_city_a], title="Lowered")
    client = client_for(world.coordinator)
    form = client.get(url("post_label", world, post.code))
    assert form.status_code == 200
    html = page(form)
    assert 'value="amber" id="id_tlp_2" checked' in html.replace("\n", " ") or "checked" in html
    response = client.post(url("post_label", world, post.code), {"tlp": "green", "reason": ""})
    assert response.status_code == 422
    assert 'href="#id_reason"' in page(response)
    post.refresh_from_db()
    assert post.tlp == "amber"

    response = client.post(
        url("post_label", world, post.code), {"tlp": "green", "reason": "Now public knowledge"}
    )
    assert response.status_code == 302 and response["Location"] == url("post", world, post.code)
    post.refresh_from_db()
    assert post.tlp == "green"
    event = AuditEvent.objects.filter(action="exchange.post.relabelled").get()
    assert event.reason == "Now public knowledge"
    assert client_for(world.viewer).get(url("post", world, post.code)).status_code == 200

    # Raising needs no reason.
    client = client_for(world.coordinator)
    response = client.post(
        url("post_label", world, post.code), {"tlp": "red", "recipient_people": [str(world.member.code)]}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.tlp == "red" and list(post.recipient_people.all()) == [world.member]
    assert client_for(world.viewer).get(url("post", world, post.code)).status_code == 404


def test_delete_asks_first_then_removes(client_for, world):
    post = make_post(world, world.member, title="To remove", files=[upload("a.pdf")])
    client = client_for(world.member)
    confirm = client.get(url("post_delete", world, post.code))
    assert confirm.status_code == 200
    assert "One attachment is removed with it." in page(confirm)
    assert Post.objects.filter(pk=post.pk).exists()
    response = client.post(url("post_delete", world, post.code))
    assert response.status_code == 302 and response["Location"] == url("posts", world)
    assert not Post.objects.filter(pk=post.pk).exists()
    assert client.get(url("post", world, post.code)).status_code == 404


def test_attach_files_to_a_post(client_for, world):
    post = make_post(world, world.member)
    client = client_for(world.member)
    form = client.get(url("post_attachment_new", world, post.code))
    assert form.status_code == 200 and 'enctype="multipart/form-data"' in page(form)
    response = client.post(
        url("post_attachment_new", world, post.code), {"files": [upload("a.pdf"), upload("b.png")]}
    )
    assert response.status_code == 302
    assert sorted(post.attachments.values_list("name", flat=True)) == ["a.pdf", "b.png"]
    # One bad file: nothing is attached, and the error names the file.
    response = client.post(
        url("post_attachment_new", world, post.code),
        {"files": [upload("c.pdf"), upload("evil.pdf", exe_bytes())]},
    )
    assert response.status_code == 422 and "evil.pdf" in page(response)
    assert post.attachments.count() == 2
    empty = client.post(url("post_attachment_new", world, post.code), {})
    assert empty.status_code == 422 and 'href="#id_files"' in page(empty)


# Forwarding -------------------------------------------------------------------------------------------------


@pytest.fixture
def second_partnership(world):
    return partnership_create(
        actor=world.coordinator,
        organisation=world.org_police_a,
        name="Rosengård partnership",
        purpose="Safe Rosengård.",
        country="SE",
        crime_areas=["burglary"],
    )


def test_forward_a_green_post_to_another_partnership(client_for, world, second_partnership):
    post = make_post(world, world.coordinator, title="Forward me")
    client = client_for(world.coordinator)
    html = page(client.get(url("post", world, post.code)))
    assert 'id="forward-form"' in html and "Rosengård partnership" in html
    response = client.post(
        url("post_forward", world, post.code), {"partnership": str(second_partnership.code)}
    )
    assert response.status_code == 302
    copy = Post.objects.get(partnership=second_partnership)
    assert response["Location"] == reverse("exchange:post", args=[second_partnership.code, copy.code])
    assert copy.forwarded_from_id == post.pk and copy.title == "Forward me"
    # A partnership I am not in cannot be chosen.
    response = client.post(
        url("post_forward", world, post.code), {"partnership": str(world.partnership_b.code)}
    )
    assert response.status_code == 302 and Post.objects.filter(partnership=world.partnership_b).count() == 0


def test_strict_and_red_posts_cannot_be_forwarded(client_for, world, second_partnership):
    strict = make_post(world, world.coordinator, tlp="amber+strict", title="Strict")
    client = client_for(world.coordinator)
    html = page(client.get(url("post", world, strict.code)))
    assert 'id="forward-form"' not in html and 'id="no-forward"' in html
    response = client.post(
        url("post_forward", world, strict.code), {"partnership": str(second_partnership.code)}
    )
    assert response.status_code == 302
    assert not Post.objects.filter(partnership=second_partnership).exists()
    assert "cannot be forwarded" in page(client.get(response["Location"]))


# Export -------------------------------------------------------------------------------------------------------


def test_export_holds_only_exportable_posts_and_is_recorded(client_for, world):
    make_post(world, world.coordinator, title="=HYPERLINK(evil)")
    make_post(world, world.coordinator, tlp="amber", orgs=[world.org_city_a], title="Amber shared")
    make_post(world, world.coordinator, tlp="amber+strict", orgs=[world.org_city_a], title="Strict stays")
    make_post(world, world.coordinator, tlp="red", people=[world.member], title="Red stays")
    client = client_for(world.member)
    assert client.get(url("posts_export", world)).status_code == 405
    response = client.post(url("posts_export", world))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    titles = {row[4] for row in rows[1:]}
    assert titles == {"'=HYPERLINK(evil)", "Amber shared"}  # formula defused; strict and red stay
    event = AuditEvent.objects.filter(action="exchange.post.exported").get()
    assert event.actor_code == str(world.member.code)
    # The viewer's export lacks the AMBER post (not a recipient).
    rows = list(
        csv.reader(io.StringIO(client_for(world.viewer).post(url("posts_export", world)).content.decode()))
    )
    assert {row[4] for row in rows[1:]} == {"'=HYPERLINK(evil)"}


def test_access_log_pages(client_for, world):
    from safepact.exchange.services import access_record

    post = make_post(world, world.coordinator, tlp="amber", orgs=[world.org_city_a], title="Often read")
    for _i in range(55):
        access_record(user=world.member, item=post)
    client = client_for(world.coordinator)
    first = page(client.get(url("access_log", world, "post", post.code)))
    assert "55 recorded accesses." in first and "Page 1 of 2" in first and 'rel="next"' in first
    second = page(client.get(url("access_log", world, "post", post.code), {"page": 2}))
    assert "Page 2 of 2" in second and second.count("Mats Member") == 5
