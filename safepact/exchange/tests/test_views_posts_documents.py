"""Exchange pages for documents and their versions, the search page, the access log of documents and
requests, and the settings, through the test client."""

import pytest
from django.urls import reverse

from safepact.exchange.models import AccessLog, Document, DocumentVersion, ExchangeSettings
from safepact.exchange.tests.factories import (  # noqa: F401 - fixtures
    docx_bytes,
    exe_bytes,
    make_document,
    make_post,
    media_root,
    upload,
)


@pytest.fixture(autouse=True)
def _media(media_root):  # noqa: F811 - the fixture imported above
    return media_root


def url(name, world, *args):
    return reverse(f"exchange:{name}", args=[world.partnership_a.code, *args])


def page(response) -> str:
    return response.content.decode()


# Documents ---------------------------------------------------------------------------------------------


def test_member_adds_a_document_and_a_new_version(client_for, world):
    client = client_for(world.member)
    form = client.get(url("document_new", world))
    assert form.status_code == 200
    assert 'enctype="multipart/form-data"' in page(form) and 'id="tlp-fields"' in page(form)
    response = client.post(
        url("document_new", world),
        {
            "title": "Covenant draft",
            "description": "The *draft* covenant.",
            "tlp": "amber",
            "recipient_organisations": [str(world.org_police_a.code)],
            "upload": upload("covenant.pdf"),
            "note": "First draft",
        },
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert response["Location"] == url("document", world, document.code)
    assert set(document.recipient_organisations.all()) == {world.org_police_a, world.org_city_a}
    html = page(client.get(response["Location"]))
    assert "<em>draft</em>" in html and "First draft" in html and "TLP:AMBER" in html
    version = document.versions.get()
    assert url("version_view", world, version.code) in html
    assert url("version_download", world, version.code) in html
    assert url("access_log", world, "document", document.code) in html  # the author's

    form = client.get(url("document_version_new", world, document.code))
    assert form.status_code == 200
    response = client.post(
        url("document_version_new", world, document.code),
        {"upload": upload("covenant-v2.pdf"), "note": "Signed"},
    )
    assert response.status_code == 302
    assert list(document.versions.order_by("number").values_list("number", "note")) == [
        (1, "First draft"),
        (2, "Signed"),
    ]
    # The viewer (a third organisation) does not see the document at all.
    viewer = client_for(world.viewer)
    assert viewer.get(url("document", world, document.code)).status_code == 404
    assert viewer.get(url("version_view", world, version.code)).status_code == 404
    assert "Covenant draft" not in page(viewer.get(url("documents", world)))


def test_document_form_errors(client_for, world):
    client = client_for(world.member)
    response = client.post(url("document_new", world), {"title": "", "tlp": "green"})
    assert response.status_code == 422
    html = page(response)
    assert 'href="#id_title"' in html and 'href="#id_upload"' in html
    response = client.post(
        url("document_new", world),
        {"title": "Program", "tlp": "green", "upload": upload("setup.pdf", exe_bytes())},
    )
    assert (
        response.status_code == 422
        and 'href="#id_upload"' in page(response)
        and "setup.pdf" in page(response)
    )
    assert not Document.objects.exists() and not DocumentVersion.objects.exists()
    document = make_document(world, world.member)
    response = client.post(url("document_version_new", world, document.code), {"note": "nothing"})
    assert response.status_code == 422 and 'href="#id_upload"' in page(response)
    assert document.versions.count() == 1


def test_document_edit_and_label(client_for, world):
    document = make_document(world, world.coordinator, title="Plan")
    client = client_for(world.member)
    assert client.get(url("document_edit", world, document.code)).status_code == 403  # not the author
    assert client.get(url("document_label", world, document.code)).status_code == 403
    # Any write member who may see it adds a version.
    assert client.get(url("document_version_new", world, document.code)).status_code == 200

    client = client_for(world.coordinator)
    response = client.post(
        url("document_edit", world, document.code), {"title": "Plan 2026", "description": "New"}
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.title == "Plan 2026"
    response = client.post(
        url("document_label", world, document.code),
        {"tlp": "red", "recipient_people": [str(world.member.code)]},
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.tlp == "red"
    response = client.post(url("document_label", world, document.code), {"tlp": "clear"})
    assert response.status_code == 422 and 'href="#id_reason"' in page(response)


def test_red_document_version_viewed_not_downloaded(client_for, world):
    document = make_document(world, world.coordinator, tlp="red", people=[world.member])
    version = document.versions.get()
    client = client_for(world.member)
    html = page(client.get(url("document", world, document.code)))
    assert url("version_view", world, version.code) in html
    assert url("version_download", world, version.code) not in html
    view = client.get(url("version_view", world, version.code))
    assert view.status_code == 200 and view["Content-Disposition"].startswith("inline")
    assert view["Content-Security-Policy"] == "sandbox" and view["X-Content-Type-Options"] == "nosniff"
    assert client.get(url("version_download", world, version.code)).status_code == 403
    assert list(AccessLog.objects.filter(file_code=version.code).values_list("action", flat=True)) == ["view"]
    assert AccessLog.objects.filter(file_code=None, item_code=document.code).count() == 1  # the page itself


def test_red_office_file_can_be_neither_shown_nor_downloaded(client_for, world):
    document = make_document(
        world, world.coordinator, tlp="red", people=[world.member], upload=upload("list.docx", docx_bytes())
    )
    version = document.versions.get()
    client = client_for(world.member)
    assert client.get(url("version_view", world, version.code)).status_code == 403
    assert client.get(url("version_download", world, version.code)).status_code == 403
    assert not AccessLog.objects.filter(file_code=version.code).exists()


def test_documents_list_pages(client_for, world):
    for i in range(27):
        make_document(world, world.coordinator, title=f"Numbered document {i:02d}")
    client = client_for(world.viewer)
    first = client.get(url("documents", world))
    assert first.status_code == 200 and "Page 1 of 2" in page(first)
    fragment = client.get(url("documents", world), {"page": 2}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and "<html" not in page(fragment) and "Page 2 of 2" in page(fragment)


# Access log of a request --------------------------------------------------------------------------------


def test_access_log_of_a_request(client_for, world):
    from datetime import timedelta

    from safepact.exchange import services
    from safepact.lib import clock
    from safepact.partnerships.models import Partner

    city = Partner.objects.get(partnership=world.partnership_a, organisation=world.org_city_a)
    request = services.request_create(
        actor=world.coordinator,
        partnership=world.partnership_a,
        title="Engine owner",
        question="Who bought it?",
        purpose="Return it.",
        legal_basis="public_task",
        deadline=clock.today() + timedelta(days=7),
        tlp="amber",
        recipient_partners=[city],
    )
    services.request_submit(actor=world.coordinator, request=request)
    client = client_for(world.coordinator)
    response = client.get(url("access_log", world, "request", request.code))
    assert response.status_code == 200
    assert url("request", world, request.code) in page(response)
    assert client_for(world.member).get(url("access_log", world, "request", request.code)).status_code == 403
    assert client_for(world.viewer).get(url("access_log", world, "request", request.code)).status_code == 404


# Search -------------------------------------------------------------------------------------------------


def test_search_finds_only_what_the_member_may_see(client_for, world):
    make_post(world, world.coordinator, title="Burglary wave in Sofielund", body="Doors forced at night.")
    make_post(world, world.coordinator, tlp="amber", title="Burglary suspects (police only)")
    make_document(world, world.coordinator, title="Burglary prevention leaflet")
    client = client_for(world.member)
    empty = client.get(url("search", world))
    assert empty.status_code == 200 and 'role="search"' in page(empty)
    response = client.get(url("search", world), {"q": "burglary"})
    assert response.status_code == 200
    html = page(response)
    assert "Burglary wave in Sofielund" in html and "Burglary prevention leaflet" in html
    assert "police only" not in html
    assert "TLP:GREEN" in html
    only_posts = page(client.get(url("search", world), {"q": "burglary", "kinds": ["post"]}))
    assert "Burglary wave in Sofielund" in only_posts and "leaflet" not in only_posts
    fragment = client.get(url("search", world), {"q": "burglary"}, HTTP_HX_REQUEST="true")
    assert "<html" not in page(fragment) and "Burglary wave" in page(fragment)
    odd = client.get(url("search", world), {"q": '"burglary* AND (NEAR'})
    assert odd.status_code == 200
    nothing = page(client.get(url("search", world), {"q": "zebra"}))
    assert "Nothing found for “zebra”." in nothing


def test_search_more_results(client_for, world):
    for i in range(23):
        make_post(world, world.coordinator, title=f"Graffiti report {i}")
    client = client_for(world.member)
    first = page(client.get(url("search", world), {"q": "graffiti"}))
    assert 'id="more-results"' in first and "offset=20" in first
    second = page(client.get(url("search", world), {"q": "graffiti", "offset": 20}))
    assert 'id="more-results"' not in second and "Results 21 to 23" in second


# Settings -----------------------------------------------------------------------------------------------


def test_coordinator_changes_the_settings(client_for, world):
    client = client_for(world.coordinator)
    form = client.get(url("settings", world))
    assert form.status_code == 200 and "TLP:RED files may be downloaded" in page(form)
    data = {
        "max_upload_mb": "5",
        "allowed_types": ["pdf", "text"],
        "red_downloads": "on",
        "post_retention_days": "400",
        "document_retention_days": "800",
        "request_retention_days": "300",
        "reminder_days": "3",
    }
    response = client.post(url("settings", world), data)
    assert response.status_code == 302
    saved = ExchangeSettings.objects.get(partnership=world.partnership_a)
    assert (saved.max_upload_mb, saved.allowed_types, saved.red_downloads) == (5, ["pdf", "text"], True)
    assert "At most 5 MB per file" in page(client.get(url("post_new", world)))

    response = client.post(url("settings", world), {**data, "max_upload_mb": "100000"})
    assert response.status_code == 422 and 'href="#id_max_upload_mb"' in page(response)
    response = client.post(url("settings", world), {**data, "max_upload_mb": "6", "post_retention_days": "1"})
    assert response.status_code == 422 and 'href="#id_post_retention_days"' in page(
        response
    )  # the service's floor
    assert ExchangeSettings.objects.get(partnership=world.partnership_a).max_upload_mb == 5

    assert client_for(world.member).get(url("settings", world)).status_code == 403
