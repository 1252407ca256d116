"""Agreements API, the whole life of an agreement: drafting and versions, comparing, review comments,
transitions (invalid ones refused with the reason), signing with password (and code), quorum, accession
by a new partner's signatory, withdrawal with a date and a reason, termination."""

from datetime import UTC

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD, add_member, make_user
from safepact.accounts.tests.conftest import code_for, wrong_code
from safepact.agreements import services, texts
from safepact.agreements.models import Agreement, AgreementVersion, Signature, SignatureMethod, Status
from safepact.agreements.tests import support
from safepact.agreements.tests.test_api_access import base, call, partners_of_a, url
from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.partnerships.models import Partner


def detail(client, world, agreement) -> dict:
    response = client.get(url(world, agreement))
    assert response.status_code == 200, response.content
    return response.json()


def transition(client, world, agreement, action, reason=""):
    return call(client, "post", url(world, agreement, "/transitions"), {"action": action, "reason": reason})


def refused(response, field: str, status: int = 422) -> str:
    assert response.status_code == status, response.content
    data = response.json()
    assert data["code"] == "invalid" and data["detail"].startswith(f"{field}:"), data
    return data["detail"]


def test_the_lifecycle_through_the_api(client, world):
    support.signatories(world)
    partners = partners_of_a(world)
    client.force_login(world.coordinator)

    # Draft from the template, pre-filled from the partnership's data.
    response = call(
        client,
        "post",
        f"{base(world)}/agreements",
        {
            "kind": "covenant",
            "formality": "specified",
            "title": "Sofielund covenant",
            "parties": [str(partners["police"].code), str(partners["city"].code)],
            "review_date": "2027-06-30",
            "expiry_date": "2028-12-31",
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    agreement = Agreement.objects.get(code=created["code"])
    assert created["status"] == "draft" and created["latest_version"] == 1
    assert created["counts"] == {"versions": 1, "parties": 2, "signatures": 0}
    assert created["review_date"] == "2027-06-30" and created["final_sha256"] == ""
    assert created["created_by"] == "Cora Coordinator" and "id" not in created

    # Versions: every save is one; the same text again is not.
    v1 = client.get(url(world, agreement, "/versions/1")).json()
    assert "Sofielund safety partnership" in v1["body"] and v1["sha256"] == texts.sha256(v1["body"])
    assert "Parties" in v1["sections"]
    new_body = v1["body"] + "\nThe partners light the alleys of Sofielund.\n"
    response = call(
        client, "post", url(world, agreement, "/versions"), {"body": new_body, "note": "Lighting"}
    )
    assert response.status_code == 201 and response.json()["number"] == 2
    response = call(client, "post", url(world, agreement, "/versions"), {"body": new_body, "note": "again"})
    assert response.status_code == 200 and response.json()["number"] == 2
    listed = client.get(url(world, agreement, "/versions")).json()
    assert [v["number"] for v in listed["items"]] == [2, 1] and listed["items"][0]["note"] == "Lighting"
    assert "body" not in listed["items"][0]

    # Compare: the added line, numbered in the new text; the default is the latest against the one before.
    compared = client.get(url(world, agreement, "/compare?from=1&to=2")).json()
    assert compared["added"] == 2 and compared["removed"] == 0  # a blank line and the sentence
    added = [line for line in compared["lines"] if line["kind"] == "added"]
    last = len(new_body.rstrip("\n").split("\n"))
    assert [(line["old_number"], line["new_number"], line["text"]) for line in added] == [
        (None, last - 1, ""),
        (None, last, "The partners light the alleys of Sofielund."),
    ]
    assert {line["kind"] for line in compared["lines"]} <= {"same", "added", "gap"}
    assert client.get(url(world, agreement, "/compare")).json() == compared
    backwards = client.get(url(world, agreement, "/compare?from=2&to=1")).json()
    assert backwards["removed"] == 2 and backwards["added"] == 0
    refused(client.get(url(world, agreement, "/compare?from=1&to=5")), "to")

    # An invalid transition is refused with the reason, and changes nothing.
    detail_text = refused(transition(client, world, agreement, "open-signing"), "status")
    assert "final" in detail_text
    assert Agreement.objects.get(pk=agreement.pk).status == Status.DRAFT

    # Review: members comment on a section, and resolve their comment.
    assert transition(client, world, agreement, "submit").json()["status"] == "review"
    client.force_login(world.member)
    response = call(
        client, "post", url(world, agreement, "/comments"), {"section": "Parties", "body": "Add us."}
    )
    assert response.status_code == 201, response.content
    comment = response.json()
    assert (
        comment["version"] == 2
        and comment["organisation"] == "Malmö stad"
        and comment["author"] == "Mats Member"
    )
    refused(
        call(client, "post", url(world, agreement, "/comments"), {"section": "Nowhere", "body": "x"}),
        "section",
    )
    refused(call(client, "post", url(world, agreement, "/comments"), {"body": "x", "version": 7}), "version")
    resolved = client.post(url(world, agreement, f"/comments/{comment['code']}/resolve")).json()
    assert resolved["resolved_at"] is not None

    # Final: the text freezes and its hash is recorded.
    client.force_login(world.coordinator)
    final = transition(client, world, agreement, "finalise").json()
    version_2 = AgreementVersion.objects.get(agreement=agreement, number=2)
    assert final["status"] == "final" and final["final_version"] == 2
    assert final["final_sha256"] == version_2.sha256 == texts.sha256(new_body)
    refused(call(client, "post", url(world, agreement, "/versions"), {"body": "changed"}), "body")
    assert client.get(url(world, agreement, "/versions")).json()["items"][0]["is_final"] is True

    # Signing: two required parties.
    signing = transition(client, world, agreement, "open-signing").json()
    assert signing["status"] == "signing"
    assert signing["signing"]["needed"] == 2 and signing["signing"]["signed"] == 0
    assert {p["organisation"] for p in signing["signing"]["missing"]} == {"Polisen Malmö", "Malmö stad"}
    assert signing["me"] == {"can_sign": True, "can_accede": False, "reason": ""}

    response = call(client, "post", url(world, agreement, "/sign"), {"password": PASSWORD})
    assert response.status_code == 201, response.content
    signed = response.json()
    assert signed["organisation"] == "Polisen Malmö" and signed["signer"] == "Cora Coordinator"
    assert signed["text_sha256"] == final["final_sha256"] and signed["version"] == 2
    assert signed["method"] == SignatureMethod.API and signed["agreement_status"] == "signing"
    refused(call(client, "post", url(world, agreement, "/sign"), {"password": PASSWORD}), "party")

    client.force_login(world.member)
    response = call(client, "post", url(world, agreement, "/sign"), {"password": PASSWORD})
    assert response.status_code == 201 and response.json()["agreement_status"] == "in_force"
    in_force = detail(client, world, agreement)
    assert in_force["status"] == "in_force" and in_force["in_force_at"] is not None
    assert in_force["signing"]["complete"] is True and in_force["signing"]["missing"] == []
    assert in_force["counts"]["signatures"] == 2
    signatures = client.get(url(world, agreement, "/signatures")).json()["items"]
    assert [s["organisation"] for s in signatures] == ["Polisen Malmö", "Malmö stad"]
    parties = client.get(url(world, agreement, "/parties")).json()["items"]
    assert all(p["signed_at"] for p in parties)

    # Once final, only the review date changes.
    client.force_login(world.coordinator)
    response = call(client, "patch", url(world, agreement), {"review_date": "2027-03-31"})
    assert response.status_code == 200 and response.json()["review_date"] == "2027-03-31"
    refused(call(client, "patch", url(world, agreement), {"title": "Another"}), "title")

    # Terminate: a reason is required.
    refused(transition(client, world, agreement, "terminate"), "reason")
    ended = transition(client, world, agreement, "terminate", "Replaced by the city's own plan.").json()
    assert ended["status"] == "terminated" and ended["end_reason"] == "Replaced by the city's own plan."
    assert ended["ended_at"] is not None
    actions = set(AuditEvent.objects.filter(target_code=str(agreement.code)).values_list("action", flat=True))
    assert {
        "agreements.agreement.finalised",
        "agreements.agreement.in_force",
        "agreements.agreement.terminated",
    } <= actions


@pytest.fixture
def signing(world):
    support.signatories(world)
    return support.to_signing(world, support.draft(world))


def test_signing_without_or_with_a_wrong_password_is_refused(client, world, signing):
    client.force_login(world.coordinator)
    sign_url = url(world, signing, "/sign")
    for body in ({}, {"otp": "123456"}, {"password": ""}):
        response = call(client, "post", sign_url, body)
        assert response.status_code == 422 and response.json()["detail"].startswith("password"), body
    refused(call(client, "post", sign_url, {"password": "not-my-password"}), "password")
    assert not Signature.objects.exists()
    assert Agreement.objects.get(pk=signing.pk).status == Status.SIGNING


def test_a_non_signatory_is_refused_with_403(client, world):
    support.make_signatory(support.coordinator_membership(world))  # the member is not flagged
    agreement = support.to_signing(world, support.draft(world))
    client.force_login(world.member)
    response = call(client, "post", url(world, agreement, "/sign"), {"password": PASSWORD})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert "authorised signatory" in response.json()["detail"]
    assert detail(client, world, agreement)["me"]["can_sign"] is False
    assert not Signature.objects.exists()


def test_signing_a_draft_is_refused_with_the_reason(client, world):
    support.signatories(world)
    agreement = support.draft(world)
    client.force_login(world.coordinator)
    assert "not open for signature" in refused(
        call(client, "post", url(world, agreement, "/sign"), {"password": PASSWORD}), "status"
    )


def test_with_an_authenticator_app_the_code_is_needed(client, world, signing, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # a right code straight after a wrong one
    device = TOTPDevice.objects.create(user=world.coordinator, name="Authenticator app", confirmed=True)
    client.force_login(world.coordinator)
    sign_url = url(world, signing, "/sign")
    refused(call(client, "post", sign_url, {"password": PASSWORD}), "otp")
    refused(call(client, "post", sign_url, {"password": PASSWORD, "otp": wrong_code(device)}), "otp")
    assert not Signature.objects.exists()
    device.refresh_from_db()
    response = call(client, "post", sign_url, {"password": PASSWORD, "otp": code_for(device)})
    assert response.status_code == 201, response.content


def test_wrong_passwords_lock_signing_out(client, world, signing):
    """Five wrong passwords and the person is locked out (django-axes), as on the sign-in page."""
    client.force_login(world.coordinator)
    sign_url = url(world, signing, "/sign")
    for _attempt in range(4):
        refused(call(client, "post", sign_url, {"password": "guess"}), "password")
    locked = call(client, "post", sign_url, {"password": "guess"})
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"  # the API's error shape, not the lock-out page
    assert call(client, "post", sign_url, {"password": PASSWORD}).status_code == 429
    assert not Signature.objects.exists()


def test_quorum_brings_the_agreement_into_force(client, world):
    support.signatories(world)
    agreement = support.draft(world, quorum=1)
    agreement = support.to_signing(world, agreement)
    client.force_login(world.coordinator)
    assert detail(client, world, agreement)["signing"]["needed"] == 1
    response = call(client, "post", url(world, agreement, "/sign"), {"password": PASSWORD})
    assert response.json()["agreement_status"] == "in_force"
    # The other party can still sign the version in force.
    client.force_login(world.member)
    assert call(client, "post", url(world, agreement, "/sign"), {"password": PASSWORD}).status_code == 201
    assert detail(client, world, agreement)["counts"]["signatures"] == 2


def test_a_new_partner_accedes_by_signing_the_version_in_force(client, world):
    agreement = support.in_force(world)
    newcomer = make_user("signatory@bank.example", "Britt Bank")
    membership = add_member(
        coordinator=world.coordinator,
        partnership=world.partnership_a,
        user=newcomer,
        role="member",
        new_organisation={"name": "Sparbanken Sofielund", "kind": "business", "country": "SE"},
    )
    client.force_login(newcomer)
    assert detail(client, world, agreement)["me"]["can_accede"] is False  # not a signatory yet
    assert call(client, "post", url(world, agreement, "/accede"), {"password": PASSWORD}).status_code == 403
    support.make_signatory(membership)
    assert detail(client, world, agreement)["me"]["can_accede"] is True
    refused(call(client, "post", url(world, agreement, "/accede"), {"password": "wrong"}), "password")
    response = call(client, "post", url(world, agreement, "/accede"), {"password": PASSWORD})
    assert response.status_code == 201, response.content
    assert response.json()["organisation"] == "Sparbanken Sofielund"
    parties = {p["organisation"]: p for p in client.get(url(world, agreement, "/parties")).json()["items"]}
    assert (
        parties["Sparbanken Sofielund"]["acceded"] is True
        and parties["Sparbanken Sofielund"]["required"] is False
    )
    refused(call(client, "post", url(world, agreement, "/accede"), {"password": PASSWORD}), "party")
    # A party already in the agreement signs, it does not accede; acceding a draft is refused.
    client.force_login(world.member)
    refused(call(client, "post", url(world, agreement, "/accede"), {"password": PASSWORD}), "party")
    draft = support.draft(world)
    client.force_login(newcomer)
    assert "in force" in refused(
        call(client, "post", url(world, draft, "/accede"), {"password": PASSWORD}), "status"
    )


def test_withdrawal_with_a_date_and_a_reason(client, world):
    agreement = support.in_force(world)
    city = agreement.parties.get(partner__organisation=world.org_city_a)
    withdraw_url = url(world, agreement, f"/parties/{city.code}/withdraw")
    client.force_login(world.coordinator)
    refused(call(client, "post", withdraw_url, {"on_date": "2030-01-31", "reason": ""}), "reason")
    response = call(client, "post", withdraw_url, {"on_date": "2030-01-31"})
    assert response.status_code == 422 and response.json()["detail"].startswith("reason")
    response = call(client, "post", withdraw_url, {"on_date": "someday", "reason": "x"})
    assert response.status_code == 422 and response.json()["detail"].startswith("on_date")
    refused(call(client, "post", withdraw_url, {"on_date": "2000-01-01", "reason": "Too early"}), "on_date")
    response = call(client, "post", withdraw_url, {"on_date": "2030-01-31", "reason": "Budget cuts."})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["withdrawn_on"] == "2030-01-31" and data["withdrawal_reason"] == "Budget cuts."
    refused(call(client, "post", withdraw_url, {"on_date": "2030-02-01", "reason": "Again"}), "party")
    event = AuditEvent.objects.get(action="agreements.party.withdrawn")
    assert event.reason == "Budget cuts."


def test_a_member_who_is_not_the_partys_signatory_cannot_withdraw_it(client, world):
    agreement = support.in_force(world)
    police = agreement.parties.get(partner__organisation=world.org_police_a)
    client.force_login(world.member)  # the city's signatory
    response = call(
        client,
        "post",
        url(world, agreement, f"/parties/{police.code}/withdraw"),
        {"on_date": "2030-01-31", "reason": "x"},
    )
    assert response.status_code == 403
    assert agreement.parties.get(pk=police.pk).withdrawn_on is None


def test_parties_while_drafting(client, world):
    partners = partners_of_a(world)
    agreement = support.draft(world, partner_codes=[partners["police"].code])
    client.force_login(world.coordinator)
    parties_url = url(world, agreement, "/parties")
    response = call(client, "post", parties_url, {"partner": str(partners["city"].code), "required": False})
    assert response.status_code == 201 and response.json()["required"] is False
    refused(call(client, "post", parties_url, {"partner": str(partners["city"].code)}), "partner")
    their_partner = Partner.objects.get(partnership=world.partnership_b)
    refused(call(client, "post", parties_url, {"partner": str(their_partner.code)}), "partner")
    city = response.json()["code"]
    assert call(client, "patch", f"{parties_url}/{city}", {"required": True}).json()["required"] is True
    assert client.delete(f"{parties_url}/{city}").status_code == 204
    police = agreement.parties.get().code
    refused(call(client, "delete", f"{parties_url}/{police}"), "parties")  # the last one stays
    assert [p["code"] for p in client.get(parties_url).json()["items"]] == [str(police)]


def test_parties_are_fixed_once_final(client, world):
    support.signatories(world)
    agreement = support.to_signing(world, support.draft(world))
    client.force_login(world.coordinator)
    city = agreement.parties.get(partner__organisation=world.org_city_a)
    refused(
        call(client, "patch", url(world, agreement, f"/parties/{city.code}"), {"required": False}), "parties"
    )
    refused(call(client, "delete", url(world, agreement, f"/parties/{city.code}")), "parties")


def test_back_to_draft_from_final_undoes_the_freeze(client, world):
    agreement = support.draft(world)
    services.agreement_finalise(actor=world.coordinator, agreement=support.reload(agreement))
    client.force_login(world.coordinator)
    data = transition(client, world, agreement, "draft", "One more clause.").json()
    assert data["status"] == "draft" and data["final_sha256"] == "" and data["final_version"] is None
    event = AuditEvent.objects.get(action="agreements.agreement.returned_to_draft")
    assert event.reason == "One more clause."


def test_finalising_names_each_missing_section(client, world):
    agreement = support.draft(world)
    client.force_login(world.coordinator)
    call(client, "post", url(world, agreement, "/versions"), {"body": "# Covenant\n\nToo short.\n"})
    response = transition(client, world, agreement, "finalise")
    assert response.status_code == 422
    data = response.json()
    assert data["detail"].startswith("body:") and len(data["fields"]["body"]) >= 3
    assert all("Required section" in message for message in data["fields"]["body"])


def test_create_refuses_bad_input_naming_the_field(client, world):
    client.force_login(world.coordinator)
    create = f"{base(world)}/agreements"
    their_partner = Partner.objects.get(partnership=world.partnership_b)
    for body, field in [
        ({}, "kind"),
        ({"kind": "treaty"}, "kind"),
        ({"kind": "mou", "formality": "strict"}, "formality"),
        ({"kind": "mou", "language": "xx"}, "language"),
        ({"kind": "mou", "quorum": 0}, "quorum"),
        ({"kind": "mou", "parties": ["not-a-code"]}, "parties"),
        ({"kind": "mou", "parties": [str(their_partner.code)]}, "parties"),
        ({"kind": "mou", "parties": []}, "parties"),
        ({"kind": "mou", "effective_from": "2027-01-01", "expiry_date": "2026-01-01"}, "expiry_date"),
        ({"kind": "mou", "supersedes": "00000000-0000-0000-0000-000000000000"}, "supersedes"),
        ({"kind": "mou", "colour": "red"}, "colour"),
    ]:
        response = call(client, "post", create, body)
        assert response.status_code == 422, (body, response.content)
        assert response.json()["detail"].startswith(field), (body, response.json())
    assert not Agreement.objects.exists()


def test_a_successor_supersedes_the_agreement_in_force(client, world):
    old = support.in_force(world)
    client.force_login(world.coordinator)
    response = call(
        client, "post", f"{base(world)}/agreements", {"kind": "covenant", "supersedes": str(old.code)}
    )
    assert response.status_code == 201 and response.json()["supersedes"] == str(old.code)
    new = Agreement.objects.get(code=response.json()["code"])
    support.to_signing(world, new)
    support.sign(world.coordinator, new)
    support.sign(world.member, new)
    assert detail(client, world, old)["status"] == "superseded"


def test_list_filters_by_status_and_kind(client, world):
    support.in_force(world)
    support.draft(world, kind="mou")
    client.force_login(world.viewer)
    everything = client.get(f"{base(world)}/agreements").json()
    assert everything["count"] == 2
    assert [a["kind"] for a in client.get(f"{base(world)}/agreements?status=in_force").json()["items"]] == [
        "covenant"
    ]
    assert client.get(f"{base(world)}/agreements?kind=mou").json()["count"] == 1
    assert client.get(f"{base(world)}/agreements?status=done").status_code == 422
    assert client.get(f"{base(world)}/agreements?kind=treaty").status_code == 422


def test_dates_and_times_are_iso(client, world):
    from datetime import datetime

    with clock.frozen(datetime(2026, 3, 4, 5, 6, tzinfo=UTC)):
        agreement = support.draft(world, effective_from=clock.today())
    client.force_login(world.coordinator)
    data = detail(client, world, agreement)
    assert data["created_at"].startswith("2026-03-04T05:06") and data["effective_from"] == "2026-03-04"
