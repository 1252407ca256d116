"""Security review of the information exchange: each test pins a defect that was found and fixed.

* A request's label keeps its recipients in step with the addressed organisations (never a third
  organisation, never a person outside them; RED and back keeps them).
* Raising a label neutralises the notifications already sent about the item (in the app and in digests).
* Four eyes: a request changed after its Five Safes assessment was submitted or approved needs a fresh look.
* Files of a draft request are not readable by the addressed organisations; files of an answer follow the
  request's visibility, as the answer itself does.
* Uploads: zip bombs in office files, format characters in file names.
* The request page does not tell an addressed organisation whether another one answered.
"""

import io
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse

from safepact.exchange import selectors, services
from safepact.exchange.models import Assessment, AssessmentStatus, Attachment, ExchangeSettings, RequestStatus
from safepact.exchange.tests.factories import (
    add_person,
    audit_events,
    docx_bytes,
    make_post,
    media_root,  # noqa: F401 - fixture
    upload,
)
from safepact.exchange.tests.request_factories import (
    NOW,
    fill_assessment,
    make_cast,
    make_request,
    reload,
    sent_request,
)
from safepact.exchange.uploads import check_upload
from safepact.lib import clock
from safepact.lib.tlp import RESTRICTED, TLP
from safepact.notifications.models import Notification
from safepact.partnerships.tlp import may_see

pytestmark = pytest.mark.usefixtures("media_root")


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def cast(world):
    return make_cast(world, second_coordinator=True)


def url(world, name, *args):
    return reverse(f"exchange:{name}", args=[world.partnership_a.code, *args])


# A request's label and its recipients -----------------------------------------------------------------


def test_relabel_of_a_request_cannot_hand_it_to_an_organisation_that_was_not_asked(world, cast):
    request = sent_request(world, cast)  # AMBER, police asks the city and the shop
    with pytest.raises(ValidationError) as caught:
        services.label_change(
            actor=world.coordinator,
            item=request,
            tlp="amber+strict",
            recipient_organisations=[cast.org_garage],
        )
    assert "recipient_organisations" in caught.value.message_dict
    request = reload(request)
    assert request.tlp == TLP.AMBER
    assert not may_see(cast.garage, request)
    assert may_see(world.member, request) and may_see(cast.dealer, request)


def test_relabel_of_a_request_to_red_names_only_people_of_the_addressed_organisations(world, cast):
    request = sent_request(world, cast)
    with pytest.raises(ValidationError) as caught:
        services.label_change(
            actor=world.coordinator, item=request, tlp="red", recipient_people=[world.member, cast.garage]
        )
    assert "recipient_people" in caught.value.message_dict
    assert not may_see(cast.garage, reload(request))


def test_a_request_relabelled_red_and_back_keeps_its_organisations_in_step(world, cast):
    request = sent_request(world, cast)
    services.label_change(
        actor=world.coordinator, item=request, tlp="red", recipient_people=[world.member, cast.dealer]
    )
    request = reload(request)
    assert request.tlp == TLP.RED
    # as ``sync_request_recipients`` keeps them: the requesting and the addressed organisations
    assert set(request.recipient_organisations.all()) == {
        world.org_police_a,
        world.org_city_a,
        world.org_shop_a,
    }
    assert set(request.recipient_people.all()) == {world.coordinator, world.member, cast.dealer}
    assert may_see(cast.dealer, request) and not may_see(world.viewer, request)
    # back to AMBER without naming organisations: the addressed ones, as before
    services.label_change(actor=world.coordinator, item=request, tlp="amber", reason="Wider again.")
    request = reload(request)
    assert request.tlp == TLP.AMBER
    assert may_see(world.viewer, request) and not may_see(cast.garage, request)
    (event, _second) = audit_events("exchange.request.relabelled")
    assert "Recovered" not in event.target_label


# Notifications follow a raised label -------------------------------------------------------------------


def test_raising_a_label_neutralises_the_notifications_already_sent(world):
    post = make_post(world, world.member, title="Suspect Anna Svensson seen at the station", kind="warning")
    sent = Notification.objects.filter(url__contains=str(post.code))
    assert sent.exists() and all("Svensson" in n.title for n in sent)
    services.label_change(actor=world.member, item=post, tlp="red", recipient_people=[world.coordinator])
    for notification in Notification.objects.filter(url__contains=str(post.code)):
        assert "Svensson" not in notification.title and notification.body == ""
        assert notification.tlp in RESTRICTED  # emails (and digests) say nothing of the item now


def test_raising_a_request_label_neutralises_its_assessment_title(world, cast):
    request = make_request(world, cast, tlp="green", data_categories=["identification"], title="Engine 4711")
    request = services.request_submit(actor=world.coordinator, request=request)
    assert "4711" in request.assessment.title
    services.label_change(actor=world.coordinator, item=request, tlp="amber")
    assessment = Assessment.objects.get(pk=request.assessment_id)
    assert "4711" not in assessment.title


def test_raising_a_request_label_in_an_edit_neutralises_the_assessment_notifications(world, cast):
    request = make_request(world, cast, tlp="green", data_categories=["identification"], title="Engine 4711")
    request = services.request_submit(actor=world.coordinator, request=request)
    fill_assessment(request.assessment, world.coordinator)
    services.assessment_submit(actor=world.coordinator, assessment=request.assessment)
    told = Notification.objects.filter(recipient=cast.coordinator2, kind="exchange.assessment.submitted")
    assert "4711" in told.get().title
    services.request_update(actor=world.coordinator, request=reload(request), tlp="amber")
    notification = told.get()
    assert "4711" not in notification.title and notification.tlp == TLP.AMBER


# Four eyes: what was approved is what is sent ----------------------------------------------------------


def _awaiting(world, cast):
    request = make_request(world, cast, data_categories=["identification"])
    request = services.request_submit(actor=world.coordinator, request=request)
    assert request.status == RequestStatus.AWAITING_ASSESSMENT
    fill_assessment(request.assessment, world.coordinator)
    services.assessment_submit(actor=world.coordinator, assessment=request.assessment)
    return reload(request)


def test_changing_a_request_whose_assessment_waits_for_a_decision_reopens_the_assessment(world, cast):
    request = _awaiting(world, cast)
    services.request_update(
        actor=world.coordinator, request=request, data_categories=["identification", "criminal"]
    )
    assessment = Assessment.objects.get(pk=reload(request).assessment_id)
    assert assessment.status == AssessmentStatus.DRAFT
    with pytest.raises(ValidationError):
        services.assessment_decide(actor=cast.coordinator2, assessment=assessment, decision="approved")
    assert reload(request).status == RequestStatus.AWAITING_ASSESSMENT
    assert audit_events("exchange.assessment.reopened")


def _draft_with_approval(world, cast):
    """A draft whose assessment was approved before it was submitted."""
    request = make_request(world, cast, data_categories=["identification"])
    assessment = services.assessment_create(
        actor=world.coordinator, partnership=world.partnership_a, title="Five Safes", request=request
    )
    fill_assessment(assessment, world.coordinator)
    services.assessment_submit(actor=world.coordinator, assessment=assessment)
    services.assessment_decide(actor=cast.coordinator2, assessment=assessment, decision="approved")
    request = reload(request)
    assert request.status == RequestStatus.DRAFT and request.assessment.status == AssessmentStatus.APPROVED
    return request


def test_a_draft_changed_after_its_approval_is_not_sent_on_the_old_approval(world, cast):
    request = _draft_with_approval(world, cast)
    approved = request.assessment
    services.request_update(
        actor=world.coordinator,
        request=request,
        recipient_partners=[cast.city, cast.shop, cast.garage_partner],
    )
    request = services.request_submit(actor=world.coordinator, request=reload(request))
    assert request.status == RequestStatus.AWAITING_ASSESSMENT
    assert request.assessment_id != approved.pk
    assert request.assessment.status == AssessmentStatus.DRAFT
    assert request.assessment.answers.count() == 5  # the answers carried over, to be checked again
    assert reload(approved).status == AssessmentStatus.APPROVED  # the decision itself stays on record


def test_a_new_deadline_alone_keeps_the_approval(world, cast):
    request = _draft_with_approval(world, cast)
    services.request_update(
        actor=world.coordinator, request=request, deadline=clock.today() + timedelta(days=20)
    )
    request = services.request_submit(actor=world.coordinator, request=reload(request))
    assert request.status == RequestStatus.SENT


def test_lowering_the_label_of_an_approved_draft_needs_a_new_assessment(world, cast):
    request = _draft_with_approval(world, cast)
    services.label_change(actor=world.coordinator, item=request, tlp="green", reason="Less secret.")
    request = services.request_submit(actor=world.coordinator, request=reload(request))
    assert request.status == RequestStatus.AWAITING_ASSESSMENT


# Files of requests and answers -------------------------------------------------------------------------


def test_a_file_of_a_draft_request_is_not_found_by_the_addressed_organisations(client, world, cast):
    request = make_request(world, cast, files=[upload("engine.pdf")])
    attachment = request.attachments.get()
    with pytest.raises(Http404):
        selectors.get_attachment_for_user(world.member, world.partnership_a.code, attachment.code)
    client.force_login(world.member)
    assert client.get(url(world, "attachment_view", attachment.code)).status_code == 404
    assert client.get(url(world, "attachment_download", attachment.code)).status_code == 404
    client.force_login(world.coordinator)  # the requester reads it
    assert client.get(url(world, "attachment_view", attachment.code)).status_code == 200


def test_a_file_of_an_answer_follows_the_visibility_of_its_request(world, cast):
    colleague = add_person(world, "dealer2@shop.example", organisation=world.org_shop_a)
    request = sent_request(world, cast)
    answer = services.request_answer(
        actor=cast.dealer, request=request, text="Sold to Lena.", files=[upload("receipt.pdf")]
    )
    attachment = answer.attachments.get()
    assert selectors.get_attachment_for_user(colleague, world.partnership_a.code, attachment.code)
    services.label_change(
        actor=world.coordinator, item=request, tlp="red", recipient_people=[world.member, world.viewer]
    )
    assert not selectors.answers_for(user=colleague, request=reload(request)).exists()
    with pytest.raises(Http404):
        selectors.get_attachment_for_user(colleague, world.partnership_a.code, attachment.code)


# Uploads -----------------------------------------------------------------------------------------------


def _bomb(extension: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if extension == "odt":
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        else:
            archive.writestr("[Content_Types].xml", "<Types/>")
        name = "content.xml" if extension == "odt" else "word/document.xml"
        with archive.open(name, "w") as entry:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(64):
                entry.write(chunk)
    return out.getvalue()


@pytest.mark.parametrize("extension", ["docx", "odt"])
def test_an_office_file_that_unpacks_to_a_bomb_is_refused(extension):
    data = _bomb(extension)
    assert len(data) < 1024 * 1024  # small on the wire
    with pytest.raises(ValidationError) as caught:
        check_upload(upload(f"report.{extension}", data), limits=ExchangeSettings())
    assert f"report.{extension}" in caught.value.message_dict["file"][0]


def test_an_odf_mimetype_entry_is_not_read_whole():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text" + " " * (2 * 1024 * 1024))
        archive.writestr("content.xml", "<office:document-content/>")
    with pytest.raises(ValidationError):
        check_upload(upload("report.odt", out.getvalue()), limits=ExchangeSettings())


def test_an_ordinary_office_file_still_passes():
    checked = check_upload(upload("report.docx", docx_bytes()), limits=ExchangeSettings())
    assert checked.name == "report.docx"


def test_format_characters_that_disguise_an_extension_are_removed_from_file_names():
    # U+202E RIGHT-TO-LEFT OVERRIDE would show "invoice\u202efdp.pdf" as "invoicefdp.pdf" reversed, and
    # zero-width characters hide text; they are dropped from the name kept and offered for download.
    checked = check_upload(upload("invoice\u202egpj\u200b.pdf"), limits=ExchangeSettings())
    assert checked.name == "invoicegpj.pdf"


# The request page ---------------------------------------------------------------------------------------


def test_an_addressed_organisation_does_not_learn_whether_another_one_answered(client, world, cast):
    request = sent_request(world, cast)  # to the city and the shop
    services.request_answer(actor=cast.dealer, request=request, text="We sold it to Lena.")
    client.force_login(world.member)  # the city: may see the request, not the shop's answer
    response = client.get(url(world, "request", request.code))
    assert response.status_code == 200
    html = response.content.decode()
    row = html[html.index(f'data-recipient="{cast.shop.code}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-state="answered"' not in row
    client.force_login(world.coordinator)  # the requester sees where every organisation stands
    html = client.get(url(world, "request", request.code)).content.decode()
    row = html[html.index(f'data-recipient="{cast.shop.code}"') :]
    assert 'data-state="answered"' in row[: row.index("</tr>")]


def test_a_request_or_an_answer_takes_a_bounded_number_of_files(world, cast):
    files = [upload(f"note-{number}.txt") for number in range(21)]
    with pytest.raises(ValidationError) as caught:
        make_request(world, cast, files=files)
    assert "files" in caught.value.message_dict
    request = sent_request(world, cast)
    with pytest.raises(ValidationError) as caught:
        services.request_answer(actor=cast.dealer, request=request, text="See the files.", files=files)
    assert "files" in caught.value.message_dict
    assert not Attachment.objects.exists()


# Deleted and purged items take their notifications with them --------------------------------------------


def test_a_deleted_post_takes_its_notifications_with_it(world):
    post = make_post(world, world.member, title="Suspect Anna Svensson seen at the station")
    assert Notification.objects.filter(title__contains="Svensson").exists()
    services.post_delete(actor=world.member, post=post)
    assert not Notification.objects.filter(title__contains="Svensson").exists()


def test_a_purged_post_takes_its_notifications_with_it(world, django_capture_on_commit_callbacks):
    make_post(world, world.member, title="Suspect Anna Svensson seen at the station")
    assert Notification.objects.filter(title__contains="Svensson").exists()
    with clock.frozen(NOW + timedelta(days=800)), django_capture_on_commit_callbacks(execute=True):
        assert services.retention_purge()["post"] == 1
    assert not Notification.objects.filter(title__contains="Svensson").exists()
