"""Hits, overlaps and the close-identifier search through the test client: the marina's check of the second hull
number is a hit the police unit sees (who checked, their organisation, the context, when, the identifier as
typed) and confirms; another unit reads it but may not decide; open hits come first and an escalated one is
marked in words; two alerts sharing a hull number are an overlap either owner resolves; law enforcement
searches close identifiers (one or two characters apart) and the search is audited."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.registry import services
from safepact.registry.models import Hit, HitStatus, Overlap, OverlapStatus
from safepact.registry.tests.conftest import boat_alert

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(reg, name, *args):
    return reverse(f"registry:{name}", args=[reg.partnership.code, *args])


def check(
    reg, value="NL-XYZ98765E505", *, kind="hin", user=None, membership=None, context="offered_for_sale"
):
    return services.check_identifier(
        user=user or reg.marina,
        membership=membership or reg.m_marina,
        kind=kind,
        value=value,
        context=context,
    )


@pytest.fixture
def boat(reg):
    return boat_alert(reg)


@pytest.fixture
def hit(reg, boat):
    result = check(reg, "nl xyz98765e505")
    assert result.hit
    return Hit.objects.get(alert=boat)


# Hits ---------------------------------------------------------------------------------------------------


def test_the_hit_page_says_who_checked_what_when_and_where(client_for, reg, hit):
    html = client_for(reg.police).get(url(reg, "hit", hit.code)).content.decode()
    assert "Hanna Harbour" in html and "harbour@marina.example" in html  # the person
    assert "Limhamn Marina" in html  # their organisation
    assert "Offered for sale" in html  # the context
    assert "nl xyz98765e505" in html  # the identifier as typed
    assert hit.alert.reference in html and 'data-state="open"' in html
    assert 'id="hit-decide-form"' in html
    assert "Hit: follow the action" in html  # what the marina was told


def test_the_owning_unit_confirms_the_hit(client_for, reg, hit):
    client = client_for(reg.officer)
    response = client.post(
        url(reg, "hit_decide", hit.code), {"status": "confirmed", "note": "Seized at the quay."}
    )
    assert response.status_code == 302 and response["Location"] == url(reg, "hit", hit.code)
    hit.refresh_from_db()
    assert (
        hit.status == HitStatus.CONFIRMED
        and hit.decided_by == reg.officer
        and hit.note == "Seized at the quay."
    )
    assert AuditEvent.objects.filter(action="registry.hit.decided").count() == 1
    page = client.get(url(reg, "hit", hit.code)).content.decode()
    assert 'id="hit-decide-form"' not in page and "Confirmed: the police will contact you." in page
    again = client.post(url(reg, "hit_decide", hit.code), {"status": "rejected"})
    assert again.status_code == 422 and "This hit was decided" in again.content.decode()
    hit.refresh_from_db()
    assert hit.status == HitStatus.CONFIRMED


def test_a_decision_needs_a_choice(client_for, reg, hit):
    response = client_for(reg.police).post(url(reg, "hit_decide", hit.code), {"note": "?"})
    assert response.status_code == 422 and 'id="id_status_error"' in response.content.decode()
    hit.refresh_from_db()
    assert hit.status == HitStatus.OPEN


def test_another_unit_reads_the_hit_but_does_not_decide(client_for, reg, hit):
    client = client_for(reg.customs)
    page = client.get(url(reg, "hit", hit.code)).content.decode()
    assert "Limhamn Marina" in page and 'id="read-only"' in page and 'id="hit-decide-form"' not in page
    assert "Seized" not in page
    assert client.post(url(reg, "hit_decide", hit.code), {"status": "rejected"}).status_code == 403
    hit.refresh_from_db()
    assert hit.status == HitStatus.OPEN


def test_open_hits_come_first_and_an_escalated_one_is_marked(client_for, reg, boat, hit):
    # An older hit, confirmed; then a newer open one, which nobody handles in time.
    services.hit_decide(user=reg.police, hit=hit, status="confirmed")
    with clock.frozen(clock.now() + timedelta(minutes=5)):
        check(reg, "SE-ABC12345D404", context="repair")
    newer = Hit.objects.exclude(pk=hit.pk).get()
    with clock.frozen(clock.now() + timedelta(hours=13)):
        assert services.escalate_due_hits() == 1
    client = client_for(reg.police)
    html = client.get(url(reg, "hits")).content.decode()
    codes = re.findall(r'data-hit="([0-9a-f-]+)"', html)
    assert codes == [str(newer.code), str(hit.code)]
    row = re.search(rf'<tr data-hit="{newer.code}".*?</tr>', html, re.S).group(0)
    assert 'data-escalated="true"' in row and "escalated" in row  # in words, not only a colour
    assert "Waiting for the owning unit" in row
    only_open = client.get(url(reg, "hits") + "?status=open", **HTMX).content.decode()
    assert "<html" not in only_open and re.findall(r'data-hit="([0-9a-f-]+)"', only_open) == [str(newer.code)]
    hit_page = client.get(url(reg, "hit", newer.code)).content.decode()
    assert 'id="escalated"' in hit_page


def test_the_alert_page_lists_its_hits(client_for, reg, boat, hit):
    html = client_for(reg.police).get(url(reg, "alert", boat.code)).content.decode()
    assert f'data-hit="{hit.code}"' in html and "Limhamn Marina" in html


# Overlaps -----------------------------------------------------------------------------------------------


@pytest.fixture
def overlap(reg, boat):
    """Customs reports a boat with the same Swedish hull number."""
    boat_alert(
        reg,
        by=reg.customs,
        identifiers=[{"kind": "hin", "value": "SE-ABC12345D404"}],
        case_reference="TULL-2026-12",
    )
    return Overlap.objects.get()


def test_an_overlap_is_listed_and_either_owner_resolves_it(client_for, reg, overlap):
    client = client_for(reg.customs)
    html = client.get(url(reg, "overlaps")).content.decode()
    assert f'data-overlap="{overlap.code}"' in html and "hin:SEABC12345D404" in html
    assert f'id="resolve-{overlap.code}-status"' in html and f'for="resolve-{overlap.code}-status"' in html
    response = client.post(url(reg, "overlap_resolve", overlap.code), {"status": "same_object"})
    assert response.status_code == 302 and response["Location"] == url(reg, "overlaps")
    overlap.refresh_from_db()
    assert overlap.status == OverlapStatus.SAME_OBJECT and overlap.resolved_by == reg.customs
    assert AuditEvent.objects.filter(action="registry.overlap.resolved").exists()
    html = client.get(url(reg, "overlaps")).content.decode()
    assert f'id="resolve-{overlap.code}-status"' not in html and "Same object reported twice" in html
    again = client.post(url(reg, "overlap_resolve", overlap.code), {"status": "dismissed"})
    assert again.status_code == 422 and "already been resolved" in again.content.decode()


def test_the_resolve_page_and_a_bad_choice(client_for, reg, overlap):
    client = client_for(reg.police)
    page = client.get(url(reg, "overlap_resolve", overlap.code)).content.decode()
    assert 'id="overlap-resolve-form"' in page and '<label for="id_status"' in page
    response = client.post(url(reg, "overlap_resolve", overlap.code), {"status": "open"})
    assert response.status_code == 422
    overlap.refresh_from_db()
    assert overlap.status == OverlapStatus.OPEN


def test_the_overlap_list_filters_by_status(client_for, reg, overlap):
    client = client_for(reg.police)
    assert (
        f'data-overlap="{overlap.code}"' in client.get(url(reg, "overlaps") + "?status=open").content.decode()
    )
    fragment = client.get(url(reg, "overlaps") + "?status=dismissed", **HTMX).content.decode()
    assert "<html" not in fragment and 'id="no-overlaps"' in fragment


def test_the_alert_page_shows_its_overlaps(client_for, reg, boat, overlap):
    html = client_for(reg.police).get(url(reg, "alert", boat.code)).content.decode()
    assert f'data-overlap="{overlap.code}"' in html and "TULL" not in html  # the other's case stays there
    assert overlap.second.reference in html


# Close identifiers --------------------------------------------------------------------------------------


def test_close_identifiers_are_found_with_their_distance(client_for, reg, boat):
    client = client_for(reg.customs)
    page = client.get(url(reg, "search"))
    assert page.status_code == 200 and 'id="matches"' not in page.content.decode()
    before = AuditEvent.objects.filter(action="registry.search.close").count()
    # One character off (4 -> 5 at the end), and O for 0 (a look-alike, folded).
    response = client.get(url(reg, "search") + "?kind=hin&value=SEABC12345D4O5&max_distance=1")
    html = response.content.decode()
    assert response.status_code == 200
    assert "SEABC12345D404" in html and boat.reference in html
    row = re.search(r'<tr data-identifier="[^"]+">.*?</tr>', html, re.S).group(0)
    assert "<td>1</td>" in row
    assert "NLXYZ98765E505" not in html
    assert AuditEvent.objects.filter(action="registry.search.close").count() == before + 1
    fragment = client.get(url(reg, "search") + "?kind=hin&value=SEABC99999D404&max_distance=1", **HTMX)
    assert "<html" not in fragment.content.decode() and 'id="no-matches"' in fragment.content.decode()


def test_a_search_needs_a_kind_and_a_value(client_for, reg, boat):
    response = client_for(reg.police).get(url(reg, "search") + "?kind=&value=")
    html = response.content.decode()
    assert response.status_code == 400 and 'href="#id_kind"' in html and 'href="#id_value"' in html


def test_partners_may_not_search_close_identifiers(client_for, reg, boat):
    before = AuditEvent.objects.count()
    response = client_for(reg.marina).get(
        url(reg, "search") + "?kind=hin&value=SEABC12345D405&max_distance=1"
    )
    assert response.status_code == 403 and AuditEvent.objects.count() == before
