"""Password reset by email, with Django's views and our templates."""

import re

from django.core import mail
from django.urls import reverse

from conftest import PASSWORD
from safepact.audit.models import AuditEvent

RESET = "/account/password/reset/"
NEW_PASSWORD = "a-brand-new-passphrase-42"


def _reset_link(message) -> str:
    match = re.search(r"https?://[^\s]+(/account/password/reset/[^\s]+/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_reset_page_is_ours_and_labelled(client, db):
    response = client.get(RESET)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Reset your password</h1>" in html
    assert '<label for="id_email">Email address' in html
    assert 'class="skip-link"' in html  # extends base.html


def test_request_sends_an_email_with_a_link(client, world, settings):
    settings.SITE_URL = "https://safepact.example"
    response = client.post(RESET, {"email": world.member.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.member.email]
    assert message.subject == "Reset your SafePact password"
    assert "https://safepact.example/account/password/reset/" in message.body
    assert "Hello Mats," in message.body
    assert "Check your email" in client.get(response["Location"]).content.decode()


def test_unknown_address_looks_the_same_and_sends_nothing(client, world):
    response = client.post(RESET, {"email": "nobody@nowhere.example"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_bad_email_names_the_field(client, db):
    response = client.post(RESET, {"email": "not-an-email"})
    assert response.status_code == 200
    assert 'id="id_email_error"' in response.content.decode()


def test_link_sets_a_new_password(client, world):
    client.post(RESET, {"email": world.member.email})
    link = _reset_link(mail.outbox[0])
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_complete")
    world.member.refresh_from_db()
    assert world.member.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(
        action="accounts.user.password_changed", actor_code=str(world.member.code)
    ).exists()
    # The link works once.
    again = client.get(link, follow=True)
    assert "This link does not work any more" in again.content.decode()
    # And the new password logs in.
    login = client.post("/account/login/", {"username": world.member.email, "password": NEW_PASSWORD})
    assert login.status_code == 302


def test_weak_new_password_is_refused(client, world):
    client.post(RESET, {"email": world.member.email})
    form_page = client.get(_reset_link(mail.outbox[0]), follow=True)
    set_url = form_page.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200
    assert 'id="id_new_password2_error"' in response.content.decode()
    world.member.refresh_from_db()
    assert world.member.check_password(PASSWORD)


def test_bad_link_shows_a_clear_message(client, world):
    response = client.get("/account/password/reset/MQ/nonsense-token/")
    assert response.status_code == 200
    assert "This link does not work any more" in response.content.decode()


def test_reset_lifts_a_lockout(client, world):
    for _attempt in range(5):
        client.post("/account/login/", {"username": world.member.email, "password": "wrong-password"})
    assert (
        client.post("/account/login/", {"username": world.member.email, "password": PASSWORD}).status_code
        == 429
    )
    client.post(RESET, {"email": world.member.email})
    form_page = client.get(_reset_link(mail.outbox[0]), follow=True)
    client.post(
        form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    response = client.post("/account/login/", {"username": world.member.email, "password": NEW_PASSWORD})
    assert response.status_code == 302
