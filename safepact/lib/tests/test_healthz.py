from unittest import mock

from django.db.utils import OperationalError


def test_healthz_answers_200_when_the_database_answers(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_does_not(client, db):
    with mock.patch("safepact.lib.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_healthz_needs_no_login_and_is_not_blocked_by_the_2fa_rule(client, world, settings):
    settings.SAFEPACT_REQUIRE_2FA = True
    client.force_login(world.coordinator)  # must set up 2FA, but may still be probed
    assert client.get("/healthz").status_code == 200
