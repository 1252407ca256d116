"""The registry's home page and a single check through it: the form (every part shown with its hint, the
parts tagged with the kinds that need them), no hit and hit (as an HTMX fragment and as the whole page) with
nothing of the alert but its reference and action, the answer in a live region, errors next to their field,
the rate limit (429), viewers (read-only, 403) and the law-enforcement links."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from safepact.lib import clock
from safepact.registry.models import Check, Hit, HitAction
from safepact.registry.tests.conftest import boat_alert

HX = {"HTTP_HX_REQUEST": "true"}


def home_url(reg):
    return reverse("registry:home", args=[reg.partnership.code])


def check_url(reg):
    return reverse("registry:check", args=[reg.partnership.code])


def check(client, reg, value, kind="hin", context="offered_for_sale", htmx=False, **parts):
    data = {"kind": kind, "value": value, "context": context, **parts}
    return client.post(check_url(reg), data, **(HX if htmx else {}))


def answer(html: str) -> str:
    """The content of the live region (the whole page) or the fragment without its out-of-band fields."""
    found = re.search(r'<div id="check-result"[^>]*>(.*?)</div>\s*</section>', html, re.S)
    if found:
        return found.group(1)
    return html.split('<div id="check-fields" hx-swap-oob="true">')[0]


def assert_nothing_of_the_alert(html: str, alert, *, category=True) -> None:
    """A partner's answer: no description, case reference, legal basis, owning unit or other identifier."""
    lowered = html.lower()
    for secret in (
        alert.description,
        "Bayliner",
        alert.case_reference,
        alert.legal_basis,
        "Polisen Malmö",
        "SE-ABC12345D404",
        "SEABC12345D404",
        "6ML-1034567",
        "6ML1034567",
        "yamaha",
        str(alert.code),
    ):
        assert secret.lower() not in lowered, secret
    if category:
        assert "boat" not in lowered


# The home page ----------------------------------------------------------------------------------------


def test_home_explains_the_registry_and_offers_the_form(client_for, reg):
    html = client_for(reg.marina).get(home_url(reg)).content.decode()
    assert "Registry of stolen objects" in html
    assert 'id="check-form"' in html and f'action="{check_url(reg)}"' in html
    assert 'id="check-result" role="status" aria-live="polite"' in html
    # Every part is there without JavaScript, with a hint naming the kinds that need it ...
    assert 'data-kinds="engine firearm serial" id="part-manufacturer">' in html
    assert 'data-kinds="plate document" id="part-country">' in html
    assert 'data-kinds="document" id="part-document_type">' in html
    assert "Needed for: Engine number, Firearm serial number." in html
    assert "Needed for: Licence plate, Document number." in html
    # ... and the kind select hides the others when JavaScript runs.
    assert 'hx-on:change="' in html
    assert " hidden" not in html.split('id="check-fields"')[1].split("</form>")[0]
    # My pages, not the law-enforcement ones.
    assert reverse("registry:checks", args=[reg.partnership.code]) in html
    assert reverse("registry:batches", args=[reg.partnership.code]) in html
    assert reverse("registry:alerts", args=[reg.partnership.code]) not in html
    assert reverse("registry:search", args=[reg.partnership.code]) not in html


def test_home_shows_the_figures(client_for, reg):
    boat_alert(reg)
    html = client_for(reg.marina).get(home_url(reg)).content.decode()
    assert re.search(r'id="summary-active">1<', html)
    assert 'id="summary-open-hits"' not in html  # law enforcement only


def test_law_enforcement_see_their_pages_on_home(client_for, reg):
    html = client_for(reg.police).get(home_url(reg)).content.decode()
    code = reg.partnership.code
    for name in ("alerts", "hits", "overlaps", "search", "import"):
        assert reverse(f"registry:{name}", args=[code]) in html, name
    assert 'id="summary-open-hits"' in html
    assert 'id="check-form"' in html  # they may check too


def test_viewers_see_the_page_without_the_form(client_for, reg):
    response = client_for(reg.viewer).get(home_url(reg))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="check-form"' not in html and 'id="read-only-note"' in html
    assert 'id="registry-summary"' in html
    assert reverse("registry:checks", args=[reg.partnership.code]) not in html


def test_viewers_may_not_check(client_for, reg):
    response = check(client_for(reg.viewer), reg, "NL-XYZ98765E505")
    assert response.status_code == 403
    assert not Check.objects.exists()


def test_outsiders_get_404(client_for, reg):
    client = client_for(reg.outsider)
    assert client.get(home_url(reg)).status_code == 404
    assert check(client, reg, "NL-XYZ98765E505").status_code == 404
    assert not Check.objects.exists()


# No hit and hit ---------------------------------------------------------------------------------------


def test_no_hit_as_a_fragment(client_for, reg):
    boat_alert(reg)
    response = check(client_for(reg.marina), reg, "WBA71DC010CH14720", kind="vin", htmx=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'data-answer="no-hit"' in html and "No hit" in html
    assert "WBA71DC010CH14720" in html  # what I checked
    assert "HIT" not in answer(html)
    # The fields are redrawn out of band; the parts a VIN does not need are hidden.
    assert '<div id="check-fields" hx-swap-oob="true">' in html
    assert 'id="part-manufacturer" hidden' in html
    entry = Check.objects.get()
    assert (entry.user, entry.kind, entry.hit) == (reg.marina, "vin", False)
    assert entry.context == "offered_for_sale"


def test_hit_as_a_fragment_tells_only_the_reference_and_the_action(client_for, reg):
    alert = boat_alert(reg, action_note="Call 112 and ask for the harbour police.")
    response = check(client_for(reg.marina), reg, "nl xyz 98765 e505", htmx=True)
    html = response.content.decode()
    assert response.status_code == 200
    text = answer(html)
    assert 'data-answer="hit"' in text and "HIT" in text
    assert alert.reference in text
    assert str(HitAction.HOLD.label) in text
    assert "Call 112 and ask for the harbour police." in text
    assert_nothing_of_the_alert(html, alert)
    hit = Hit.objects.get()
    assert hit.alert == alert and hit.checked_by == reg.marina and hit.context == "offered_for_sale"


def test_hit_on_the_whole_page_without_javascript(client_for, reg):
    alert = boat_alert(reg, action="contact")
    response = check(client_for(reg.marina), reg, "NL-XYZ98765E505")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'id="check-form"' in html
    text = answer(html)
    assert 'data-answer="hit"' in text and alert.reference in text
    assert str(HitAction.CONTACT.label) in text
    # The whole page shows the registry's counts by category (numbers only) but nothing of the alert.
    assert_nothing_of_the_alert(html, alert, category=False)
    assert_nothing_of_the_alert(text, alert)
    # The form keeps what was checked, with every part visible (no JavaScript assumed).
    assert 'value="NL-XYZ98765E505"' in html
    assert 'id="part-manufacturer">' in html


def test_engine_number_with_its_manufacturer(client_for, reg):
    alert = boat_alert(reg)
    html = check(
        client_for(reg.marina), reg, "6ml 1034567", kind="engine", manufacturer="YAMAHA", htmx=True
    ).content.decode()
    assert 'data-answer="hit"' in html and alert.reference in html


def test_a_part_the_kind_does_not_use_is_ignored(client_for, reg):
    """A manufacturer typed before the kind was changed to HIN (hidden, so not seen) does not count."""
    alert = boat_alert(reg)
    html = check(
        client_for(reg.marina), reg, "NL-XYZ98765E505", manufacturer="Bogus", htmx=True
    ).content.decode()
    assert 'data-answer="hit"' in html and alert.reference in html


# Errors -----------------------------------------------------------------------------------------------


def test_partial_identifier_is_refused_next_to_the_field(client_for, reg):
    boat_alert(reg)
    response = check(client_for(reg.marina), reg, "NL-XYZ98765*")
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_value_error"' in html  # the error list of the value field
    assert 'aria-invalid="true"' in html
    assert 'data-answer="invalid"' in html
    assert not Check.objects.exists() and not Hit.objects.exists()


def test_missing_manufacturer_is_shown_next_to_its_field(client_for, reg):
    response = check(client_for(reg.marina), reg, "6ML-1034567", kind="engine", htmx=True)
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_manufacturer_error"' in html
    # The redrawn fields keep the manufacturer visible: an engine number needs it.
    assert 'id="part-manufacturer">' in html
    assert not Check.objects.exists()


def test_missing_context_and_kind(client_for, reg):
    response = check(client_for(reg.marina), reg, "WBA71DC010CH14720", kind="", context="", htmx=True)
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_kind_error"' in html and 'id="id_context_error"' in html
    assert not Check.objects.exists()


# Rate limit -------------------------------------------------------------------------------------------


@pytest.fixture
def two_per_minute(settings):
    settings.SAFEPACT_REGISTRY_RATE_LIMITS = {**settings.SAFEPACT_REGISTRY_RATE_LIMITS, "user_per_minute": 2}


@pytest.mark.parametrize("htmx", [False, True])
def test_rate_limit_answers_429_with_a_clear_message(client_for, reg, two_per_minute, htmx):
    client = client_for(reg.marina)
    with clock.frozen(datetime(2026, 12, 1, 10, 0, 30, tzinfo=UTC)):
        for _ in range(2):
            assert check(client, reg, "WBA71DC010CH14720", kind="vin", htmx=htmx).status_code == 200
        response = check(client, reg, "WBA71DC010CH14720", kind="vin", htmx=htmx)
    html = response.content.decode()
    assert response.status_code == 429
    assert re.search(r"Too many checks; try again in \d+ seconds?\.", html)
    assert int(response["Retry-After"]) > 0
    assert 'data-answer="rate-limited"' in html
    assert Check.objects.count() == 2


# My checks --------------------------------------------------------------------------------------------


def test_my_checks_show_the_outcome_of_a_hit(client_for, reg):
    alert = boat_alert(reg)
    client = client_for(reg.marina)
    check(client, reg, "NL-XYZ98765E505")
    check(client, reg, "WBA71DC010CH14720", kind="vin")
    url = reverse("registry:checks", args=[reg.partnership.code])
    html = client.get(url).content.decode()
    assert "NLXYZ98765E505" in html and "WBA71DC010CH14720" in html
    assert alert.reference in html
    assert "Hit: follow the action; the police unit has been told." in html
    assert_nothing_of_the_alert(html, alert)

    from safepact.registry import services

    services.hit_decide(user=reg.police, hit=Hit.objects.get(), status="confirmed", note="Owner's boat.")
    html = client.get(url).content.decode()
    assert "Confirmed: the police will contact you." in html
    assert "Owner&#x27;s boat." not in html and "Owner's boat." not in html
    # Someone else's checks are not in my log.
    assert "NLXYZ98765E505" not in client_for(reg.city).get(url).content.decode()
