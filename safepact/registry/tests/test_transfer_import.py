"""Importing alerts: one identifier per column or per row, merging lines into objects and objects into
existing alerts, dry runs with line numbers, atomicity, owners, permissions, overlaps and late hits."""

import json
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.registry.models import Alert, Hit, HitKind, Identifier, ImportRun, Overlap
from safepact.registry.services.transfer import ImportRejected, import_alerts, import_owner
from safepact.registry.tests.alerts_factories import (
    NOW,
    boat_alert,
    key_of,
    law_enforcement_in_b,
    logged_check,
)
from safepact.registry.tests.transfer_factories import MAPPINGS, keys_of, sample, state

pytestmark = pytest.mark.django_db

LEGACY_HEADER = "zaak_id;zaaknummer;soort_object;omschrijving;instructie;id_soort;id_waarde;id_merk\n"


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def run(reg, data, mapping, *, actor=None, owner=None, dry_run=False, file_name="alerts.csv", **extra):
    actor = reg.police if actor is None else actor
    return import_alerts(
        actor=actor or None,
        partnership=extra.pop("partnership", reg.partnership),
        owner=owner or reg.m_police.partner,
        data=data.encode() if isinstance(data, str) else data,
        file_name=file_name,
        mapping=mapping,
        dry_run=dry_run,
        **extra,
    )


def by_case(case_reference: str) -> Alert:
    return Alert.objects.get(case_reference=case_reference)


# One identifier per column ---------------------------------------------------------------------------


def test_csv_with_one_identifier_per_column(reg):
    report = run(reg, sample("nl_boats_columns.csv"), str(MAPPINGS / "nl_boats_columns.json"))

    assert report.counts == {
        "rows": 3,
        "created": 3,
        "merged": 0,
        "rejected": 0,
        "identifiers": 5,
        "overlaps": 0,
        "late_hits": 0,
    }
    assert [(o.line, o.case_reference, o.identifiers) for o in report.created] == [
        (2, "PL1700-2026-001234", 3),
        (3, "PL1700-2026-001250", 1),
        (4, "PL1700-2026-001301", 1),
    ]
    assert [o.reference for o in report.created] == ["REG-2026-000001", "REG-2026-000002", "REG-2026-000003"]
    boat = by_case("PL1700-2026-001234")
    assert boat.reference == "REG-2026-000001"
    assert boat.category == "boat"
    assert boat.description == "Bayliner VR5, wit met blauwe streep"
    assert boat.legal_basis == "Art. 94 Sv"
    assert boat.jurisdiction == "NL"
    assert boat.expires_on == date(2035, 12, 31)
    assert boat.owner == reg.m_police.partner
    assert boat.created_by == reg.police
    assert boat.status == "active"
    assert keys_of(boat) == {"hin:NLKMA45678B707", "hin:SEABC12345D404", "engine:YAMAHA:6ML1034567"}
    engine = by_case("PL1700-2026-001250")
    assert engine.category == "boat_engine"
    # An empty expiry cell: the partnership's default (3650 days).
    assert engine.expires_on == NOW.date() + timedelta(days=3650)
    assert keys_of(engine) == {"engine:HONDA:BF901122334"}
    stored = Identifier.objects.get(key="engine:HONDA:BF901122334")
    assert (stored.kind, stored.value, stored.manufacturer, stored.partnership) == (
        "engine",
        "BF901122334",
        "Honda",
        reg.partnership,
    )


def test_import_is_recorded_once_in_the_audit_trail_and_as_an_import_run(reg):
    before = AuditEvent.objects.count()
    report = run(reg, sample("nl_boats_columns.csv"), str(MAPPINGS / "nl_boats_columns.json"))

    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [e.action for e in events] == ["registry.import"]
    event = events[0]
    assert event.actor_label == reg.police.email
    assert event.partnership_code == str(reg.partnership.code)
    # The owning unit and the counts only: the file's and the mapping's names stay in the ImportRun.
    assert event.after == {"owner": "Polisen Malmö", **report.counts}
    assert (event.after["created"], event.after["identifiers"]) == (3, 5)
    assert event.target_label == "Alert import"
    assert "alerts.csv" not in str(event.chain_fields())
    assert "nl_boats" not in str(event.chain_fields())
    run_row = ImportRun.objects.get()
    assert report.import_run == run_row
    assert (run_row.actor, run_row.file_name, run_row.mapping_name, run_row.dry_run) == (
        reg.police,
        "alerts.csv",
        "nl_boats_columns",
        False,
    )
    assert (run_row.created, run_row.merged, run_row.rejected, run_row.identifiers) == (3, 0, 0, 5)
    assert event.target_code == str(run_row.code)


def test_without_an_actor_the_label_names_who_ran_it(reg):
    run(
        reg,
        sample("nl_boats_columns.csv"),
        str(MAPPINGS / "nl_boats_columns.json"),
        actor=False,
        actor_label="manage.py registry_import",
    )
    event = AuditEvent.objects.get(action="registry.import")
    assert (event.actor_code, event.actor_label) == ("", "manage.py registry_import")
    assert ImportRun.objects.get().actor is None
    assert by_case("PL1700-2026-001234").created_by is None


# One identifier per row, merged by object key -----------------------------------------------------------


def test_legacy_rows_are_merged_by_object_key(reg):
    report = run(reg, sample("legacy_rows.csv"), str(MAPPINGS / "legacy_rows.json"))

    assert [(o.line, o.lines, o.case_reference, o.identifiers) for o in report.created] == [
        (2, [2, 3, 4], "2026-K-0017", 3),
        (5, [5, 6], "2026-K-0018", 2),
    ]
    assert report.merged == report.created  # both objects were made of several lines
    assert report.counts["merged"] == 2
    boat = by_case("2026-K-0017")
    assert keys_of(boat) == {"hin:NLKMA45679C808", "hin:SEBOA00001A111", "engine:YAMAHA:F115998877"}
    assert (boat.category, boat.action) == ("boat", "contact")
    assert boat.action_note == "Noteer waar het object is gezien."  # the default of an empty column
    bike = by_case("2026-K-0018")
    assert (bike.category, bike.description) == ("bicycle", "E-bike Gazelle, zwart")
    assert bike.action_note == "Bel de wijkagent."
    assert keys_of(bike) == {"frame:WTU123456789K", "serial:BOSCH:BT99887766"}


def test_rows_sharing_an_identifier_are_one_object_without_an_object_key(reg):
    report = run(reg, sample("bikes_shared_identifiers.csv"), str(MAPPINGS / "bikes_shared_identifiers.json"))

    assert [(o.line, o.lines, o.identifiers) for o in report.created] == [(2, [2, 3], 2), (4, [4], 1)]
    assert [o.lines for o in report.merged] == [[2, 3]]
    gazelle = by_case("M-1001")
    assert gazelle.description == "Gazelle Ultimate C8, zwart"
    assert gazelle.category == "bicycle"
    assert gazelle.expires_on == date(2036, 5, 1)
    assert keys_of(gazelle) == {"frame:GZ7654321", "serial:BOSCH:BT55443322"}


def test_objects_joined_through_a_later_line_merge_and_report_differing_values(reg):
    mapping = str(MAPPINGS / "bikes_shared_identifiers.json")
    data = (
        "melding,einde,merk_model,kleur,framenummer,framenummer_oud,accu_merk,accu_serienummer\n"
        "M-1,,Gazelle,zwart,GZ 1000001,,,\n"
        "M-2,,Batavus,rood,BT 2000002,,,\n"
        "M-3,,Gazelle,grijs,GZ 3000003,BT 2000002,,\n"  # renumbered frame: joins line 3
        "M-4,,Gazelle,zwart,GZ 4000004,GZ 1000001,,\n"  # joins line 2
        "M-5,,Cortina,blauw,GZ 3000003,GZ 4000004,,\n"  # joins both objects: one object of five lines
    )
    report = run(reg, data, mapping, dry_run=True)
    assert [(o.lines, o.case_reference, o.identifiers) for o in report.created] == [
        ([2, 3, 4, 5, 6], "M-1", 4)
    ]
    assert report.created[0].differs == ["case_reference", "description"]


def test_json_list_of_flat_objects_with_a_list_of_values(reg):
    mapping = {
        "format": "json",
        "fields": {
            "category": {"column": "soort", "values": {"Boot": "boat"}},
            "description": "beschrijving",
            "case_reference": "zaak",
            "legal_basis": {"value": "Art. 94 Sv"},
            "jurisdiction": "land",
            "expires_on": {"column": "tot", "date_format": "%d/%m/%Y"},
        },
        "identifiers": [
            {"kind": "hin", "column": "rompen"},
            {"kind": "engine", "column": "motor", "manufacturer": "Yamaha"},
        ],
    }
    data = json.dumps(
        {
            "alerts": [
                {
                    "zaak": "Z-1",
                    "soort": "boot",
                    "beschrijving": "Sloep",
                    "land": "nl",
                    "tot": "01/02/2030",
                    "rompen": ["NL-KMA45678B707", "", "SE-ABC12345D404"],
                    "motor": "6ML 1034567",
                },
                {
                    "zaak": 2,
                    "soort": "boat",
                    "beschrijving": "Jol",
                    "land": "SE",
                    "rompen": "NL-XYZ98765E505",
                },
            ]
        }
    )
    report = run(reg, data, mapping, file_name="alerts.json")
    assert [(o.line, o.identifiers) for o in report.created] == [(1, 3), (2, 1)]
    first = by_case("Z-1")
    assert (first.jurisdiction, first.expires_on) == ("NL", date(2030, 2, 1))
    assert keys_of(first) == {"hin:NLKMA45678B707", "hin:SEABC12345D404", "engine:YAMAHA:6ML1034567"}
    assert by_case("2").jurisdiction == "SE"


# Merging into an existing alert ---------------------------------------------------------------------


def test_object_with_the_case_reference_of_an_active_alert_of_the_unit_merges_into_it(reg):
    alert = boat_alert(reg)  # case 5000-K123456-26, two hull numbers and an engine number
    data = (
        LEGACY_HEADER + "9;5000-K123456-26;VAARTUIG;Bayliner;;ROMP;SE-ABC12345D404;\n"  # held already
        "9;5000-K123456-26;VAARTUIG;Bayliner;;ROMP;NL-KMA45678B707;\n"  # new
        "10;5000-K999-26;FIETS;Fiets;;FRAME;WTU123456789K;\n"
    )
    before = Identifier.objects.filter(alert=alert).count()

    report = run(reg, data, str(MAPPINGS / "legacy_rows.json"))

    assert [(o.lines, o.into, o.reference, o.identifiers) for o in report.merged] == [
        ([2, 3], alert.reference, alert.reference, 1)
    ]
    assert [o.case_reference for o in report.created] == ["5000-K999-26"]
    assert Identifier.objects.filter(alert=alert).count() == before + 1
    assert "hin:NLKMA45678B707" in keys_of(alert)
    assert Alert.objects.filter(case_reference="5000-K123456-26").count() == 1
    assert report.counts["identifiers"] == 2
    alert.refresh_from_db()
    assert alert.description.startswith("Bayliner VR5")  # its own fields are left as they were


def test_no_merge_into_an_alert_of_another_unit_or_one_no_longer_active(reg):
    boat_alert(reg, by=reg.customs)  # the same case reference, another unit
    located = boat_alert(reg, identifiers=[{"kind": "frame", "value": "FR-0000001"}], case_reference="C-LOC")
    located.status = "located"
    located.save()
    data = (
        LEGACY_HEADER + "9;5000-K123456-26;VAARTUIG;Boot;;ROMP;NL-KMA45678B707;\n"
        "10;C-LOC;FIETS;Fiets;;FRAME;WTU123456789K;\n"
    )
    report = run(reg, data, str(MAPPINGS / "legacy_rows.json"))
    assert [o.into for o in report.merged] == []
    assert len(report.created) == 2


# Dry run, rejections, atomicity ------------------------------------------------------------------------


BAD_LEGACY = LEGACY_HEADER + (
    "1;Z-1;VAARTUIG;Boot een;;ROMP;NL-KMA45678B707;\n"  # line 2
    "1;Z-1;VAARTUIG;Boot een;;MOTOR;F115-998877;Yamaha\n"  # line 3: merged with line 2
    "2;Z-2;FIETS;Fiets twee;;FRAME;WTU123456789K;\n"  # line 4
    "3;Z-3;ONBEKEND;Iets;;FRAME;GZ7654321;\n"  # line 5: unknown category
    "4;Z-4;FIETS;Fiets vier;;MOTOR;F115-998800;\n"  # line 6: an engine number without its make
)


def test_dry_run_reports_created_merged_and_rejected_with_line_numbers_and_writes_nothing(reg):
    before = state()
    report = run(reg, BAD_LEGACY, str(MAPPINGS / "legacy_rows.json"), dry_run=True)

    assert report.dry_run
    assert [(o.line, o.lines, o.case_reference, o.identifiers, o.reference) for o in report.created] == [
        (2, [2, 3], "Z-1", 2, ""),
        (4, [4], "Z-2", 1, ""),
    ]
    assert [o.lines for o in report.merged] == [[2, 3]]
    assert [line for line, _message in report.rejected] == [5, 6]
    assert 'Column "soort_object": "ONBEKEND" is not a known category' in report.rejected[0][1]
    assert report.rejected[1][1].startswith('Column "id_merk": ')
    assert report.counts["rejected"] == 2
    assert report.import_run is None
    as_dict = report.as_dict(limit=1)
    assert as_dict["counts"]["created"] == 2
    assert as_dict["created"] == [
        {
            "line": 2,
            "lines": [2, 3],
            "case_reference": "Z-1",
            "identifiers": 2,
            "reference": "",
            "into": "",
            "differs": [],
        }
    ]
    assert as_dict["rejected"] == [{"line": 5, "message": report.rejected[0][1]}]
    json.dumps(report.as_dict())
    assert state() == before


def test_clean_dry_run_writes_nothing_either(reg):
    before = state()
    report = run(reg, sample("nl_boats_columns.csv"), str(MAPPINGS / "nl_boats_columns.json"), dry_run=True)
    assert (report.counts["created"], report.counts["rejected"]) == (3, 0)
    assert state() == before


def test_a_file_with_one_bad_line_changes_nothing(reg):
    boat_alert(reg, by=reg.customs)  # overlaps with the first line, had it been imported
    logged_check(reg, when=NOW - timedelta(days=1))  # would be a late hit of line 4
    before = state()
    data = sample("nl_boats_columns.csv") + b"PL-9,BOOT,Kapotte regel,NL-KMA4,,,,31-12-2035\n"

    with pytest.raises(ImportRejected) as caught:
        run(reg, data, str(MAPPINGS / "nl_boats_columns.json"))

    report = caught.value.report
    assert [line for line, _message in report.rejected] == [5]
    assert report.rejected[0][1].startswith('Column "romp1": ')
    assert len(report.created) == 3  # what would have been imported
    assert "nothing was imported" in str(caught.value)
    assert state() == before


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "PL-9,BOOT,Boot,NL-KMA45679C808,,,,31/12/2035",
            'Column "vervaldatum": "31/12/2035" is not a date in the format %d-%m-%Y.',
        ),
        (
            "PL-9,BOOT,Boot,NL-KMA45679C808,,,,01-01-2020",
            'Column "vervaldatum": the expiry date 2020-01-01 has passed.',
        ),
        ("PL-9,BOOT,,NL-KMA45679C808,,,,", 'Column "omschrijving" (description) is empty.'),
        (",BOOT,Boot,NL-KMA45679C808,,,,", 'Column "pv_nummer" (case_reference) is empty.'),
        ("PL-9,BOOT,Boot,,,,,", "No identifier: fill in at least one of romp1, romp2, motor_nr."),
        ("PL-9,BOOT,Boot,,,,6ML-1034567,", 'Column "motor_merk": '),
        (
            "PL-9,BOOT," + "x" * 2001 + ",NL-KMA45679C808,,,,",
            'Column "omschrijving": longer than 2000 characters.',
        ),
        ("PL-9,BOOT,Boot,NL-KMA45679C808,,,,,extra", "The line has 9 cells; the header has 8"),
    ],
)
def test_rejections_name_the_column(reg, line, expected):
    data = "pv_nummer,type,omschrijving,romp1,romp2,motor_merk,motor_nr,vervaldatum\n" + line + "\n"
    report = run(reg, data, str(MAPPINGS / "nl_boats_columns.json"), dry_run=True)
    assert len(report.rejected) == 1
    assert report.rejected[0][0] == 2
    assert report.rejected[0][1].startswith(expected)


def test_missing_column_in_the_header_is_rejected_at_line_1(reg):
    data = "pv_nummer,type,omschrijving,romp1,motor_merk,motor_nr,vervaldatum\nPL-9,BOOT,Boot,,,,\n"
    report = run(reg, data, str(MAPPINGS / "nl_boats_columns.json"), dry_run=True)
    assert report.rejected == [
        (
            1,
            'The header has no column "romp2" (mapping: identifiers[2].column). Columns: pv_nummer, type, '
            "omschrijving, romp1, motor_merk, motor_nr, vervaldatum.",
        )
    ]


def test_encoding_errors_are_rejected_with_their_line_number(reg):
    data = (
        "pv_nummer,type,omschrijving,romp1,romp2,motor_merk,motor_nr,vervaldatum\n"
        "PL-1,BOOT,Boot,NL-KMA45678B707,,,,\n"
        "PL-2,BOOT,Sk\xe4rg\xe5rdsb\xe5t,NL-KMA45679C808,,,,\n"
        "PL-3,BOOT,Boot,NL-XYZ98765E505,,,,\n"
        "PL-4,BOOT,\xd6land,SE-ABC12345D404,,,,\n"
    ).encode("latin-1")
    before = state()
    with pytest.raises(ImportRejected) as caught:
        run(reg, data, str(MAPPINGS / "nl_boats_columns.json"))
    assert [line for line, _message in caught.value.report.rejected] == [3, 5]
    assert "Not valid utf-8 text (byte 0xe4)" in caught.value.report.rejected[0][1]
    assert "(byte 0xd6)" in caught.value.report.rejected[1][1]
    assert state() == before
    # With the right encoding in the mapping, the same file imports.
    mapping = json.loads((MAPPINGS / "nl_boats_columns.json").read_text())
    mapping["encoding"] = "latin-1"
    report = run(reg, data, mapping)
    assert by_case("PL-2").description == "Skärgårdsbåt"
    assert by_case("PL-4").description == "Öland"
    assert len(report.created) == 4


def test_utf8_byte_order_mark_and_crlf_are_fine(reg):
    data = "\ufeff" + sample("nl_boats_columns.csv").decode().replace("\n", "\r\n")
    report = run(reg, data, str(MAPPINGS / "nl_boats_columns.json"))
    assert [o.line for o in report.created] == [2, 3, 4]


def test_files_over_the_size_limit_and_empty_files_are_refused(reg, settings):
    with pytest.raises(ValidationError) as caught:
        run(reg, b"   \n", str(MAPPINGS / "nl_boats_columns.json"))
    assert caught.value.message_dict == {"file": ["The file is empty."]}
    settings.SAFEPACT_REGISTRY_IMPORT_MAX_MB = 0
    with pytest.raises(ValidationError) as caught:
        run(reg, sample("nl_boats_columns.csv"), str(MAPPINGS / "nl_boats_columns.json"))
    assert caught.value.message_dict == {"file": ["The file is larger than 0 MB."]}


def test_bad_json_is_rejected_with_its_line(reg):
    report = run(reg, '[\n{"a": 1},\n{nope}\n]', "safepact", dry_run=True)
    assert report.rejected[0][0] == 3
    assert report.rejected[0][1].startswith("Not valid JSON")
    report = run(reg, '{"alerts": 3}', "safepact", dry_run=True)
    assert report.rejected == [(1, 'Expected a list of objects, or {"alerts": [...]}.')]


def test_safepact_items_with_bad_identifiers_name_the_item(reg):
    item = {
        "reference": "X-1",
        "category": "boat",
        "description": "Boot",
        "case_reference": "C-1",
        "legal_basis": "L",
        "jurisdiction": "SE",
        "identifiers": [
            {"kind": "hin", "value": "SE-ABC12345D404"},
            {"kind": "hull", "value": "x"},
            {"kind": "engine", "value": "6ML-1034567"},
        ],
    }
    report = run(reg, json.dumps([item]), "safepact", dry_run=True)
    assert [line for line, _m in report.rejected] == [1, 1]
    assert report.rejected[0][1].startswith('Column "identifiers[2].kind": "hull" is not an identifier kind')
    assert report.rejected[1][1].startswith('Column "identifiers[3].manufacturer": ')


# Overlaps and late hits ----------------------------------------------------------------------------


def test_overlaps_and_late_hits_after_an_import(reg):
    theirs = boat_alert(reg, by=reg.customs, identifiers=[{"kind": "hin", "value": "SE-ABC12345D404"}])
    check = logged_check(reg, item={"kind": "hin", "value": "NL-XYZ98765E505"}, when=NOW - timedelta(days=2))

    report = run(reg, sample("nl_boats_columns.csv"), str(MAPPINGS / "nl_boats_columns.json"))

    assert (report.overlaps, report.late_hits) == (1, 1)
    boat = by_case("PL1700-2026-001234")
    overlap = Overlap.objects.get()
    assert {overlap.first, overlap.second} == {theirs, boat}
    assert overlap.key == "hin:SEABC12345D404"
    hit = Hit.objects.get()
    assert (hit.kind, hit.alert, hit.check_ref) == (HitKind.LATE, by_case("PL1700-2026-001301"), check.pk)
    assert hit.key == key_of({"kind": "hin", "value": "NL-XYZ98765E505"})
    event = AuditEvent.objects.get(action="registry.import")
    assert (event.after["overlaps"], event.after["late_hits"]) == (1, 1)


def test_identifiers_added_to_an_existing_alert_are_checked_for_overlaps_too(reg):
    boat_alert(
        reg, by=reg.customs, identifiers=[{"kind": "hin", "value": "NL-KMA45678B707"}], case_reference="T-1"
    )
    mine = boat_alert(reg)
    data = LEGACY_HEADER + "9;5000-K123456-26;VAARTUIG;Bayliner;;ROMP;NL-KMA45678B707;\n"
    report = run(reg, data, str(MAPPINGS / "legacy_rows.json"))
    assert report.overlaps == 1
    assert mine.pk in {Overlap.objects.get().first_id, Overlap.objects.get().second_id}


# Owners and permissions ------------------------------------------------------------------------------


def test_owner_defaults_to_the_only_law_enforcement_partner(reg):
    b = reg.world.partnership_b
    with pytest.raises(ValidationError) as caught:
        import_owner(partnership=b)
    assert "no active law-enforcement partner" in caught.value.message_dict["owner"][0]
    officer = law_enforcement_in_b(reg)
    owner = import_owner(partnership=b)
    assert owner.organisation.name == "Politie Limburg"
    assert import_owner(partnership=b, actor=officer) == owner


def test_owner_is_ambiguous_with_several_units_unless_named(reg):
    with pytest.raises(ValidationError) as caught:
        import_owner(partnership=reg.partnership)
    message = caught.value.message_dict["owner"][0]
    assert "several law-enforcement partners" in message
    assert "Polisen Malmö" in message
    assert "Tullverket Syd" in message
    customs = reg.m_customs.partner
    assert import_owner(partnership=reg.partnership, owner="tullverket syd") == customs
    assert import_owner(partnership=reg.partnership, owner=str(customs.code)) == customs
    assert import_owner(partnership=reg.partnership, actor=reg.customs) == customs


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        ("Limhamn Marina", "is not an active law-enforcement partner"),
        ("Polisen Göteborg", "No partner"),
    ],
)
def test_owner_must_be_a_law_enforcement_partner(reg, owner, expected):
    with pytest.raises(ValidationError) as caught:
        import_owner(partnership=reg.partnership, owner=owner)
    assert expected in caught.value.message_dict["owner"][0]


def test_import_refuses_an_owner_that_is_no_law_enforcement_unit(reg):
    with pytest.raises(ValidationError) as caught:
        run(
            reg,
            sample("nl_boats_columns.csv"),
            str(MAPPINGS / "nl_boats_columns.json"),
            actor=False,
            owner=reg.m_marina.partner,
        )
    assert "owner" in caught.value.message_dict


@pytest.mark.parametrize("who", ["marina", "city", "viewer"])
def test_non_law_enforcement_members_may_not_import(reg, who):
    before = state()
    with pytest.raises(PermissionDenied):
        run(
            reg,
            sample("nl_boats_columns.csv"),
            str(MAPPINGS / "nl_boats_columns.json"),
            actor=getattr(reg, who),
        )
    assert state() == before


@pytest.mark.parametrize("who", ["outsider", "coordinator_b"])
def test_outsiders_get_404(reg, who):
    with pytest.raises(Http404):
        run(
            reg,
            sample("nl_boats_columns.csv"),
            str(MAPPINGS / "nl_boats_columns.json"),
            actor=getattr(reg, who),
        )


def test_a_unit_imports_only_for_itself(reg):
    with pytest.raises(PermissionDenied):
        run(reg, sample("nl_boats_columns.csv"), str(MAPPINGS / "nl_boats_columns.json"), actor=reg.customs)
    report = run(
        reg,
        sample("nl_boats_columns.csv"),
        str(MAPPINGS / "nl_boats_columns.json"),
        actor=reg.customs,
        owner=reg.m_customs.partner,
    )
    assert {a.owner for a in Alert.objects.all()} == {reg.m_customs.partner}
    assert len(report.created) == 3


def test_references_continue_after_existing_alerts(reg):
    existing = boat_alert(reg)
    report = run(reg, sample("nl_boats_columns.csv"), str(MAPPINGS / "nl_boats_columns.json"))
    number = int(existing.reference.rsplit("-", 1)[1])
    assert [o.reference for o in report.created] == [
        f"REG-2026-{n:06d}" for n in range(number + 1, number + 4)
    ]


def test_databases_without_multi_row_returning_write_with_bulk_create(reg, monkeypatch):
    from safepact.registry.services import transfer

    monkeypatch.setattr(transfer, "_fast_insert", lambda: False)
    theirs = boat_alert(reg, by=reg.customs, identifiers=[{"kind": "hin", "value": "SE-ABC12345D404"}])
    logged_check(reg, item={"kind": "hin", "value": "NL-XYZ98765E505"}, when=NOW - timedelta(days=2))
    report = run(reg, sample("nl_boats_columns.csv"), str(MAPPINGS / "nl_boats_columns.json"))
    assert (report.counts["created"], report.overlaps, report.late_hits) == (3, 1, 1)
    boat = by_case("PL1700-2026-001234")
    assert keys_of(boat) == {"hin:NLKMA45678B707", "hin:SEABC12345D404", "engine:YAMAHA:6ML1034567"}
    assert {Overlap.objects.get().first, Overlap.objects.get().second} == {theirs, boat}


def test_fast_path_stores_the_same_values_as_the_models_would(reg):
    report = run(reg, sample("nl_boats_columns.csv"), str(MAPPINGS / "nl_boats_columns.json"))
    boat = Alert.objects.get(reference=report.created[0].reference)
    assert boat.created_at == boat.updated_at == boat.status_changed_at == NOW
    assert boat.code.version == 4
    identifier = Identifier.objects.get(key="hin:SEABC12345D404")
    assert (identifier.added_at, identifier.added_by, identifier.warnings) == (NOW, reg.police, [])
    assert identifier.code.version == 4
    assert identifier.country == "SE"


def test_validator_warnings_are_stored_with_the_identifier(reg):
    mapping = {
        "format": "json",
        "fields": {
            "category": {"value": "vehicle"},
            "description": "d",
            "case_reference": "c",
            "legal_basis": {"value": "L"},
            "jurisdiction": {"value": "SE"},
        },
        "identifiers": [{"kind": "vin", "column": "vin"}],
    }
    data = json.dumps([{"c": "V-1", "d": "Volvo", "vin": ["WBA71DC090CH14720", "WBA71DC010CH14720"]}])
    run(reg, data, mapping)
    stored = dict(Identifier.objects.values_list("value", "warnings"))
    assert stored["WBA71DC010CH14720"] == []
    assert len(stored["WBA71DC090CH14720"]) == 1
    assert "check digit" in stored["WBA71DC090CH14720"][0]
