"""Import and export pages: a dry run reports what would be created, merged and rejected with line numbers and
stores nothing; the import itself creates the alerts for the importer's unit; a file with one bad line changes
nothing; an own mapping file works and a bad one is named at its field; the export is a JSON attachment for
law enforcement after the password is confirmed, and it is audited."""

import json
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safepact.accounts.sudo import SESSION_KEY
from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.registry.models import Alert, Identifier, ImportRun
from safepact.registry.tests.conftest import boat_alert
from safepact.registry.tests.le_factories import default_import_records, import_record, import_upload


def url(reg, name, *args):
    return reverse(f"registry:{name}", args=[reg.partnership.code, *args])


def with_sudo(client):
    session = client.session
    session[SESSION_KEY] = clock.now().timestamp() + 600
    session.save()
    return client


def lines_of(response) -> list[tuple]:
    return [(line["line"], line["outcome"]) for line in response.context["report_lines"]]


# Import -------------------------------------------------------------------------------------------------


def test_the_import_page_offers_a_dry_run_first(client_for, reg):
    html = client_for(reg.police).get(url(reg, "import")).content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert '<label for="id_file"' in html and '<label for="id_mapping_file"' in html
    assert re.search(r'<input type="checkbox" name="dry_run"[^>]*checked>', html)  # ticked at first


def test_a_dry_run_reports_lines_and_stores_nothing(client_for, reg):
    client = client_for(reg.police)
    before = AuditEvent.objects.count()
    response = client.post(url(reg, "import"), {"file": import_upload(), "dry_run": "on"})
    html = response.content.decode()
    assert response.status_code == 200
    assert not Alert.objects.exists() and not ImportRun.objects.exists()
    assert AuditEvent.objects.count() == before
    assert lines_of(response) == [(1, "created"), (2, "created"), (3, "merged")]
    assert 'data-line="3" data-outcome="merged"' in html and "the same object as line 2" in html
    assert 'data-count="created">2<' in html and 'data-count="rejected">0<' in html
    assert "Dry run: what the import would do" in html
    # The form comes back with the dry run unticked: choose the files again to import.
    assert not re.search(r'<input type="checkbox" name="dry_run"[^>]*checked>', html)


def test_the_import_creates_the_alerts_for_the_importers_unit(client_for, reg):
    response = client_for(reg.officer).post(url(reg, "import"), {"file": import_upload()})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert Alert.objects.count() == 2 and Identifier.objects.count() == 3
    assert set(Alert.objects.values_list("owner_id", flat=True)) == {reg.m_police.partner.pk}
    assert ImportRun.objects.get().created == 2
    assert AuditEvent.objects.filter(action="registry.import").count() == 1
    html = response.content.decode()
    assert "Imported" in html and Alert.objects.order_by("id").first().reference in html


def test_a_file_with_one_bad_line_changes_nothing(client_for, reg):
    records = [*default_import_records(), import_record("OLD-3", "IMP-3", [{"kind": "hin", "value": "XYZ"}])]
    client = client_for(reg.police)
    before = AuditEvent.objects.count()
    for dry_run in ({"dry_run": "on"}, {}):
        response = client.post(url(reg, "import"), {"file": import_upload(records=records), **dry_run})
        html = response.content.decode()
        assert (4, "rejected") in lines_of(response)
        assert 'data-line="4" data-outcome="rejected"' in html and 'data-count="rejected">1<' in html
        assert "hull identification number" in html
    assert response.status_code == 422 and "Nothing was imported" in html
    assert not Alert.objects.exists() and not ImportRun.objects.exists()
    assert AuditEvent.objects.count() == before


def test_an_own_mapping_file(client_for, reg):
    mapping = {
        "name": "old_bikes",
        "format": "csv",
        "fields": {
            "category": {"value": "bicycle"},
            "description": "what",
            "case_reference": "case",
            "legal_basis": {"value": "RB 27"},
            "jurisdiction": {"value": "SE"},
        },
        "identifiers": [{"kind": "frame", "column": "frame"}],
    }
    data = SimpleUploadedFile("bikes.csv", b"case,what,frame\nB-1,Red bike,WTU123456789K\n", "text/csv")
    mapping_file = SimpleUploadedFile("old_bikes.json", json.dumps(mapping).encode(), "application/json")
    response = client_for(reg.police).post(url(reg, "import"), {"file": data, "mapping_file": mapping_file})
    assert response.status_code == 200 and Alert.objects.get().category == "bicycle"


def test_a_bad_mapping_is_named_at_its_field(client_for, reg):
    mapping_file = SimpleUploadedFile("broken.json", b"{not json", "application/json")
    response = client_for(reg.police).post(
        url(reg, "import"), {"file": import_upload(), "mapping_file": mapping_file}
    )
    html = response.content.decode()
    assert response.status_code == 422 and 'id="id_mapping_file_error"' in html and "not valid JSON" in html
    assert not Alert.objects.exists()


def test_a_file_is_required(client_for, reg):
    response = client_for(reg.police).post(url(reg, "import"), {"dry_run": "on"})
    assert response.status_code == 422 and 'href="#id_file"' in response.content.decode()


# Export -------------------------------------------------------------------------------------------------


def test_the_export_asks_for_the_password_first(client_for, reg):
    boat_alert(reg)
    response = client_for(reg.police).get(url(reg, "export"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:sudo"))
    assert not AuditEvent.objects.filter(action="registry.export").exists()


def test_the_export_is_a_json_attachment(client_for, reg):
    alert = boat_alert(reg)
    client = with_sudo(client_for(reg.customs))
    response = client.get(url(reg, "export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert (
        response["Content-Disposition"].startswith("attachment;")
        and ".json" in response["Content-Disposition"]
    )
    assert response["Cache-Control"] == "private, no-store"
    data = json.loads(response.content)
    assert data["format"] == "safepact-registry"
    assert [item["reference"] for item in data["alerts"]] == [alert.reference]
    assert len(data["alerts"][0]["identifiers"]) == 3
    assert AuditEvent.objects.filter(action="registry.export").count() == 1


def test_partners_may_not_export_even_with_the_password(client_for, reg):
    boat_alert(reg)
    response = with_sudo(client_for(reg.marina)).get(url(reg, "export"))
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="registry.export").exists()
