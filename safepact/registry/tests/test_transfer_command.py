"""``manage.py registry_import`` and ``registry_export``: output, exit codes and the audit trail."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.registry.models import Alert, ImportRun
from safepact.registry.tests.alerts_factories import NOW, boat_alert, engine
from safepact.registry.tests.transfer_factories import MAPPINGS, state

pytestmark = pytest.mark.django_db

BOATS = str(MAPPINGS / "nl_boats_columns.csv")
BOATS_MAPPING = str(MAPPINGS / "nl_boats_columns.json")


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def command(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def importing(reg, *extra, file=BOATS, mapping=BOATS_MAPPING, partnership=None) -> str:
    return command(
        "registry_import",
        file,
        "--partnership",
        str(partnership or reg.partnership.code),
        "--mapping",
        mapping,
        *extra,
    )


def test_import_reports_and_records_the_command_as_actor(reg):
    out = importing(reg, "--owner", "Polisen Malmö")

    assert "3 line(s) read; 3 alert(s) created, 0 merged, 0 line(s) rejected; 5 identifier(s)" in out
    assert "line 2: PL1700-2026-001234, 3 identifier(s) -> REG-2026-000001" in out
    assert "Imported into Sofielund safety partnership for Polisen Malmö" in out
    assert Alert.objects.count() == 3
    event = AuditEvent.objects.get(action="registry.import")
    assert (event.actor_code, event.actor_label) == ("", "manage.py registry_import")


def test_import_as_a_member_defaults_the_owner_to_their_unit(reg):
    importing(reg, "--as", "CUSTOMS@tullverket.example")
    assert {a.owner for a in Alert.objects.all()} == {reg.m_customs.partner}
    assert AuditEvent.objects.get(action="registry.import").actor_code == str(reg.customs.code)
    assert ImportRun.objects.get().actor == reg.customs


def test_dry_run_lists_lines_and_writes_nothing(reg):
    before = state()
    out = importing(
        reg,
        "--owner",
        str(reg.m_police.partner.code),
        "--dry-run",
        file=str(MAPPINGS / "legacy_rows.csv"),
        mapping=str(MAPPINGS / "legacy_rows.json"),
    )
    assert out.startswith(
        "Dry run: legacy_rows.csv with mapping legacy_rows: 5 line(s) read; 2 alert(s) created"
    )
    assert "lines 2, 3, 4: 2026-K-0017, 3 identifier(s)" in out
    assert "Dry run: no problems found; nothing was written." in out
    assert state() == before


def test_rejected_lines_exit_1_and_change_nothing(reg, tmp_path):
    path = tmp_path / "boats.csv"
    path.write_bytes(
        (MAPPINGS / "nl_boats_columns.csv").read_bytes() + b"PL-9,BOAT?,Regel,NL-KMA45679C808,,,,\n"
    )
    before = state()
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "registry_import",
            str(path),
            partnership=str(reg.partnership.code),
            mapping=BOATS_MAPPING,
            owner="Polisen Malmö",
            stdout=out,
        )
    assert caught.value.returncode == 1
    assert str(caught.value) == "Import rejected: 1 line has a problem; nothing was imported."
    assert 'line 5: Column "type": "BOAT?" is not a known category' in out.getvalue()
    assert state() == before


def test_dry_run_with_rejected_lines_exits_1(reg, tmp_path):
    path = tmp_path / "boats.csv"
    path.write_bytes((MAPPINGS / "nl_boats_columns.csv").read_bytes() + b"PL-9,BOOT,Regel,,,,,\n")
    with pytest.raises(CommandError) as caught:
        importing(reg, "--owner", "Polisen Malmö", "--dry-run", file=str(path))
    assert caught.value.returncode == 1
    assert "1 line(s) would be rejected" in str(caught.value)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ((), "several law-enforcement partners (Polisen Malmö, Tullverket Syd): name the owning unit."),
        (("--owner", "Limhamn Marina"), '"Limhamn Marina" is not an active law-enforcement partner'),
        (("--owner", "Nobody"), 'No partner "Nobody" in this partnership.'),
        (
            ("--as", "harbour@marina.example"),
            "harbour@marina.example is not an active law-enforcement member",
        ),
        (("--as", "outsider@elsewhere.example"), "is not an active law-enforcement member"),
        (("--as", "customs@tullverket.example", "--owner", "Polisen Malmö"), "only for your own unit"),
    ],
)
def test_cannot_run_exits_2_with_the_message(reg, extra, message):
    before = state()
    with pytest.raises(CommandError) as caught:
        importing(reg, *extra)
    assert caught.value.returncode == 2
    assert message in str(caught.value)
    assert state() == before


def test_unknown_partnership_missing_file_and_bad_mapping_exit_2(reg, tmp_path):
    with pytest.raises(CommandError) as caught:
        importing(reg, partnership="not-a-code")
    assert (caught.value.returncode, str(caught.value)) == (2, "No partnership with code not-a-code.")
    with pytest.raises(CommandError) as caught:
        importing(reg, "--owner", "Polisen Malmö", file=str(tmp_path / "missing.csv"))
    assert caught.value.returncode == 2
    assert "Cannot read" in str(caught.value)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"fields": {}, "identifiers": [{"kind": "hin", "column": "x"}]}))
    with pytest.raises(CommandError) as caught:
        importing(reg, "--owner", "Polisen Malmö", mapping=str(bad))
    assert caught.value.returncode == 2
    assert "Mapping, fields.category: missing" in str(caught.value)


def test_export_to_a_file_and_back_into_the_same_partnership(reg, tmp_path):
    boat_alert(reg)
    boat_alert(reg, identifiers=[engine(7)], case_reference="T-7")
    path = tmp_path / "export.json"

    out = command("registry_export", "--partnership", str(reg.partnership.code), "--output", str(path))

    assert f"Exported 2 alert(s) of Sofielund safety partnership to {path}." in out
    exported = json.loads(path.read_text())
    assert [a["case_reference"] for a in exported["alerts"]] == ["5000-K123456-26", "T-7"]
    event = AuditEvent.objects.get(action="registry.export")
    assert (event.actor_label, event.after["alerts"]) == ("manage.py registry_export", 2)
    # Import it back: both objects merge into the existing alerts (same unit, same case references).
    out = importing(reg, "--owner", "Polisen Malmö", file=str(path), mapping="safepact")
    assert "0 alert(s) created, 2 merged" in out
    assert Alert.objects.count() == 2


def test_export_to_stdout_by_status_as_a_member(reg):
    boat_alert(reg)
    out = command(
        "registry_export",
        "--partnership",
        str(reg.partnership.code),
        "--status",
        "located",
        "--as",
        reg.officer.email,
    )
    assert json.loads(out)["alerts"] == []
    assert AuditEvent.objects.get(action="registry.export").actor_code == str(reg.officer.code)
    with pytest.raises(CommandError) as caught:
        command("registry_export", "--partnership", str(reg.partnership.code), "--as", reg.marina.email)
    assert caught.value.returncode == 2
