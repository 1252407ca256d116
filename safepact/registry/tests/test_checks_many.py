"""Many checks at once (``check_many``, the API) and the set-based core (``check_rows``): per-item errors by
index and field without logging the bad items, answers in order, the daily batch quota (refused as a
whole), chunked lookups with duplicates and hits across chunk borders; and the person's own check log
(``check_list``) with the outcome of hits, without N+1."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.lib import clock
from safepact.registry import selectors, services
from safepact.registry.models import Check, Hit, HitStatus
from safepact.registry.services import CheckError, CheckResult, RateLimited, check_many, check_rows
from safepact.registry.services import checks as checks_module
from safepact.registry.tests.checks_factories import SECRETS, checks_of, counts, make_alert

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 10, 0, 15, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def many(reg, items, *, who=None, membership=None, context="routine"):
    return check_many(
        user=who or reg.marina, membership=membership or reg.m_marina, items=items, context=context
    )


# check_many ------------------------------------------------------------------------------------------


def test_each_item_is_answered_in_order_with_errors_by_index_and_field(reg):
    alert = make_alert(reg)
    answers = many(
        reg,
        [
            {"kind": "hin", "value": "SE-ABC12345D405"},
            {"kind": "hin", "value": "NLXYZ98765*"},
            {"kind": "engine", "value": "6ML-1034567", "manufacturer": "yamaha"},
            {"kind": "engine", "value": "6ML-1034567"},
            {"kind": "teleporter", "value": "X1"},
            "not a dict",
            {"kind": "vin", "value": "WBA71DC010CH14720"},
        ],
    )
    assert [type(answer) for answer in answers] == [
        CheckResult,
        CheckError,
        CheckResult,
        CheckError,
        CheckError,
        CheckError,
        CheckResult,
    ]
    assert [(a.index, a.field) for a in answers if isinstance(a, CheckError)] == [
        (1, "value"),
        (3, "manufacturer"),
        (4, "kind"),
        (5, "items"),
    ]
    assert [a.hit for a in answers if isinstance(a, CheckResult)] == [False, True, False]
    hit = answers[2]
    assert (hit.reference, hit.action, hit.value, hit.hit_code) == (
        alert.reference,
        "hold",
        "6ML1034567",
        Hit.objects.get().code,
    )
    text = repr(answers)
    for secret in (alert.description, alert.case_reference, "Polisen", "SEABC12345D404", "NLXYZ98765E505"):
        assert secret not in text
    # only the three good items are logged (with whether they hit)
    logged = {c.key: c for c in checks_of(reg.marina)}
    assert {key: c.hit for key, c in logged.items()} == {
        "hin:SEABC12345D405": False,
        "engine:YAMAHA:6ML1034567": True,
        "vin:WBA71DC010CH14720": False,
    }
    assert {c.context for c in logged.values()} == {"routine"}
    hit = Hit.objects.get()
    assert (hit.check_ref, hit.checked_value) == (logged["engine:YAMAHA:6ML1034567"].pk, "6ML-1034567")


def test_at_most_a_thousand_items_and_a_context(reg):
    with pytest.raises(ValidationError) as error:
        many(reg, [{"kind": "vin", "value": "WBA71DC010CH14720"}] * 1001)
    assert "items" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        many(reg, [{"kind": "vin", "value": "WBA71DC010CH14720"}], context="nosy")
    assert "context" in error.value.message_dict
    assert many(reg, []) == []
    assert not Check.objects.exists()


def test_viewers_and_people_without_a_membership_are_refused(reg):
    with pytest.raises(PermissionDenied):
        many(reg, [{"kind": "vin", "value": "WBA71DC010CH14720"}], who=reg.viewer, membership=reg.m_viewer)
    with pytest.raises(Http404):
        check_many(user=reg.outsider, membership=None, items=[], context="routine")


def test_many_checks_count_against_the_daily_batch_quota_and_are_refused_as_a_whole(reg, settings):
    settings.SAFEPACT_REGISTRY_RATE_LIMITS = {
        **settings.SAFEPACT_REGISTRY_RATE_LIMITS,
        "batch_rows_per_day": 3,
    }
    scope = f"b:{reg.m_marina.partner.organisation_id}"
    items = [{"kind": "vin", "value": "WBA71DC010CH14720"}, {"kind": "vin", "value": "bad*"}]
    many(reg, items * 2)  # two valid items count, the bad ones do not
    assert counts(scope) == 2
    with pytest.raises(RateLimited) as refused:
        many(reg, items * 2)
    assert refused.value.scope == "batch"
    assert 0 < refused.value.retry_after <= 24 * 3600
    assert counts(scope) == 2 and Check.objects.count() == 2  # nothing reserved, nothing checked
    many(reg, items[:1])
    assert counts(scope) == 3
    # the per-minute limits are not touched by many checks
    assert counts(f"u:{reg.marina.pk}") == 0
    clock.advance(timedelta(days=1))
    many(reg, items * 2)
    assert Check.objects.count() == 5


# check_rows ------------------------------------------------------------------------------------------


def _rows(values):
    from safepact.registry import identifiers

    out = []
    for line, (kind, value, manufacturer) in enumerate(values, start=2):
        parsed = identifiers.parse(kind, value, manufacturer=manufacturer)
        out.append((parsed.kind, parsed.key, value, line))
    return out


def test_check_rows_finds_hits_across_chunks_with_duplicates_and_logs_every_row(reg, monkeypatch):
    monkeypatch.setattr(checks_module, "LOOKUP_CHUNK", 2)
    monkeypatch.setattr(checks_module, "WRITE_CHUNK", 3)
    first = make_alert(reg, reference="REG-2026-000001")
    second = make_alert(
        reg, reference="REG-2026-000002", identifiers_=[{"kind": "vin", "value": "WBA71DC010CH14720"}]
    )
    rows = _rows(
        [
            ("vin", "1M8GDM9AXKP042788", ""),
            ("vin", "WBA71DC010CH14720", ""),  # 1: second
            ("hin", "SE-ABC12345D405", ""),
            ("hin", "SE-ABC12345D405", ""),  # a duplicate key in one chunk
            ("engine", "6ML 1034567", "Yamaha"),  # 4: first
            ("vin", "WBA71DC010CH14720", ""),  # 5: second again
            ("hin", "NLXYZ98765E505", ""),  # 6: first
        ]
    )
    matches = check_rows(
        partnership_id=reg.partnership.pk,
        user_id=reg.city.pk,
        organisation_id=reg.m_city.partner.organisation_id,
        context="registration",
        rows=rows,
    )
    assert [(m.index, m.reference) for m in matches] == [
        (1, second.reference),
        (4, first.reference),
        (5, second.reference),
        (6, first.reference),
    ]
    logged = checks_of(reg.city)
    # every row is logged once (within a chunk in key order: the index is written in one sweep)
    assert sorted(c.key for c in logged) == sorted(row[1] for row in rows)
    assert sorted((c.key, c.hit) for c in logged if c.hit) == sorted(
        [("vin:WBA71DC010CH14720", True)] * 2
        + [("engine:YAMAHA:6ML1034567", True), ("hin:NLXYZ98765E505", True)]
    )
    assert sum(1 for c in logged if not c.hit) == 3
    by_id = {c.pk: c for c in logged}
    assert [by_id[m.check_id].key for m in matches] == [rows[m.index][1] for m in matches]
    assert len({m.check_id for m in matches}) == 4
    assert {c.context for c in logged} == {"registration"}
    assert {c.checked_at for c in logged} == {NOW}
    hits = Hit.objects.order_by("check_ref")
    assert [(h.alert_id, h.batch_line, h.checked_value) for h in hits] == [
        (second.pk, 3, "WBA71DC010CH14720"),
        (first.pk, 6, "6ML 1034567"),
        (second.pk, 7, "WBA71DC010CH14720"),
        (first.pk, 7 + 1, "NLXYZ98765E505"),
    ]
    assert all(m.hit_code == Hit.objects.get(check_ref=m.check_id).code for m in matches)


def test_check_rows_of_another_partnership_finds_nothing(reg):
    make_alert(reg)
    matches = check_rows(
        partnership_id=reg.world.partnership_b.pk,
        user_id=reg.coordinator_b.pk,
        organisation_id=reg.world.org_b.pk,
        context="routine",
        rows=_rows([("hin", "NLXYZ98765E505", "")]),
    )
    assert matches == [] and not Hit.objects.exists()
    assert Check.objects.get().partnership == reg.world.partnership_b


def _check_as_city(reg, rows):
    return check_rows(
        partnership_id=reg.partnership.pk,
        user_id=reg.city.pk,
        organisation_id=reg.m_city.partner.organisation_id,
        context="registration",
        rows=rows,
    )


@pytest.mark.parametrize(
    "bad_key",
    ["vin:AB" + checks_module.ROW_SEPARATOR + "CD", 'vin:AB"CD', "vin:AB\\CD", "vin:AB\nCD"],
)
def test_check_rows_refuses_a_key_it_cannot_send_as_is_and_logs_nothing(reg, bad_key):
    """PostgreSQL receives a chunk's keys as one text joined by ``ROW_SEPARATOR``, SQLite as a JSON array
    written by hand: parsed keys never hold the separator, a quote, a backslash or a control character, and
    a row whose key does is refused before anything is written, on both databases alike."""
    make_alert(reg)
    rows = [*_rows([("hin", "NLXYZ98765E505", "")]), ("vin", bad_key, "x", 2)]
    with pytest.raises(ValueError, match="quote, backslash or control character"):
        _check_as_city(reg, rows)
    assert not Check.objects.exists() and not Hit.objects.exists()


def test_check_rows_logs_each_row_with_its_kind_and_key_for_every_kind(reg):
    """The logged kind is the parsed kind, for every kind (SQLite reads it off the key's prefix)."""
    samples = [
        ("vin", "WBA71DC010CH14720", ""),
        ("hin", "NLXYZ98765E505", ""),
        ("imei", "352099001761481", ""),
        ("imo", "9074729", ""),
        ("frame", "WTU123456789", ""),
        ("engine", "BF150-1234567", "Honda Marine"),
        ("serial", "SN-0042-XYZ", "Acme"),
    ]
    rows = _rows(samples)
    _check_as_city(reg, rows)
    logged = sorted(Check.objects.values_list("kind", "key"))
    assert logged == sorted((kind, key) for kind, key, _value, _line in rows)
    assert {kind for kind, _key in logged} == {"vin", "hin", "imei", "imo", "frame", "engine", "serial"}


# check_list ------------------------------------------------------------------------------------------


def test_the_check_log_shows_own_checks_newest_first_with_the_outcome(reg):
    make_alert(reg)
    services.check_identifier(
        user=reg.marina, membership=reg.m_marina, kind="hin", value="SEABC12345D405", context="routine"
    )
    clock.advance(timedelta(seconds=1))
    services.check_identifier(
        user=reg.marina, membership=reg.m_marina, kind="hin", value="NLXYZ98765E505", context="purchase"
    )
    services.check_identifier(
        user=reg.city, membership=reg.m_city, kind="hin", value="NLXYZ98765E505", context="purchase"
    )
    entries = list(selectors.check_list(user=reg.marina, partnership=reg.partnership))
    assert [(e.key, e.hit) for e in entries] == [("hin:NLXYZ98765E505", True), ("hin:SEABC12345D405", False)]
    hit = Hit.objects.get(checked_by=reg.marina)
    assert (entries[0].hit_code, entries[0].hit_status, entries[0].hit_reference) == (
        hit.code,
        "open",
        "REG-2026-000001",
    )
    assert entries[0].hit_outcome == str(selectors.checker_outcome(hit))
    assert entries[1].hit_outcome == "" and entries[1].hit_code is None
    Hit.objects.filter(pk=hit.pk).update(status=HitStatus.CONFIRMED)
    entry = selectors.check_list(user=reg.marina, partnership=reg.partnership).first()
    assert entry.hit_outcome == str(selectors.checker_outcome(Hit(status=HitStatus.CONFIRMED)))
    for secret in SECRETS:
        if secret != "NLXYZ98765E505":  # the partner's own identifier
            assert secret not in repr(vars(entry))


def test_the_check_log_is_for_members_who_check(reg):
    with pytest.raises(PermissionDenied):
        selectors.check_list(user=reg.viewer, partnership=reg.partnership)
    with pytest.raises(Http404):
        selectors.check_list(user=reg.outsider, partnership=reg.partnership)


@pytest.mark.parametrize("checks", [2, 20])
def test_the_check_log_needs_no_query_per_row(reg, checks, django_assert_max_num_queries):
    make_alert(reg)
    for number in range(checks):
        value = "NLXYZ98765E505" if number % 2 else f"SEABC123{number:02d}D405"
        services.check_identifier(
            user=reg.marina, membership=reg.m_marina, kind="hin", value=value, context="routine"
        )
        clock.advance(timedelta(seconds=1))
    with django_assert_max_num_queries(3):
        entries = list(selectors.check_list(user=reg.marina, partnership=reg.partnership))
        outcomes = [entry.hit_outcome for entry in entries]
    assert len(entries) == checks and sum(1 for o in outcomes if o) == checks // 2
