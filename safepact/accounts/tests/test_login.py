"""Login with email and password, lockout after repeated failures, logout."""

import pytest
from django.urls import reverse

from conftest import PASSWORD
from safepact.audit.models import AuditEvent

LOGIN = "/account/login/"


def _post_login(client, email, password, **extra):
    return client.post(LOGIN, {"username": email, "password": password, **extra})


def _logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_login_page_has_labelled_fields_and_reset_link(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">Email address' in html
    assert '<label for="id_password">Password' in html
    assert 'name="username"' in html
    assert reverse("accounts:password_reset") in html
    assert "Forgot your password?" in html


def test_login_success_goes_to_dashboard_and_is_recorded(client, world):
    response = _post_login(client, world.member.email, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("partnerships:dashboard")
    assert _logged_in_user_id(client) == str(world.member.pk)
    event = AuditEvent.objects.filter(action="accounts.user.logged_in").get()
    assert event.actor_code == str(world.member.code)
    assert event.chain == "platform"
    assert event.after == {"2fa": False}


def test_login_email_is_case_insensitive(client, world):
    response = _post_login(client, world.member.email.upper(), PASSWORD)
    assert response.status_code == 302
    assert _logged_in_user_id(client) == str(world.member.pk)


def test_login_follows_a_safe_next(client, world):
    response = _post_login(client, world.member.email, PASSWORD, next="/account/profile/")
    assert response["Location"] == "/account/profile/"


@pytest.mark.parametrize("next_url", ["https://evil.example/steal", "//evil.example/", "javascript:alert(1)"])
def test_login_ignores_an_unsafe_next(client, world, next_url):
    response = _post_login(client, world.member.email, PASSWORD, next=next_url)
    assert response["Location"] == reverse("partnerships:dashboard")


def test_login_failure_shows_a_clear_message(client, world):
    response = _post_login(client, world.member.email, "not-the-password")
    assert response.status_code == 200
    assert "The email address or password is not right" in response.content.decode()
    assert _logged_in_user_id(client) is None
    assert not AuditEvent.objects.filter(action="accounts.user.logged_in").exists()


def test_login_unknown_email_gets_the_same_message(client, world):
    response = _post_login(client, "nobody@nowhere.example", PASSWORD)
    assert response.status_code == 200
    assert "The email address or password is not right" in response.content.decode()


def test_login_missing_fields_name_the_field(client, db):
    response = client.post(LOGIN, {"username": "", "password": ""})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_username_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_username_error"' in html


def test_inactive_person_cannot_log_in(client, world):
    world.member.is_active = False
    world.member.save(update_fields=["is_active"])
    response = _post_login(client, world.member.email, PASSWORD)
    assert response.status_code == 200
    assert _logged_in_user_id(client) is None


def test_lockout_after_five_failures(client, world, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _attempt in range(4):
        response = _post_login(client, world.member.email, "wrong-password")
        assert response.status_code == 200
    response = _post_login(client, world.member.email, "wrong-password")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many attempts" in html
    assert "Try again in 15 minutes" in html
    assert reverse("accounts:password_reset") in html
    # Even the right password is refused while locked.
    response = _post_login(client, world.member.email, PASSWORD)
    assert response.status_code == 429
    assert _logged_in_user_id(client) is None


def test_lockout_is_per_email(client, world):
    for _attempt in range(5):
        _post_login(client, world.member.email, "wrong-password")
    response = _post_login(client, world.viewer.email, PASSWORD)
    assert response.status_code == 302
    assert _logged_in_user_id(client) == str(world.viewer.pk)


def test_success_resets_the_failure_count(client, world):
    for _attempt in range(4):
        _post_login(client, world.member.email, "wrong-password")
    assert _post_login(client, world.member.email, PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    for _attempt in range(4):
        assert _post_login(client, world.member.email, "wrong-password").status_code == 200
    assert _post_login(client, world.member.email, PASSWORD).status_code == 302


def test_logged_in_person_visiting_login_is_sent_on(client_for, world):
    client = client_for(world.member)
    response = client.get(LOGIN)
    assert response.status_code == 302
    assert response["Location"] == reverse("partnerships:dashboard")


def test_logout_is_post_only(client_for, world):
    client = client_for(world.member)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert _logged_in_user_id(client) == str(world.member.pk)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    assert _logged_in_user_id(client) is None


@pytest.mark.parametrize(
    "url",
    ["/account/profile/", "/account/2fa/setup/", "/account/confirm/", "/account/tokens/new/"],
)
def test_logged_in_only_pages_send_anonymous_to_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")
