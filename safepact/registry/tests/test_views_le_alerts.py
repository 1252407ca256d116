"""Alert pages through the test client: the police register a stolen boat with two hull numbers and an engine
number through the form (three empty identifier rows, one more with HTMX or without JavaScript, errors at
their row, nothing stored on error), the list with its filters and search, the alert page, edit, status and
identifiers (the last one stays); another unit reads but does not change."""

import itertools
import re

import pytest
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.registry.models import Alert, AlertStatus, Identifier
from safepact.registry.tests.conftest import boat_alert
from safepact.registry.tests.le_factories import alert_form_data

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(reg, name, *args):
    return reverse(f"registry:{name}", args=[reg.partnership.code, *args])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]] if response.context else []


def fieldset(html: str, number: int) -> str:
    """The HTML of identifier row ``number`` (1-based) of the new-alert form."""
    found = re.search(rf'<fieldset[^>]*id="identifier-row-{number}".*?</fieldset>', html, re.S)
    assert found, f"row {number} not found"
    return found.group(0)


# New alert ----------------------------------------------------------------------------------------------


def test_the_form_offers_three_identifier_rows_with_labels(client_for, reg):
    response = client_for(reg.police).get(url(reg, "alert_new"))
    html = response.content.decode()
    assert response.status_code == 200
    for number in (1, 2, 3):
        row = fieldset(html, number)
        for field in ("kind", "value", "manufacturer", "country", "document_type"):
            assert f'<label for="id_identifiers-{number - 1}-{field}"' in row, (number, field)
    assert 'id="identifier-row-4"' not in html
    assert 'name="identifiers-TOTAL_FORMS" value="3"' in html
    assert 'hx-get="' + url(reg, "alert_new") + '?row=3"' in html


def test_police_register_a_stolen_boat_with_two_hull_numbers_and_an_engine_number(client_for, reg):
    client = client_for(reg.police)
    response = client.post(url(reg, "alert_new"), alert_form_data())
    alert = Alert.objects.get()
    assert response.status_code == 302 and response["Location"] == url(reg, "alert", alert.code)
    assert alert.owner == reg.m_police.partner and alert.reference.startswith("REG-")
    assert sorted(alert.identifiers.values_list("key", flat=True)) == [
        "engine:YAMAHA:6ML1034567",
        "hin:NLXYZ98765E505",
        "hin:SEABC12345D404",
    ]
    page = client.get(response["Location"])
    html = page.content.decode()
    assert any("registered with 3 identifiers" in m for m in messages_of(page))
    assert alert.reference in html and "Bayliner VR5" in html and "5000-K123456-26" in html
    for value in ("SEABC12345D404", "NLXYZ98765E505", "6ML1034567"):
        assert value in html
    assert url(reg, "alert_edit", alert.code) in html  # the owner may change it


def test_a_vin_with_a_wrong_check_digit_is_stored_with_its_warning(client_for, reg):
    client = client_for(reg.police)
    data = alert_form_data(category="vehicle", rows=[{"kind": "vin", "value": "WBA71DC011CH14720"}])
    response = client.post(url(reg, "alert_new"), data)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "check digit of this VIN" in page and "Warning:" in page


def test_add_another_identifier_with_htmx(client_for, reg):
    response = client_for(reg.police).get(url(reg, "alert_new") + "?row=3", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    row = fieldset(html, 4)
    assert 'name="identifiers-3-kind"' in row and '<label for="id_identifiers-3-value"' in row
    # The button asks for the next row, and the row count follows, both out of band.
    assert re.search(r'id="add-identifier"[^>]*hx-get="[^"]*\?row=4"', html, re.S)
    assert re.search(
        r'name="identifiers-TOTAL_FORMS" value="4" id="id_identifiers-TOTAL_FORMS" hx-swap-oob', html
    )


@pytest.mark.parametrize("row", ["0", "50", "x"])
def test_add_another_identifier_out_of_range(client_for, reg, row):
    response = client_for(reg.police).get(url(reg, "alert_new") + f"?row={row}", **HTMX)
    assert response.status_code == 404


def test_add_another_identifier_without_javascript_keeps_what_was_typed(client_for, reg):
    data = alert_form_data(rows=[{"kind": "hin", "value": "SE-ABC12345D404"}], description="")
    data["add_identifier"] = "1"
    response = client_for(reg.police).post(url(reg, "alert_new"), data)
    html = response.content.decode()
    assert response.status_code == 200 and not Alert.objects.exists()
    assert 'id="identifier-row-4"' in html and 'value="SE-ABC12345D404"' in html
    assert "error-summary" not in html  # nothing was sent yet: no errors


def test_a_bad_identifier_is_marked_at_its_row_and_nothing_is_stored(client_for, reg):
    before = AuditEvent.objects.count()
    rows = [{"kind": "hin", "value": "SE-ABC12345D404"}, {"kind": "hin", "value": "XYZ"}]
    response = client_for(reg.police).post(url(reg, "alert_new"), alert_form_data(rows=rows))
    html = response.content.decode()
    assert response.status_code == 422
    assert "hull identification number has 12 characters" in fieldset(html, 2)
    assert "hull identification number" not in fieldset(html, 1)
    assert not Alert.objects.exists() and AuditEvent.objects.count() == before


def test_a_service_error_naming_identifier_n_is_shown_at_that_row(client_for, reg):
    """Row 2 is left empty: the service's "identifier 2" is the third row of the form."""
    rows = [
        {"kind": "hin", "value": "SE-ABC12345D404"},
        {},
        {"kind": "hin", "value": "se abc12345d404"},
    ]
    response = client_for(reg.police).post(url(reg, "alert_new"), alert_form_data(rows=rows))
    html = response.content.decode()
    assert response.status_code == 422 and not Alert.objects.exists()
    assert "same as identifier 1" in fieldset(html, 3)
    assert "same as identifier 1" not in fieldset(html, 1) + fieldset(html, 2)


def test_an_alert_needs_an_identifier(client_for, reg):
    response = client_for(reg.police).post(url(reg, "alert_new"), alert_form_data(rows=[]))
    assert response.status_code == 422 and not Alert.objects.exists()
    assert "at least one identifier" in response.content.decode()


def test_missing_fields_are_named_next_to_the_field(client_for, reg):
    response = client_for(reg.police).post(url(reg, "alert_new"), alert_form_data(case_reference=""))
    html = response.content.decode()
    assert response.status_code == 422 and not Alert.objects.exists()
    assert 'href="#id_case_reference"' in html  # the summary links to the field


# The list -----------------------------------------------------------------------------------------------


@pytest.fixture
def two_alerts(reg):
    boat = boat_alert(reg)
    bicycle = boat_alert(
        reg,
        by=reg.customs,
        category="bicycle",
        description="Gazelle Ultimate C8, green.",
        case_reference="TULL-2026-77",
        identifiers=[{"kind": "frame", "manufacturer": "Gazelle", "value": "GZ1234567"}],
    )
    return boat, bicycle


def rows_of(html: str) -> list[str]:
    return re.findall(r'data-alert="([0-9a-f-]+)"', html)


def test_the_list_filters_and_searches(client_for, reg, two_alerts):
    boat, bicycle = two_alerts
    client = client_for(reg.police)
    html = client.get(url(reg, "alerts")).content.decode()
    assert rows_of(html) == [str(bicycle.code), str(boat.code)]  # newest first
    assert '<th scope="col">' in html and "<caption>" in html
    assert rows_of(client.get(url(reg, "alerts") + "?category=boat").content.decode()) == [str(boat.code)]
    assert rows_of(client.get(url(reg, "alerts") + "?mine=on").content.decode()) == [str(boat.code)]
    assert rows_of(client.get(url(reg, "alerts") + "?q=TULL-2026").content.decode()) == [str(bicycle.code)]
    assert rows_of(client.get(url(reg, "alerts") + "?q=gazelle").content.decode()) == [str(bicycle.code)]
    assert rows_of(client.get(url(reg, "alerts") + "?status=located").content.decode()) == []
    fragment = client.get(url(reg, "alerts") + "?category=bicycle", **HTMX).content.decode()
    assert "<html" not in fragment and rows_of(fragment) == [str(bicycle.code)]


def test_the_list_paginates(client_for, reg):
    for n in range(27):
        boat_alert(reg, identifiers=[{"kind": "imei", "value": f"3520990017{n:04d}"}], category="phone")
    client = client_for(reg.police)
    first = client.get(url(reg, "alerts")).content.decode()
    assert len(rows_of(first)) == 25 and "Page 1 of 2" in first
    assert len(rows_of(client.get(url(reg, "alerts") + "?page=2").content.decode())) == 2


# The alert page and its actions -------------------------------------------------------------------------


def test_another_unit_reads_the_alert_but_does_not_change_it(client_for, reg):
    alert = boat_alert(reg)
    client = client_for(reg.customs)
    page = client.get(url(reg, "alert", alert.code)).content.decode()
    assert "Bayliner VR5" in page and 'id="read-only"' in page
    assert url(reg, "alert_edit", alert.code) not in page
    assert 'id="alert-status-form"' not in page and 'id="identifier-form"' not in page
    assert client.get(url(reg, "alert_edit", alert.code)).status_code == 403
    assert (
        client.post(url(reg, "alert_edit", alert.code), alert_form_data(identifiers=False)).status_code == 403
    )
    assert Alert.objects.get().description.startswith("Bayliner")


def test_a_member_of_the_owning_unit_edits_the_alert(client_for, reg):
    alert = boat_alert(reg)
    client = client_for(reg.officer)
    form = client.get(url(reg, "alert_edit", alert.code)).content.decode()
    assert "Bayliner VR5" in form and 'id="identifiers"' not in form
    data = alert_form_data(identifiers=False, description="Bayliner VR5, now painted red.")
    response = client.post(url(reg, "alert_edit", alert.code), data)
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.description == "Bayliner VR5, now painted red."
    assert AuditEvent.objects.filter(action="registry.alert.updated").exists()


def test_editing_needs_an_expiry_date(client_for, reg):
    alert = boat_alert(reg)
    data = alert_form_data(identifiers=False, expires_on="")
    response = client_for(reg.police).post(url(reg, "alert_edit", alert.code), data)
    assert response.status_code == 422


def test_the_status_reason_stays_on_the_alert_not_in_the_trail(client_for, reg):
    """The reason is kept on the alert (shown on its page, which only law enforcement opens); the audit trail,
    read by coordinators outside law enforcement, records the reference and the statuses only."""
    alert = boat_alert(reg)
    client = client_for(reg.police)
    form = client.get(url(reg, "alert_status", alert.code))
    assert form.status_code == 200 and 'name="reason"' in form.content.decode()
    response = client.post(
        url(reg, "alert_status", alert.code), {"status": "located", "reason": "Found in Ystad."}
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.LOCATED
    event = AuditEvent.objects.get(action="registry.alert.status_changed")
    assert (event.after, event.reason) == ({"status": "located", "reference": alert.reference}, "")
    page = client.get(url(reg, "alert", alert.code)).content.decode()
    assert 'data-state="located"' in page and ">Located<" in page  # the word, not only a colour
    assert 'id="status-note">Found in Ystad.' in page
    too_long = client.post(url(reg, "alert_status", alert.code), {"status": "withdrawn", "reason": "x" * 501})
    assert too_long.status_code == 422 and 'name="reason"' in too_long.content.decode()
    alert.refresh_from_db()
    assert (alert.status, alert.status_note) == (AlertStatus.LOCATED, "Found in Ystad.")
    again = client.post(url(reg, "alert_status", alert.code), {"status": "located"})
    assert again.status_code == 422 and "already has this status" in again.content.decode()


def test_identifiers_are_added_and_removed(client_for, reg):
    alert = boat_alert(reg)
    client = client_for(reg.police)
    response = client.post(
        url(reg, "identifier_new", alert.code),
        {"kind": "engine", "manufacturer": "Mercury", "value": "1B234567"},
    )
    assert response.status_code == 302 and alert.identifiers.count() == 4
    bad = client.post(url(reg, "identifier_new", alert.code), {"kind": "engine", "value": "1B234567"})
    assert bad.status_code == 422 and alert.identifiers.count() == 4
    assert 'id="id_manufacturer_error"' in bad.content.decode()  # next to the field it is about

    engine = alert.identifiers.get(kind="engine", value="1B234567")
    delete_url = url(reg, "identifier_delete", engine.code)
    confirm = client.get(delete_url)
    assert confirm.status_code == 200 and 'name="reason"' not in confirm.content.decode()
    response = client.post(delete_url, {"reason": "Typing error."})
    assert response.status_code == 302 and not Identifier.objects.filter(pk=engine.pk).exists()
    event = AuditEvent.objects.get(action="registry.identifier.removed")
    assert (event.before, event.reason) == (
        {"reference": alert.reference, "kind": "engine", "identifier": engine.pk},
        "",
    )


def test_the_last_identifier_stays(client_for, reg):
    alert = boat_alert(reg, identifiers=[{"kind": "hin", "value": "SE-ABC12345D404"}])
    only = alert.identifiers.get()
    client = client_for(reg.police)
    page = client.get(url(reg, "alert", alert.code)).content.decode()
    assert url(reg, "identifier_delete", only.code) not in page
    response = client.post(url(reg, "identifier_delete", only.code), {"reason": "Oops"})
    assert response.status_code == 422 and "at least one identifier" in response.content.decode()
    assert Identifier.objects.filter(pk=only.pk).exists()


def test_the_alert_page_is_accessible(client_for, reg):
    alert = boat_alert(reg)
    html = client_for(reg.police).get(url(reg, "alert", alert.code)).content.decode()
    headings = [int(level) for level in re.findall(r"<h([1-6])[\s>]", html)]
    assert headings[0] == 1 and headings.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(headings))
    # Every visible input, select and textarea has a label.
    for field_id in re.findall(r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*id="([^"]+)"', html):
        assert f'for="{field_id}"' in html, field_id
    assert '<th scope="row">' in html
