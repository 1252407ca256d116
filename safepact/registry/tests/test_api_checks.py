"""Registry API, checks: the answer's exact fields (hit and no hit; never the alert's details), bad input
naming the field and logging nothing, the rate limit's 429 with ``Retry-After``, up to 1,000 identifiers at
once answered by index, the own check log with outcomes, a check with a personal API token, and the
queries a check and the log cost."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safepact.accounts.services import api_token_create
from safepact.lib import clock
from safepact.registry import services
from safepact.registry.models import Check, Hit
from safepact.registry.tests.conftest import boat_alert
from safepact.registry.tests.test_api_access import HIN_1, HIN_2, base, call

NO_HIT_KEYS = {"hit", "kind", "value", "warnings"}
HIT_KEYS = NO_HIT_KEYS | {"reference", "action", "action_text", "action_note", "hit_code", "outcome"}
#: What the alert holds that a checking partner must never read.
SECRETS = (
    "Bayliner",
    "white hull",
    "5000-K123456-26",
    "Rättegångsbalken",
    "Polisen",
    "boat",
    "SEABC12345D404",
    "6ML1034567",
    "Yamaha",
    "YAMAHA",
)


@pytest.fixture
def alert(reg):
    return boat_alert(reg, action="hold", action_note="Call 114 14.")


def check(client, reg, body, **extra):
    return call(client, "post", f"{base(reg)}/check", {"context": "offered_for_sale", **body}, **extra)


def assert_no_secrets(content: bytes, alert) -> None:
    text = content.decode()
    for secret in (*SECRETS, str(alert.code), str(alert.owner.code)):
        assert secret not in text, secret


def test_no_hit_answers_exactly_hit_kind_value_warnings(client, reg, alert):
    client.force_login(reg.marina)
    response = check(client, reg, {"kind": "hin", "value": "de-zzz11111a111"})
    assert response.status_code == 200, response.content
    assert response.json() == {"hit": False, "kind": "hin", "value": "DEZZZ11111A111", "warnings": []}
    assert set(response.json()) == NO_HIT_KEYS
    logged = Check.objects.get()
    assert (logged.user, logged.kind, logged.hit, logged.context) == (
        reg.marina,
        "hin",
        False,
        "offered_for_sale",
    )


def test_a_hit_answers_the_reference_and_the_action_and_nothing_else(client, reg, alert):
    client.force_login(reg.marina)
    response = check(client, reg, {"kind": "hin", "value": "nl xyz 98765 e505"})
    assert response.status_code == 200, response.content
    answer = response.json()
    assert set(answer) == HIT_KEYS
    hit = Hit.objects.get()
    assert answer == {
        "hit": True,
        "kind": "hin",
        "value": "NLXYZ98765E505",
        "reference": alert.reference,
        "action": "hold",
        "action_text": str(alert.get_action_display()),
        "action_note": "Call 114 14.",
        "hit_code": str(hit.code),
        "outcome": "Hit: follow the action; the police unit has been told.",
        "warnings": [],
    }
    assert_no_secrets(response.content, alert)
    assert (hit.checked_by, hit.context, hit.alert) == (reg.marina, "offered_for_sale", alert)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "imei", "value": "35-417803-685978-2"}, "value"),  # Luhn check fails
        ({"kind": "hin", "value": "NL-XYZ98*"}, "value"),  # partners may not check partial identifiers
        ({"kind": "hin", "value": "NL-XYZ98%"}, "value"),
        ({"kind": "spaceship", "value": "NCC-1701"}, "kind"),
        ({"kind": "hin", "value": ""}, "value"),
        ({"kind": "engine", "value": "6ML-1034567"}, "manufacturer"),
        ({"kind": "hin", "value": "NL-XYZ98765E505", "context": "curiosity"}, "context"),
        ({"kind": "hin", "value": "NL-XYZ98765E505", "alert": "show me"}, "alert"),
    ],
)
def test_bad_input_names_the_field_and_logs_nothing(client, reg, alert, body, field):
    client.force_login(reg.marina)
    response = check(client, reg, body)
    assert response.status_code == 422, response.content
    payload = response.json()
    assert payload["code"] == "invalid"
    assert payload["detail"].startswith(f"{field}:"), payload
    assert not Check.objects.exists()
    assert not Hit.objects.exists()


def test_the_rate_limit_answers_429_with_retry_after(client, reg, alert, settings):
    settings.SAFEPACT_REGISTRY_RATE_LIMITS = {**settings.SAFEPACT_REGISTRY_RATE_LIMITS, "user_per_minute": 3}
    client.force_login(reg.marina)
    with clock.frozen(datetime(2026, 3, 10, 9, 0, 15, tzinfo=UTC)):
        for _ in range(3):
            assert check(client, reg, HIN_1).status_code == 200
        response = check(client, reg, HIN_2)
        assert response.status_code == 429
        assert response.json()["code"] == "rate_limited"
        assert response.json()["detail"]
        assert response["Retry-After"] == "45"
        assert Check.objects.count() == 3
        assert not Hit.objects.filter(identifier__value="NLXYZ98765E505").exists()
        # Someone else of another organisation still checks.
        client.force_login(reg.city)
        assert check(client, reg, HIN_2).status_code == 200
    with clock.frozen(datetime(2026, 3, 10, 9, 1, 1, tzinfo=UTC)):
        client.force_login(reg.marina)
        assert check(client, reg, HIN_2).status_code == 200


def test_the_organisation_limit_holds_for_its_people_together(client, reg, alert, settings):
    from conftest import add_member, make_user

    settings.SAFEPACT_REGISTRY_RATE_LIMITS = {
        **settings.SAFEPACT_REGISTRY_RATE_LIMITS,
        "organisation_per_minute": 2,
    }
    deckhand = make_user("deck@marina.example", "Dan Deckhand")
    add_member(
        coordinator=reg.police,
        partnership=reg.partnership,
        user=deckhand,
        role="member",
        organisation=reg.m_marina.partner.organisation,
    )
    with clock.frozen(datetime(2026, 3, 10, 9, 0, 50, tzinfo=UTC)):
        client.force_login(reg.marina)
        assert check(client, reg, HIN_1).status_code == 200
        assert check(client, reg, HIN_1).status_code == 200
        client.force_login(deckhand)
        response = check(client, reg, HIN_1)
    assert response.status_code == 429
    assert response["Retry-After"] == "10"


def test_a_check_with_a_personal_api_token(client, reg, alert):
    _token, secret = api_token_create(user=reg.marina, name="Marina stock system")
    response = check(client, reg, HIN_2, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200, response.content
    assert response.json()["hit"] is True
    assert Hit.objects.get().checked_by == reg.marina
    # A token of a viewer is refused, of an outsider not found, a wrong one unauthenticated.
    _token, viewer_secret = api_token_create(user=reg.viewer, name="Viewer script")
    _token, outsider_secret = api_token_create(user=reg.outsider, name="Outsider script")
    assert check(client, reg, HIN_2, HTTP_AUTHORIZATION=f"Bearer {viewer_secret}").status_code == 403
    assert check(client, reg, HIN_2, HTTP_AUTHORIZATION=f"Bearer {outsider_secret}").status_code == 404
    assert check(client, reg, HIN_2, HTTP_AUTHORIZATION="Bearer sp_not-a-token").status_code == 401
    assert Check.objects.count() == 1


def test_a_check_costs_only_the_access_lookup_beyond_the_service(client, reg, alert):
    """The hot path: the endpoint adds the membership lookup (and the session's own) to what the service
    does, nothing else."""
    client.force_login(reg.marina)
    check(client, reg, {"kind": "hin", "value": "DE-ZZZ11111A111"})  # warm up (session, content types)
    with CaptureQueriesContext(connection) as service:
        services.check_identifier(
            user=reg.marina, membership=reg.m_marina, context="purchase", kind="hin", value="DE-ZZZ11111A112"
        )
    with CaptureQueriesContext(connection) as endpoint:
        assert check(client, reg, {"kind": "hin", "value": "DE-ZZZ11111A113"}).status_code == 200
    # The session and its user, the membership (with partner, partnership and organisation).
    assert len(endpoint) <= len(service) + 3, [q["sql"][:120] for q in endpoint.captured_queries]


# Many at once -----------------------------------------------------------------------------------------


def test_many_identifiers_at_once_answered_by_index(client, reg, alert):
    client.force_login(reg.marina)
    items = [
        {"kind": "hin", "value": "DE-ZZZ11111A111"},
        {"kind": "imei", "value": "35-417803-685978-2"},
        HIN_2,
        {"kind": "hin", "value": "SE-ABC*"},
        {"kind": "starship", "value": "NCC-1701"},
    ]
    response = call(client, "post", f"{base(reg)}/checks", {"items": items, "context": "purchase"})
    assert response.status_code == 200, response.content
    payload = response.json()
    assert [r["index"] for r in payload["results"]] == [0, 2]
    assert set(payload["results"][0]) == NO_HIT_KEYS | {"index"}
    assert set(payload["results"][1]) == HIT_KEYS | {"index"}
    assert payload["results"][1]["reference"] == alert.reference
    assert [(e["index"], e["field"]) for e in payload["errors"]] == [(1, "value"), (3, "value"), (4, "kind")]
    assert all(e["message"] for e in payload["errors"])
    assert_no_secrets(response.content, alert)
    assert Check.objects.count() == 2


def test_at_most_a_thousand_at_once(client, reg):
    client.force_login(reg.marina)
    items = [{"kind": "hin", "value": f"DE-ZZZ{n:05d}A111"} for n in range(1001)]
    response = call(client, "post", f"{base(reg)}/checks", {"items": items, "context": "purchase"})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("items:")
    assert not Check.objects.exists()
    response = call(client, "post", f"{base(reg)}/checks", {"items": items[:1000], "context": "purchase"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1000
    assert Check.objects.count() == 1000


def test_many_at_once_count_against_the_daily_bulk_quota(client, reg, settings):
    settings.SAFEPACT_REGISTRY_RATE_LIMITS = {
        **settings.SAFEPACT_REGISTRY_RATE_LIMITS,
        "batch_rows_per_day": 3,
    }
    client.force_login(reg.marina)
    items = [{"kind": "hin", "value": f"DE-ZZZ{n:05d}A111"} for n in range(2)]
    assert (
        call(client, "post", f"{base(reg)}/checks", {"items": items, "context": "purchase"}).status_code
        == 200
    )
    response = call(client, "post", f"{base(reg)}/checks", {"items": items, "context": "purchase"})
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) >= 1
    assert Check.objects.count() == 2


# The own check log ------------------------------------------------------------------------------------


def test_the_check_log_is_your_own_with_the_outcome_you_are_told(client, reg, alert):
    client.force_login(reg.marina)
    check(client, reg, {"kind": "hin", "value": "DE-ZZZ11111A111"})
    hit_code = check(client, reg, HIN_2).json()["hit_code"]
    client.force_login(reg.city)
    check(client, reg, HIN_1)
    hit = Hit.objects.get(code=hit_code)
    services.hit_decide(user=reg.police, hit=hit, status="confirmed", note="Stolen in Limhamn; Bayliner.")

    client.force_login(reg.marina)
    response = client.get(f"{base(reg)}/checks")
    assert response.status_code == 200
    items = response.json()["items"]
    assert response.json()["count"] == 2
    newest, oldest = items
    assert newest == {
        "kind": "hin",
        "key": "hin:NLXYZ98765E505",
        "context": "offered_for_sale",
        "checked_at": newest["checked_at"],
        "hit": True,
        "reference": alert.reference,
        "hit_code": hit_code,
        "outcome": "Confirmed: the police will contact you.",
    }
    assert oldest == {
        "kind": "hin",
        "key": "hin:DEZZZ11111A111",
        "context": "offered_for_sale",
        "checked_at": oldest["checked_at"],
        "hit": False,
    }
    assert_no_secrets(response.content, alert)
    assert "Limhamn" not in response.content.decode()


def test_the_check_log_costs_the_same_for_few_and_many(client, reg, alert, django_assert_max_num_queries):
    client.force_login(reg.marina)
    for _ in range(2):
        check(client, reg, HIN_2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"{base(reg)}/checks").status_code == 200
    services.check_many(
        user=reg.marina,
        membership=reg.m_marina,
        items=[HIN_2] * 20 + [{"kind": "hin", "value": f"DE-ZZZ{n:05d}A111"} for n in range(30)],
        context="purchase",
    )
    with django_assert_max_num_queries(len(few)):
        response = client.get(f"{base(reg)}/checks", {"limit": 100})
    assert response.json()["count"] == 52
