"""A single check: the exact answer a partner gets (hit and no hit, nothing of the alert), access (viewer
403, no membership 404), exact checks only (wildcards and partial values refused), normalised spellings
meeting the same alert, the check log, hits (Hit, audit, notification to the owning unit) and the rate
limits per person and per organisation with a controllable clock."""

from dataclasses import asdict, fields
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.notifications.models import Notification
from safepact.registry import services
from safepact.registry.models import Check, Hit, HitAction, RateWindow
from safepact.registry.services import CheckResult, RateLimited, check_identifier
from safepact.registry.tests.checks_factories import SECRETS, checks_of, counts, make_alert

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 10, 0, 15, tzinfo=UTC)
RESULT_FIELDS = {
    "hit",
    "kind",
    "value",
    "reference",
    "action",
    "action_text",
    "action_note",
    "hit_code",
    "warnings",
}


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def check(
    reg,
    value="NL-XYZ98765E505",
    *,
    who=None,
    membership=None,
    kind="hin",
    context="offered_for_sale",
    **extra,
):
    return check_identifier(
        user=who or reg.marina,
        membership=membership or reg.m_marina,
        kind=kind,
        value=value,
        context=context,
        **extra,
    )


# What a partner receives ---------------------------------------------------------------------------


def test_a_check_without_a_hit_answers_no_hit_and_nothing_else(reg):
    make_alert(reg)
    result = check(reg, "se abc12345 d405")
    assert isinstance(result, CheckResult)
    assert {f.name for f in fields(result)} == RESULT_FIELDS
    assert asdict(result) == {
        "hit": False,
        "kind": "hin",
        "value": "SEABC12345D405",
        "reference": "",
        "action": "",
        "action_text": "",
        "action_note": "",
        "hit_code": None,
        "warnings": (),
    }


def test_a_hit_answers_the_reference_and_the_action_and_nothing_of_the_alert(reg):
    alert = make_alert(reg, reference="REG-2026-000042", action="contact", action_note="Call 114 14.")
    result = check(reg, "nl xyz 98765 e505")
    hit = Hit.objects.get()
    assert asdict(result) == {
        "hit": True,
        "kind": "hin",
        "value": "NLXYZ98765E505",
        "reference": "REG-2026-000042",
        "action": "contact",
        "action_text": str(HitAction.CONTACT.label),
        "action_note": "Call 114 14.",
        "hit_code": hit.code,
        "warnings": (),
    }
    # none of the alert's details, nor its other identifiers, are in the answer
    text = repr(asdict(result)).lower()
    for secret in (*SECRETS, alert.description, alert.case_reference, alert.legal_basis, str(alert.code)):
        if secret.lower() not in ("nlxyz98765e505",):
            assert secret.lower() not in text, secret
    assert "seabc12345d404" not in text and "6ml1034567" not in text


# Access ----------------------------------------------------------------------------------------------


def test_a_viewer_may_not_check(reg):
    make_alert(reg)
    with pytest.raises(PermissionDenied):
        check(reg, who=reg.viewer, membership=reg.m_viewer)
    assert not Check.objects.exists() and not Hit.objects.exists()


def test_without_a_membership_the_service_refuses(reg):
    from safepact.partnerships.selectors import membership_in

    make_alert(reg)
    assert membership_in(reg.outsider, reg.partnership) is None  # an outsider cannot even get one
    with pytest.raises(Http404):
        check_identifier(
            user=reg.outsider, membership=None, kind="hin", value="NL-XYZ98765E505", context="routine"
        )
    with pytest.raises(Http404):  # someone else's membership does not do either
        check(reg, who=reg.outsider, membership=reg.m_marina)
    assert not Check.objects.exists() and not RateWindow.objects.exists()


def test_law_enforcement_members_may_check_too(reg):
    make_alert(reg)
    assert check(reg, who=reg.customs, membership=reg.m_customs).hit


# Bad input: exact checks only ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "field"),
    [
        ("hin", "NL-XYZ98765*", "value"),
        ("hin", "NLXYZ9876%", "value"),
        ("hin", "NLXYZ98765E50?", "value"),
        ("vin", "WBA71DC010CH1472_", "value"),
        ("hin", "", "value"),
        ("hin", "NLXYZ987", "value"),  # a part of the identifier is not an identifier
        ("rocket", "NL-XYZ98765E505", "kind"),
    ],
)
def test_partial_wildcard_and_bad_values_are_refused_and_nothing_is_stored(reg, kind, value, field):
    make_alert(reg)
    with pytest.raises(ValidationError) as error:
        check(reg, value, kind=kind)
    assert field in error.value.message_dict
    assert not Check.objects.exists() and not Hit.objects.exists() and not RateWindow.objects.exists()


def test_a_context_is_required(reg):
    with pytest.raises(ValidationError) as error:
        check(reg, context="curiosity")
    assert "context" in error.value.message_dict
    assert not Check.objects.exists()


def test_the_engine_manufacturer_is_required_and_named(reg):
    with pytest.raises(ValidationError) as error:
        check(reg, "6ML-1034567", kind="engine")
    assert "manufacturer" in error.value.message_dict


@pytest.mark.parametrize(
    ("kind", "value", "extra"),
    [
        ("hin", "NL-XYZ98765E505", {}),
        ("hin", "nl xyz 98765 e505", {}),
        ("hin", "NL.XYZ.98765.E505", {}),
        ("engine", "6ml 1034567", {"manufacturer": "YAMAHA"}),
        ("engine", "6ML/1034567", {"manufacturer": "yamaha"}),
        ("vin", "wba71dc01och14720", {}),  # O is never in a VIN: it is a zero
        ("vin", "WBA 71DC 010C H147 20", {}),
    ],
)
def test_normalised_spellings_meet_the_same_alert(reg, kind, value, extra):
    alert = make_alert(
        reg,
        identifiers_=[
            {"kind": "hin", "value": "NL-XYZ98765E505"},
            {"kind": "engine", "manufacturer": "Yamaha", "value": "6ML-1034567"},
            {"kind": "vin", "value": "WBA71DC010CH14720"},
        ],
    )
    result = check(reg, value, kind=kind, **extra)
    assert result.hit and result.reference == alert.reference


def test_a_different_identifier_a_withdrawn_alert_and_another_partnership_do_not_hit(reg):
    make_alert(reg, identifiers_=[{"kind": "vin", "value": "WBA71DC010CH14720"}])
    make_alert(reg, reference="REG-2026-000002", status="withdrawn")
    assert not check(reg, "WBA71DC010CH14721", kind="vin").hit
    assert not check(reg).hit  # the boat's alert was withdrawn
    assert not Hit.objects.exists()


# The check log ---------------------------------------------------------------------------------------


def test_every_check_is_logged_with_who_what_when_and_context(reg):
    make_alert(reg)
    check(reg, "SE-ABC12345D405", context="repair")
    clock.advance(timedelta(seconds=5))
    check(reg, "NL-XYZ98765E505", context="purchase")
    first, second = checks_of(reg.marina)
    organisation = reg.m_marina.partner.organisation
    assert (first.partnership, first.user, first.organisation, first.batch_id) == (
        reg.partnership,
        reg.marina,
        organisation,
        None,
    )
    assert (first.kind, first.key, first.context, first.checked_at, first.hit) == (
        "hin",
        "hin:SEABC12345D405",
        "repair",
        NOW,
        False,
    )
    assert (second.key, second.context, second.checked_at, second.hit) == (
        "hin:NLXYZ98765E505",
        "purchase",
        NOW + timedelta(seconds=5),
        True,
    )


def test_a_check_without_a_hit_is_not_in_the_audit_trail(reg):
    before = AuditEvent.objects.count()
    check(reg, "SE-ABC12345D405")
    assert AuditEvent.objects.count() == before  # decision 0007: the check log records it


# Hits ------------------------------------------------------------------------------------------------


def test_a_hit_is_recorded_audited_and_the_owning_unit_is_told(reg):
    alert = make_alert(reg)
    result = check(reg, context="offered_for_sale")
    hit = Hit.objects.get()
    logged = Check.objects.get()
    assert (hit.code, hit.alert, hit.kind, hit.status) == (result.hit_code, alert, "live", "open")
    assert (hit.check_ref, hit.key, hit.checked_value) == (logged.pk, "hin:NLXYZ98765E505", "NL-XYZ98765E505")
    assert (hit.checked_by, hit.checked_by_organisation, hit.context, hit.checked_at) == (
        reg.marina,
        reg.m_marina.partner.organisation,
        "offered_for_sale",
        NOW,
    )
    assert hit.batch_id is None and hit.batch_line is None
    assert AuditEvent.objects.filter(action="registry.hit.created").count() == 1
    told = Notification.objects.filter(kind="registry.hit")
    recipients = set(told.values_list("recipient__email", flat=True))
    assert {reg.police.email, reg.officer.email} <= recipients
    assert reg.marina.email not in recipients and reg.customs.email not in recipients
    for notification in told:
        assert alert.reference in notification.title
        for secret in (alert.description, alert.case_reference, "NLXYZ98765E505"):
            assert secret not in notification.title and secret not in notification.body


def test_two_alerts_on_one_identifier_answer_the_first_reference_and_both_units_hear(reg):
    second = make_alert(reg, reference="REG-2026-000009", owner=reg.m_customs.partner, action="report")
    first = make_alert(reg, reference="REG-2026-000003")
    result = check(reg)
    assert (result.reference, result.action) == (first.reference, "hold")
    assert set(Hit.objects.values_list("alert", flat=True)) == {first.pk, second.pk}
    assert result.hit_code == Hit.objects.get(alert=first).code
    assert Check.objects.count() == 1
    assert set(Hit.objects.values_list("check_ref", flat=True)) == {Check.objects.get().pk}
    recipients = set(
        Notification.objects.filter(kind="registry.hit").values_list("recipient__email", flat=True)
    )
    assert {reg.police.email, reg.customs.email} <= recipients


# Rate limits -----------------------------------------------------------------------------------------


@pytest.fixture
def limits(settings):
    settings.SAFEPACT_REGISTRY_RATE_LIMITS = {
        "user_per_minute": 3,
        "organisation_per_minute": 5,
        "batch_rows_per_day": 100,
    }
    return settings.SAFEPACT_REGISTRY_RATE_LIMITS


def test_the_rate_limit_per_person_holds_until_the_next_minute(reg, limits):
    make_alert(reg)
    for _ in range(3):
        check(reg, "SE-ABC12345D405")
    with pytest.raises(RateLimited) as refused:
        check(reg)  # a hit would be found, but the check is refused before the lookup
    assert refused.value.scope == "person"
    assert refused.value.retry_after == 45  # it is 10:00:15
    assert Check.objects.count() == 3 and not Hit.objects.exists()
    assert counts(f"u:{reg.marina.pk}") == 4  # the refused attempt counts
    with pytest.raises(RateLimited):
        check(reg)
    # others are not limited by the marina's person limit
    assert not check(reg, "SE-ABC12345D405", who=reg.city, membership=reg.m_city).hit
    clock.advance(timedelta(seconds=45))
    assert check(reg).hit


def test_the_rate_limit_per_organisation_holds_across_its_people(reg, limits):
    # the police coordinator and the officer are both of Polisen Malmö (limit 5 a minute, 3 each)
    for _ in range(3):
        check(reg, "SE-ABC12345D405", who=reg.police, membership=reg.m_police)
    for _ in range(2):
        check(reg, "SE-ABC12345D405", who=reg.officer, membership=reg.m_officer)
    with pytest.raises(RateLimited) as refused:
        check(reg, "SE-ABC12345D405", who=reg.officer, membership=reg.m_officer)
    assert refused.value.scope == "organisation"
    assert Check.objects.filter(organisation=reg.m_police.partner.organisation).count() == 5
    # another organisation is not affected
    check(reg, "SE-ABC12345D405")
    clock.advance(timedelta(minutes=1))
    check(reg, "SE-ABC12345D405", who=reg.officer, membership=reg.m_officer)


def test_the_default_limits_are_in_settings(reg, settings):
    assert settings.SAFEPACT_REGISTRY_RATE_LIMITS["user_per_minute"] >= 1
    result = services.check_identifier(
        user=reg.marina, membership=reg.m_marina, kind="imei", value="35-209900-176148-1", context="found"
    )
    assert (result.hit, result.kind, result.value) == (False, "imei", "352099001761481")
    window = RateWindow.objects.get(scope=f"u:{reg.marina.pk}")
    assert (window.window, window.count) == (int(NOW.timestamp()) // 60, 1)


# The example, through the real alert_create ------------------------------------------------


def test_a_marina_checks_the_second_hull_number_of_a_registered_boat(reg):
    from safepact.registry.tests.conftest import boat_alert

    alert = boat_alert(reg)
    result = check(reg, "nl xyz98765 e505", context="storage")
    assert (result.hit, result.reference, result.action) == (True, alert.reference, "hold")
    assert not check(reg, "SE-ABC12345D405").hit  # one character off: no hit, no fuzzy matching
    hit = Hit.objects.get(alert=alert)
    assert (hit.code, hit.checked_by, hit.context) == (result.hit_code, reg.marina, "storage")
    for secret in (alert.description, alert.case_reference, alert.legal_basis, "SEABC12345D404"):
        assert secret not in repr(asdict(result))
