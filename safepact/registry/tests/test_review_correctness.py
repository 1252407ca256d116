"""Correctness review of the registry (issue 7): what police, dealers, insurers and marinas expect of it.

Each test pins one behaviour checked in the review; those marked ``xfail(strict=True)`` pin a problem in a
module this review did not change (``services/checks.py``, ``services/hits.py``): they start passing (and
so fail as XPASS) once it is fixed there, and the marker goes."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.notifications.models import Notification
from safepact.registry import identifiers, selectors, services
from safepact.registry.models import Alert, AlertStatus, BatchCheck, Check, Hit, HitKind, Identifier, Overlap
from safepact.registry.services import daily
from safepact.registry.services.transfer import (
    ImportRejected,
    alerts_export,
    import_alerts,
    load_mapping,
)
from safepact.registry.tests.alerts_factories import (
    NOW,
    boat_alert,
    engine,
    key_of,
    law_enforcement_in_b,
    logged_check,
)
from safepact.registry.tests.checks_factories import csv_file
from safepact.registry.tests.transfer_factories import MAPPINGS, keys_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def check(reg, item: dict, *, user=None, membership=None, context="offered_for_sale"):
    return services.check_identifier(
        user=user or reg.marina,
        membership=membership or reg.m_marina,
        kind=item["kind"],
        value=item["value"],
        manufacturer=item.get("manufacturer", ""),
        country=item.get("country", ""),
        document_type=item.get("document_type", ""),
        context=context,
    )


# Identifiers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "ABC12345A606",  # since August 1984: month letter, year digit, model year
        "ABC 67689 1272",  # 1972-1984 "model year format": month and year of certification (MMYY)
        "ABC67689M73E",  # 1972-1984 "straight year format": M, model year, month letter
        "NL-ABC67689M73E",
    ],
)
def test_hull_numbers_of_boats_built_before_1984_are_valid(value):
    """Boats of 1972-1984 carry HINs in the two formats of that time; marinas store and sell them still."""
    parsed = identifiers.parse("hin", value)
    assert parsed.key == "hin:" + identifiers.compact("hin", value)
    assert identifiers.compact("hin", parsed.value) == parsed.value


def test_old_hull_number_formats_still_fold_only_the_serial():
    assert identifiers.parse("hin", "ABC6O689M73E").key == "hin:ABC60689M73E"
    assert identifiers.parse("hin", "ABC6O6891272").key == "hin:ABC606891272"
    # a month 13 or a month letter past L is not a HIN
    for value in ("ABC12345 1372", "ABC12345M73M", "ABC12345 0072"):
        with pytest.raises(identifiers.IdentifierError):
            identifiers.parse("hin", value)


def test_a_partner_checks_a_vin_with_a_warning_and_hits(reg):
    """A European VIN whose position 9 is a filler: accepted with a warning, stored, and checkable."""
    vin = {"kind": "vin", "value": "WP0ZZZ99ZTS392124"}
    assert identifiers.parse("vin", vin["value"]).warnings
    boat_alert(reg, identifiers=[vin], category="vehicle")
    result = check(reg, {"kind": "vin", "value": "wp0-zzz-99z-ts392124"})
    assert result.hit and result.reference.startswith("REG-2026-")
    assert result.warnings


def test_a_north_american_vin_needs_its_check_digit():
    with pytest.raises(identifiers.IdentifierError):
        identifiers.parse("vin", "1M8GDM9AYKP042788")
    assert identifiers.parse("vin", "1M8GDM9AXKP042788").warnings == ()


def test_an_imei_with_or_without_check_digit_and_its_imeisv_meet_one_alert(reg):
    boat_alert(reg, identifiers=[{"kind": "imei", "value": "35-209900-176148-1"}], category="phone")
    for value in ("35209900176148", "352099001761481", "3520990017614823"):
        assert check(reg, {"kind": "imei", "value": value}).hit, value


# Alerts: expiry and edits ------------------------------------------------------------------------------


BRUSSELS_MIDNIGHT = datetime(2026, 3, 10, 23, 0, tzinfo=UTC)  # 00:00 on 11 March in Brussels (CET)


def test_the_daily_job_expires_by_the_brussels_date_not_the_utc_date(reg):
    with clock.frozen(BRUSSELS_MIDNIGHT - timedelta(hours=2)):
        alert = boat_alert(reg, identifiers=[engine(1)], expires_on=date(2026, 3, 10))
    with clock.frozen(BRUSSELS_MIDNIGHT - timedelta(minutes=1)):  # 23:59 in Brussels: the last day
        assert daily.run_daily()["expired"] == 0
    with clock.frozen(BRUSSELS_MIDNIGHT + timedelta(minutes=30)):  # 00:30 in Brussels, still 10 March UTC
        assert daily.run_daily()["expired"] == 1
    alert.refresh_from_db()
    assert alert.status == AlertStatus.EXPIRED


def test_an_expired_alert_can_be_corrected_without_inventing_a_new_expiry_date(reg):
    """The owning unit fixes the description of an expired (or located) alert: its expiry date, now in the
    past, is sent back unchanged by the edit form and must not be refused."""
    alert = boat_alert(reg, identifiers=[engine(1)], expires_on=clock.today())
    clock.advance(timedelta(days=2))
    daily.run_daily()
    alert.refresh_from_db()
    updated = services.alert_update(
        user=reg.police, alert=alert, description="Bayliner VR5, corrected.", expires_on=alert.expires_on
    )
    assert updated.description == "Bayliner VR5, corrected."
    # a *new* date in the past is still refused
    with pytest.raises(ValidationError) as info:
        services.alert_update(user=reg.police, alert=alert, expires_on=clock.today() - timedelta(days=1))
    assert "expires_on" in info.value.message_dict


def test_reactivation_needs_a_date_and_turns_checks_made_meanwhile_into_late_hits(reg):
    item = engine(7)
    alert = boat_alert(reg, identifiers=[item], expires_on=clock.today())
    clock.advance(timedelta(days=1))
    daily.run_daily()
    logged_check(reg, item=item, when=clock.now())  # checked while expired: no hit
    services.alert_update(user=reg.police, alert=alert, expires_on=clock.today() + timedelta(days=30))
    services.alert_set_status(user=reg.police, alert=alert, status="active")
    assert list(Hit.objects.values_list("kind", flat=True)) == [HitKind.LATE]
    # made active twice more (located in between): no second late hit for the same check
    services.alert_set_status(user=reg.police, alert=alert, status="located")
    services.alert_set_status(user=reg.police, alert=alert, status="active")
    assert Hit.objects.count() == 1


# Hits ----------------------------------------------------------------------------------------------------


def test_escalation_after_exactly_the_partnerships_hours_and_once(reg):
    services.settings_update(
        user=reg.police,
        partnership=reg.partnership,
        escalation_hours=3,
        retention_days=90,
        default_alert_days=365,
    )
    boat_alert(reg)
    assert check(reg, {"kind": "hin", "value": "NL-XYZ98765E505"}).hit
    clock.advance(timedelta(hours=3) - timedelta(seconds=1))
    assert services.escalate_due_hits() == 0
    clock.advance(timedelta(seconds=1))
    assert services.escalate_due_hits() == 1
    clock.advance(timedelta(hours=5))
    assert services.escalate_due_hits() == 0
    assert AuditEvent.objects.filter(action="registry.hit.escalated").count() == 1


def test_a_hit_is_decided_once_and_the_checker_told_in_safe_words(reg):
    boat_alert(reg)
    result = check(reg, {"kind": "hin", "value": "NL-XYZ98765E505"})
    hit = Hit.objects.get(code=result.hit_code)
    services.hit_decide(user=reg.officer, hit=hit, status="confirmed", note="Seized at the marina.")
    with pytest.raises(ValidationError):
        services.hit_decide(user=reg.officer, hit=hit, status="rejected")
    told = Notification.objects.get(recipient=reg.marina, kind="registry.hit.decided")
    assert "police will contact you" in told.title
    assert "Seized" not in f"{told.title} {told.body}"
    entry = selectors.check_list(user=reg.marina, partnership=reg.partnership).get()
    assert entry.hit_outcome == "Confirmed: the police will contact you."


# Late hits -----------------------------------------------------------------------------------------------


def test_late_hits_only_within_the_retention_window_and_for_active_alerts(reg):
    item = engine(3)
    logged_check(reg, item=item, when=NOW - timedelta(days=91))  # beyond the 90 days
    inside = logged_check(reg, item=item, when=NOW - timedelta(days=89))
    alert = boat_alert(reg, identifiers=[item])
    assert list(Hit.objects.values_list("check_ref", "kind")) == [(inside.pk, HitKind.LATE)]
    withdrawn = boat_alert(reg, identifiers=[engine(4)], case_reference="W-1")
    services.alert_set_status(user=reg.police, alert=withdrawn, status="withdrawn")
    logged_check(reg, item=engine(5), when=NOW - timedelta(days=1))
    services.identifier_add(user=reg.police, alert=withdrawn, **engine(5))
    assert Hit.objects.filter(alert=withdrawn).count() == 0
    assert Hit.objects.filter(alert=alert).count() == 1


def test_an_identifier_removed_and_added_again_gives_no_second_late_hit(reg):
    item = engine(8)
    logged_check(reg, item=item, when=NOW - timedelta(days=2))
    alert = boat_alert(reg, identifiers=[engine(9), item])
    assert Hit.objects.count() == 1
    identifier = Identifier.objects.get(alert=alert, key=key_of(item))
    services.identifier_remove(user=reg.police, identifier=identifier)
    services.identifier_add(user=reg.police, alert=alert, **item)
    assert Hit.objects.count() == 1


LEGACY = "zaak_id;zaaknummer;soort_object;omschrijving;instructie;id_soort;id_waarde;id_merk\n"


def import_legacy(reg, text, *, dry_run=False, owner=None, actor=None):
    return import_alerts(
        actor=actor or reg.police,
        partnership=reg.partnership,
        owner=owner or reg.m_police.partner,
        data=text.encode(),
        file_name="legacy.csv",
        mapping=str(MAPPINGS / "legacy_rows.json"),
        dry_run=dry_run,
    )


def test_an_imported_alert_edited_and_imported_again_gives_no_duplicate_late_hits(reg):
    logged_check(reg, item={"kind": "frame", "value": "WTU123456789K"}, when=NOW - timedelta(days=3))
    text = LEGACY + "1;Z-1;FIETS;Fiets;;FRAME;WTU123456789K;\n"
    import_legacy(reg, text)
    assert Hit.objects.filter(kind=HitKind.LATE).count() == 1
    alert = Alert.objects.get(case_reference="Z-1")
    services.alert_update(user=reg.police, alert=alert, description="Gazelle, black")
    import_legacy(reg, text)
    assert Hit.objects.count() == 1
    assert Alert.objects.filter(case_reference="Z-1").count() == 1


# Overlaps ------------------------------------------------------------------------------------------------


def test_overlap_tells_both_units_once_and_ignores_withdrawn_alerts(reg):
    first = boat_alert(reg)
    boat_alert(reg, by=reg.customs, identifiers=[{"kind": "hin", "value": "nl xyz 98765 e5 05"}])
    overlap = Overlap.objects.get()
    assert overlap.first_id == first.pk
    told = set(
        Notification.objects.filter(kind="registry.overlap").values_list("recipient__email", flat=True)
    )
    assert told == {"coordinator@polisen.example", "officer@polisen.example", "customs@tullverket.example"}
    # the same alert never overlaps itself, and a withdrawn alert is left out
    services.identifier_add(user=reg.police, alert=first, kind="frame", value="FR-778899")
    withdrawn = boat_alert(reg, identifiers=[{"kind": "frame", "value": "FR-112233"}], case_reference="W")
    services.alert_set_status(user=reg.police, alert=withdrawn, status="withdrawn")
    boat_alert(reg, by=reg.customs, identifiers=[{"kind": "frame", "value": "FR112233"}], case_reference="X")
    assert Overlap.objects.count() == 1


# Import --------------------------------------------------------------------------------------------------


def test_an_object_of_another_kind_in_the_same_case_is_not_merged_into_the_existing_alert(reg):
    """One police case often covers several objects (a boat and its spare engine): a re-import must not put the
    engine's number on the boat's alert (which would also make the two alerts overlap)."""
    boat = boat_alert(reg)  # case 5000-K123456-26
    text = LEGACY + "7;5000-K123456-26;MOTOR;Spare outboard engine;;MOTOR;F115-998877;Yamaha\n"
    report = import_legacy(reg, text)
    assert [o.case_reference for o in report.created] == ["5000-K123456-26"]
    assert report.merged == []
    assert "engine:YAMAHA:F115998877" not in keys_of(boat)
    assert Alert.objects.filter(case_reference="5000-K123456-26").count() == 2
    assert Overlap.objects.count() == 0


def test_an_object_of_the_same_case_sharing_an_identifier_is_merged(reg):
    boat = boat_alert(reg)
    text = (
        LEGACY + "9;5000-K123456-26;VAARTUIG;Bayliner;;ROMP;SE-ABC12345D404;\n"
        "9;5000-K123456-26;VAARTUIG;Bayliner;;ROMP;NL-KMA45678B707;\n"
    )
    report = import_legacy(reg, text)
    assert [o.into for o in report.merged] == [boat.reference]
    assert "hin:NLKMA45678B707" in keys_of(boat)


def test_dry_run_line_numbers_count_the_header_and_multi_line_cells(reg):
    text = (
        "\ufeff" + LEGACY + '1;Z-1;FIETS;"Gazelle,\nblack; child seat";;FRAME;WTU123456789K;\n'  # lines 2-3
        "2;Z-2;ONBEKEND;Iets;;FRAME;GZ7654321;\n"  # line 4: unknown category
        '3;Z-3;FIETS;"Batavus\n\nblue";;FRAME;BA1234567;\n'  # lines 5-7
        "4;Z-4;FIETS;Fiets;;FRAME;*;\n"  # line 8: a wildcard
    )
    report = import_legacy(reg, text, dry_run=True)
    assert [o.line for o in report.created] == [2, 5]
    assert [line for line, _message in report.rejected] == [4, 8]
    with pytest.raises(ImportRejected):
        import_legacy(reg, text)
    assert Alert.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="registry.").exists()


def test_export_then_import_round_trips_an_alert_past_its_date_before_the_daily_job(reg):
    """Between midnight and the daily job an alert past its expiry date is still marked active; an export
    made then must still import (as expired), not reject the whole file."""
    boat_alert(reg, identifiers=[engine(1)], expires_on=clock.today(), case_reference="OLD-1")
    boat_alert(reg, identifiers=[engine(2)], case_reference="NEW-1")
    clock.advance(timedelta(days=1))  # the daily job has not run yet
    exported = alerts_export(user=reg.police, partnership=reg.partnership)
    statuses = {item["case_reference"]: item["status"] for item in exported["alerts"]}
    assert statuses == {"OLD-1": "expired", "NEW-1": "active"}
    officer_b = law_enforcement_in_b(reg)
    from safepact.partnerships.selectors import membership_in

    partnership_b = reg.world.partnership_b
    report = import_alerts(
        actor=officer_b,
        partnership=partnership_b,
        owner=membership_in(officer_b, partnership_b).partner,
        data=json.dumps(exported).encode(),
        file_name="export.json",
        mapping=load_mapping("safepact"),
    )
    assert report.counts["created"] == 2
    imported = dict(Alert.objects.filter(partnership=partnership_b).values_list("case_reference", "status"))
    assert imported == {"OLD-1": "expired", "NEW-1": "active"}


# Batches (services/checks.py: not changed by this review) -------------------------------------------


def test_batch_problems_name_the_first_line_of_a_multi_line_record(reg):
    text = 'kind,value,note\nvin,"WBA71DC010CH14720",ok\nimei,"not\nan imei",x\nvin,"*",x\n'
    batch = services.batch_create(
        user=reg.marina, membership=reg.m_marina, file=csv_file(text), context="routine"
    )
    services.batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert [p["line"] for p in batch.problems] == [3, 5]


def test_batch_rows_are_records_not_line_ends_once_the_batch_ran(reg):
    """The upload reserves lines against the daily quota (counting records of a 100 MB file in the request
    would be slow); once the batch ran, its total is the records checked and the extra lines are given
    back to the quota."""
    from safepact.registry.models import RateWindow

    text = 'kind,value,note\nvin,WBA71DC010CH14720,"a note\nover\nfour lines\n"\n'
    batch = services.batch_create(
        user=reg.marina, membership=reg.m_marina, file=csv_file(text), context="routine"
    )
    window = RateWindow.objects.get(scope=f"b:{reg.m_marina.partner.organisation_id}")
    assert window.count == batch.total > 1
    services.batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    window.refresh_from_db()
    assert batch.total == batch.processed == 1
    assert window.count == 1


def test_a_failed_batch_gives_back_the_rows_it_did_not_check(reg, monkeypatch, settings):
    from safepact.registry.services import checks as checks_module

    settings.SAFEPACT_REGISTRY_RATE_LIMITS = {
        **settings.SAFEPACT_REGISTRY_RATE_LIMITS,
        "batch_rows_per_day": 3,
    }
    text = "kind,value\nvin,WBA71DC010CH14720\nvin,WBA71DC010CH14721\nvin,WBA71DC010CH14722\n"
    batch = services.batch_create(
        user=reg.marina, membership=reg.m_marina, file=csv_file(text), context="routine"
    )

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(checks_module, "check_rows", broken)
    services.batch_run(batch_id=batch.pk)
    assert BatchCheck.objects.get(pk=batch.pk).status == "failed"
    monkeypatch.undo()
    # the rows it never checked can be uploaded again today
    services.batch_create(user=reg.marina, membership=reg.m_marina, file=csv_file(text), context="routine")


def test_an_alert_past_its_expiry_date_does_not_hit_before_the_daily_job(reg):
    boat_alert(reg, identifiers=[engine(1)], expires_on=clock.today())
    clock.advance(timedelta(days=1))
    assert not check(reg, engine(1)).hit
    assert Check.objects.get().hit is False


def test_the_batch_results_carry_the_police_note_and_the_outcome(client, reg, settings, tmp_path):
    """A dealer checking a stock list learns, for each line that hit, what a single check tells: the
    action *and* the police unit's note for partners (whom to call), and later the outcome."""
    import csv
    import io

    from django.urls import reverse

    settings.MEDIA_ROOT = str(tmp_path / "media")
    boat_alert(reg, action="hold", action_note="Call Team Water on 0900-8844.")
    text = "kind;value\nvin;WBA71DC010CH14720\nhin;nl-xyz98765-e505\n"
    batch = services.batch_create(
        user=reg.marina, membership=reg.m_marina, file=csv_file(text), context="storage"
    )
    services.batch_run(batch_id=batch.pk)
    services.hit_decide(user=reg.officer, hit=Hit.objects.get(), status="confirmed")
    client.force_login(reg.marina)
    response = client.get(reverse("registry:batch_results", args=[reg.partnership.code, batch.code]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["line"], r["value"], r["note"], r["outcome"]) for r in rows] == [
        ("3", "nl-xyz98765-e505", "Call Team Water on 0900-8844.", "Confirmed: the police will contact you.")
    ]


# The demo --------------------------------------------------------------------------------------------


def test_the_registry_demo_run_again_a_day_later_changes_nothing(reg):
    """``manage.py demo`` is run again on a later day (its story moves with the date): the partners'
    checks are not made again, so no second hit on the Bayliner, the Suzuki or the Evinrude."""
    from io import StringIO

    from django.core.management import call_command

    from safepact.partnerships.management.commands.demo import Demo
    from safepact.registry.demo import registry_demo

    call_command("demo", stdout=StringIO())
    counts = (Alert.objects.count(), Check.objects.count(), Hit.objects.count(), Overlap.objects.count())
    later = Demo(password="not used", now=clock.now() + timedelta(days=1))
    registry_demo(later)
    later._run_scheduled()
    assert (
        Alert.objects.count(),
        Check.objects.count(),
        Hit.objects.count(),
        Overlap.objects.count(),
    ) == counts


def test_an_alert_back_from_withdrawn_by_way_of_located_still_finds_its_overlap(reg):
    """Withdrawn alerts are left out of overlaps; once the alert counts again (located, then active) the
    alert registered meanwhile with the same identifier must be reported."""
    first = boat_alert(reg, identifiers=[{"kind": "frame", "value": "FR-445566"}], case_reference="A")
    services.alert_set_status(user=reg.police, alert=first, status="withdrawn", reason="Reported in error")
    boat_alert(reg, by=reg.customs, identifiers=[{"kind": "frame", "value": "FR445566"}], case_reference="B")
    assert Overlap.objects.count() == 0
    services.alert_set_status(user=reg.police, alert=first, status="located")
    services.alert_set_status(user=reg.police, alert=first, status="active")
    assert Overlap.objects.count() == 1


def test_the_partner_is_never_told_the_outcome_of_a_late_hit(reg):
    """A late hit was "no hit" when the partner checked: a later word either way would tip them off."""
    check(reg, engine(7))  # no hit yet
    alert = boat_alert(reg, identifiers=[engine(7)])
    late = Hit.objects.get(alert=alert)
    assert late.kind == "late"
    services.hit_decide(user=reg.police, hit=late, status="rejected")
    check(reg, engine(8))
    other = boat_alert(reg, identifiers=[engine(8)], case_reference="5000-K000008-26")
    services.hit_decide(user=reg.police, hit=Hit.objects.get(alert=other), status="confirmed")
    assert not Notification.objects.filter(recipient=reg.marina, kind="registry.hit.decided").exists()


def test_coordinators_outside_law_enforcement_are_told_of_an_escalation_with_a_page_they_may_open(
    reg, client
):
    from datetime import timedelta

    from django.urls import reverse

    from safepact.notifications.models import Notification
    from safepact.partnerships.models import Membership

    Membership.objects.filter(pk=reg.m_city.pk).update(role="coordinator")
    boat_alert(reg, identifiers=[engine(9)])
    check(reg, engine(9))
    clock.advance(timedelta(hours=13))
    assert services.escalate_due_hits() == 1
    to_city = Notification.objects.get(recipient=reg.city, kind="registry.hit.escalated")
    to_police = Notification.objects.get(recipient=reg.officer, kind="registry.hit.escalated")
    assert to_city.url == reverse("registry:home", kwargs={"code": reg.partnership.code})
    assert "REG-" not in to_city.title
    assert "/hits/" in to_police.url
    client.force_login(reg.city)
    assert client.get(to_city.url).status_code == 200
