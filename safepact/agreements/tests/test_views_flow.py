"""The main path through the agreement pages: draft → edit (version 2) → compare → review with comments →
final → open for signature → sign (needs the sudo window) → in force. Refusals show their reason."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse

from safepact.accounts.sudo import SESSION_KEY
from safepact.agreements.models import Agreement, AgreementVersion, Comment, Signature, Status
from safepact.agreements.selectors import today
from safepact.agreements.tests import support
from safepact.lib import clock
from safepact.partnerships.models import Partner


def url(world, name, *args):
    return reverse(f"agreements:{name}", args=[world.partnership_a.code, *args])


def grant_sudo(client):
    session = client.session
    session[SESSION_KEY] = clock.now().timestamp() + 600
    session.save()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def text(response) -> str:
    return response.content.decode()


def partner_codes(world, *organisations):
    return [
        str(Partner.objects.get(partnership=world.partnership_a, organisation=o).code) for o in organisations
    ]


def test_the_main_flow_through_the_pages(client, world):
    support.signatories(world)
    client.force_login(world.coordinator)

    # The list offers a draft; the create form pre-checks every active partner.
    listing = text(client.get(url(world, "list")))
    assert url(world, "create") in listing and "Draft a new agreement" in listing
    form = text(client.get(url(world, "create")))
    assert form.count('name="parties"') == 3 and form.count("checked") >= 3
    assert "pre-filled" in form

    # Create: a covenant with all three partners; the shop's signature made optional later.
    response = client.post(
        url(world, "create"),
        {
            "kind": "covenant",
            "formality": "specified",
            "language": "en",
            "title": "",
            "parties": partner_codes(world, world.org_police_a, world.org_city_a, world.org_shop_a),
            "review_date": "2031-01-01",
        },
        follow=True,
    )
    agreement = Agreement.objects.get()
    assert response.redirect_chain[-1][0] == url(world, "detail", agreement.code)
    html = text(response)
    assert agreement.title == "Covenant of Sofielund safety partnership"
    assert "drafted from the template" in html
    assert 'id="unresolved"' in html  # the “[to be agreed]” markers are pointed out
    assert 'aria-current="step"' in html and "(current step)" in html
    assert agreement.parties.count() == 3 and agreement.versions.count() == 1

    # Edit: the textarea holds version 1; saving a change makes version 2.
    body = AgreementVersion.objects.get(agreement=agreement, number=1).body
    editor = text(client.get(url(world, "edit", agreement.code)))
    assert "Parties" in editor and 'hx-post="' + url(world, "preview", agreement.code) in editor
    changed = body.replace("## Disputes", "## Disputes\n\nThe partners meet monthly to settle disputes.")
    response = client.post(
        url(world, "edit", agreement.code), {"body": changed, "note": "Monthly meetings"}, follow=True
    )
    assert any("Version 2 was saved" in m for m in messages_of(response))
    assert list(agreement.versions.values_list("number", flat=True).order_by("number")) == [1, 2]
    assert AgreementVersion.objects.get(agreement=agreement, number=2).note == "Monthly meetings"

    # Saving the same text again: nothing changed, no version 3.
    response = client.post(url(world, "edit", agreement.code), {"body": changed, "note": ""}, follow=True)
    assert any("Nothing changed" in m for m in messages_of(response))
    assert agreement.versions.count() == 2

    # Compare 1 → 2 shows the added line, marked with + and counted.
    response = client.get(url(world, "compare", agreement.code), {"from": 1, "to": 2})
    html = text(response)
    assert re.search(r'class="diff-added"[^>]*>.*?<ins>The partners meet monthly', html, re.S)
    assert 'data-added="2"' in html and 'data-removed="0"' in html  # the new line and a blank line
    assert "2 lines added" in html and "Monthly meetings" in html

    # Make the shop's signature optional, then send for review.
    shop = agreement.parties.get(partner__organisation=world.org_shop_a)
    client.post(url(world, "party_update", agreement.code, shop.code), {"required": "false"})
    shop.refresh_from_db()
    assert shop.required is False
    response = client.post(url(world, "transition", agreement.code, "submit"), follow=True)
    assert any("is now in review" in m for m in messages_of(response))
    agreement.refresh_from_db()
    assert agreement.status == Status.REVIEW

    # The member comments on a section; it shows under that section's heading; the author resolves it.
    client.force_login(world.member)
    detail = text(client.get(url(world, "detail", agreement.code)))
    assert 'name="body"' in detail and "Add a comment" in detail
    response = client.post(
        url(world, "comment_add", agreement.code),
        {"section": "Disputes", "body": "Mediation first, please."},
        follow=True,
    )
    comment = Comment.objects.get()
    assert comment.section == "Disputes" and comment.author == world.member
    html = text(response)
    assert re.search(r'<h3>Disputes</h3>\s*<ul class="comment-list">.*?Mediation first', html, re.S)
    client.post(url(world, "comment_resolve", agreement.code, comment.code))
    comment.refresh_from_db()
    assert comment.resolved_at is not None

    # Finalise: the hash is recorded and shown in full.
    client.force_login(world.coordinator)
    response = client.post(url(world, "transition", agreement.code, "finalise"), follow=True)
    agreement.refresh_from_db()
    assert agreement.status == Status.FINAL and len(agreement.final_sha256) == 64
    assert f'value="{agreement.final_sha256}"' in text(response)
    assert agreement.final_version.number == 2
    response = client.post(url(world, "transition", agreement.code, "open-signing"), follow=True)
    agreement.refresh_from_db()
    assert agreement.status == Status.SIGNING
    assert "Sign" in text(response) and url(world, "sign", agreement.code) in text(response)

    # Signing without the sudo window: off to re-authenticate, and back to the signing page.
    response = client.post(url(world, "sign", agreement.code))
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.path == reverse("accounts:sudo")
    assert parse_qs(location.query)["next"] == [url(world, "sign", agreement.code)]
    assert not Signature.objects.exists()

    # With the window: the confirmation shows the exact hash and the organisation; the police signs.
    grant_sudo(client)
    page = text(client.get(url(world, "sign", agreement.code)))
    assert f'value="{agreement.final_sha256}"' in page and "Polisen Malmö" in page
    response = client.post(url(world, "sign", agreement.code), follow=True)
    signature = Signature.objects.get()
    assert signature.text_sha256 == agreement.final_sha256 and signature.method == "session"
    assert any("not in force yet" in m and "1 more signature" in m for m in messages_of(response))
    agreement.refresh_from_db()
    assert agreement.status == Status.SIGNING
    assert f'title="{agreement.final_sha256}"' in text(response)  # the hash signed, in the parties table

    # The city signs: in force.
    client.force_login(world.member)
    grant_sudo(client)
    response = client.post(url(world, "sign", agreement.code), follow=True)
    assert any("entered into force" in m for m in messages_of(response))
    agreement.refresh_from_db()
    assert agreement.status == Status.IN_FORCE
    html = text(response)
    assert 'data-step="in_force" data-state="current" aria-current="step"' in html
    assert "Your organisation has signed this text." in html
    listing = text(client.get(url(world, "list")))
    assert re.search(r'data-status="in_force".*?2 of 2', listing, re.S)


def test_an_invalid_transition_shows_the_reason(client, world):
    agreement = support.draft(world)
    client.force_login(world.coordinator)
    response = client.post(url(world, "transition", agreement.code, "open-signing"), follow=True)
    assert any(
        "Open for signature" in m and "Only a final text can be opened for signature" in m
        for m in messages_of(response)
    )
    agreement.refresh_from_db()
    assert agreement.status == Status.DRAFT


def test_finalising_a_text_without_a_required_section_names_it(client, world):
    agreement = support.draft(world)
    client.force_login(world.coordinator)
    client.post(url(world, "edit", agreement.code), {"body": "# Short\n\n## Parties\n\nUs.\n", "note": ""})
    response = client.post(url(world, "transition", agreement.code, "finalise"), follow=True)
    found = messages_of(response)
    assert any("Required section “Purpose and mission” is missing." in m for m in found), found
    assert Agreement.objects.get().status == Status.DRAFT


def test_terminate_needs_a_reason(client, world):
    agreement = support.in_force(world)
    client.force_login(world.coordinator)
    detail = text(client.get(url(world, "detail", agreement.code)))
    assert re.search(r'transition/terminate/.*?<textarea[^>]*name="reason"[^>]*required', detail, re.S)
    response = client.post(url(world, "transition", agreement.code, "terminate"), {"reason": ""}, follow=True)
    assert any("Give the reason for terminating" in m for m in messages_of(response))
    assert Agreement.objects.get().status == Status.IN_FORCE
    response = client.post(
        url(world, "transition", agreement.code, "terminate"), {"reason": "Replaced by law."}, follow=True
    )
    agreement.refresh_from_db()
    assert agreement.status == Status.TERMINATED and agreement.end_reason == "Replaced by law."
    html = text(response)
    assert 'data-step="ended" data-state="current"' in html and "Terminated" in html
    assert "Replaced by law." in html


def test_a_non_signatory_sees_why_they_cannot_sign(client, world):
    support.make_signatory(support.coordinator_membership(world))  # the member is not flagged
    agreement = support.to_signing(world, support.draft(world))
    client.force_login(world.member)
    detail = text(client.get(url(world, "detail", agreement.code)))
    assert 'id="sign-reason"' in detail and "authorised signatory" in detail
    assert url(world, "sign", agreement.code) not in detail
    page = client.get(url(world, "sign", agreement.code))
    assert page.status_code == 200
    assert (
        "authorised signatory" in text(page)
        and 'type="submit"' not in text(page).split('id="sign-reason"')[1]
    )
    grant_sudo(client)
    assert client.post(url(world, "sign", agreement.code)).status_code == 403
    assert not Signature.objects.filter(signer=world.member).exists()


def test_signing_page_before_signing_opens_gives_the_reason(client, world):
    support.signatories(world)
    agreement = support.draft(world)
    client.force_login(world.coordinator)
    page = text(client.get(url(world, "sign", agreement.code)))
    assert "Only a final text opened for signature can be signed." in page
    grant_sudo(client)
    response = client.post(url(world, "sign", agreement.code), follow=True)
    assert any("not open for signature" in m for m in messages_of(response))
    assert not Signature.objects.exists()


def test_a_new_partner_accedes_to_the_agreement_in_force(client, world):
    from conftest import add_member, make_user

    agreement = support.in_force(world)
    newcomer = make_user("signer@bakery.example", "Nina Newcomer")
    membership = add_member(
        coordinator=world.coordinator,
        partnership=world.partnership_a,
        user=newcomer,
        role="member",
        new_organisation={"name": "Bageri Sofielund", "kind": "business", "country": "SE"},
    )
    support.make_signatory(membership)
    client.force_login(newcomer)
    detail = text(client.get(url(world, "detail", agreement.code)))
    assert url(world, "accede", agreement.code) in detail and "is not a party yet" in detail
    assert client.post(url(world, "accede", agreement.code)).status_code == 302  # to re-authenticate
    assert not agreement.parties.filter(partner=membership.partner).exists()
    grant_sudo(client)
    page = text(client.get(url(world, "accede", agreement.code)))
    assert agreement.final_sha256 in page and "Bageri Sofielund" in page
    response = client.post(url(world, "accede", agreement.code), follow=True)
    assert any("acceded" in m for m in messages_of(response))
    party = agreement.parties.get(partner=membership.partner)
    assert party.acceded and party.signatures.get().text_sha256 == agreement.final_sha256
    assert "Joined by accession" in text(response)


def test_withdrawal_by_the_coordinator_is_shown_with_date_and_reason(client, world):
    agreement = support.in_force(world)
    city = agreement.parties.get(partner__organisation=world.org_city_a)
    client.force_login(world.coordinator)
    detail = text(client.get(url(world, "detail", agreement.code)))
    assert url(world, "withdraw", agreement.code, city.code) in detail
    response = client.post(url(world, "withdraw", agreement.code, city.code), {"on_date": "", "reason": ""})
    assert response.status_code == 200
    assert 'href="#id_on_date"' in text(response) and 'href="#id_reason"' in text(response)
    response = client.post(
        url(world, "withdraw", agreement.code, city.code),
        {"on_date": today().isoformat(), "reason": "Budget cuts."},
        follow=True,
    )
    city.refresh_from_db()
    assert city.withdrawn_on == today() and city.withdrawal_reason == "Budget cuts."
    html = text(response)
    assert "Withdrew on" in html and "Budget cuts." in html


def test_the_own_signatory_may_withdraw_their_organisation_but_not_another(client, world):
    agreement = support.in_force(world)
    city = agreement.parties.get(partner__organisation=world.org_city_a)
    police = agreement.parties.get(partner__organisation=world.org_police_a)
    client.force_login(world.member)
    assert client.get(url(world, "withdraw", agreement.code, city.code)).status_code == 200
    assert client.get(url(world, "withdraw", agreement.code, police.code)).status_code == 403
    assert (
        client.post(
            url(world, "withdraw", agreement.code, police.code),
            {"on_date": today().isoformat(), "reason": "x"},
        ).status_code
        == 403
    )
    police.refresh_from_db()
    assert police.withdrawn_on is None


@pytest.mark.parametrize("status", ["final", "in_force"])
def test_the_text_cannot_be_edited_once_final(client, world, status):
    agreement = support.draft(world)
    if status == "final":
        from safepact.agreements import services

        services.agreement_finalise(actor=world.coordinator, agreement=support.reload(agreement))
    else:
        agreement = support.in_force(world)
    client.force_login(world.coordinator)
    response = client.get(url(world, "edit", agreement.code), follow=True)
    assert any("The text is frozen" in m for m in messages_of(response))
    response = client.post(url(world, "edit", agreement.code), {"body": "# X\n", "note": ""}, follow=True)
    assert any("The text is frozen" in m for m in messages_of(response))
    assert url(world, "edit", agreement.code) not in text(response)
    assert not AgreementVersion.objects.filter(agreement=agreement, number=2).exists()
