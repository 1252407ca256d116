"""The public briefing page behind a personal link: the TLP rules for a candidate organisation.

CLEAR: shown. AMBER / AMBER+STRICT: shown only when the candidate's organisation is a recipient.
GREEN and RED: never shown (explained without revealing content). Expired and revoked links: 410;
unknown: 404. Each view of shown AMBER content is audited as a disclosure.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from safepact.audit.models import AuditEvent
from safepact.formation.models import BriefingShare
from safepact.formation.services.problem import BRIEFING_DAYS, briefing_share_create
from safepact.formation.tests.claimed_problem_support import candidate, figure, share, statement
from safepact.lib import clock

NATURE = "Car thefts near the ferry terminal."
CAUSES = "Keyless entry relay attacks."


@pytest.fixture
def cand(world):
    return candidate(world, world.partnership_a, name="Bilskydd AB")


def make(world, cand, tlp, *, orgs=(), people=()):
    s = statement(world, world.partnership_a, tlp=tlp, nature=NATURE, causes=CAUSES, orgs=orgs, people=people)
    figure(s, label="Stolen cars", value=87, unit="per year")
    return s


def open_link(client, token):
    return client.get(f"/briefings/{token}/")


def assert_shown(response):
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="briefing-statement"' in html
    assert NATURE in html and CAUSES in html and "Stolen cars" in html
    assert "<svg" in html


def assert_withheld(response, label):
    html = response.content.decode()
    assert response.status_code == 200
    assert NATURE not in html and CAUSES not in html and "Stolen cars" not in html
    assert 'id="briefing-withheld"' in html and f'data-tlp="{label}"' in html
    return html


def test_clear_is_shown_to_any_candidate(client, world, cand):
    make(world, cand, "clear")
    _share, token = share(world, cand)
    response = open_link(client, token)
    assert_shown(response)
    html = response.content.decode()
    assert "Sofielund safety partnership" in html and "A safe and attractive Sofielund." in html
    assert not AuditEvent.objects.filter(action="formation.briefing.viewed").exists()  # not restricted


def test_green_is_not_shown_and_the_page_says_why(client, world, cand):
    make(world, cand, "green")
    _share, token = share(world, cand)
    html = assert_withheld(open_link(client, token), "green")
    assert "This briefing is labelled TLP:GREEN, for members of the partnership only." in html
    assert "share a TLP:CLEAR version" in html
    assert "Sofielund safety partnership" in html  # name and purpose are still shown


@pytest.mark.parametrize("label", ["amber", "amber+strict"])
def test_amber_is_shown_when_the_candidate_is_a_recipient_and_audited(client, world, cand, label):
    make(world, cand, label, orgs=[world.org_police_a, cand.organisation])
    link, token = share(world, cand)
    before = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    with clock.frozen(before):
        link.expires_at = before + timedelta(days=1)
        link.save()
        assert_shown(open_link(client, token))
    link.refresh_from_db()
    assert link.last_viewed_at == before
    event = AuditEvent.objects.get(action="formation.briefing.viewed")
    assert event.partnership_code == str(world.partnership_a.code)
    assert event.actor_label == link.email and event.actor_code == ""
    assert event.after["candidate"] == "Bilskydd AB" and event.after["tlp"] == label
    assert NATURE not in str(event.after)
    with clock.frozen(before + timedelta(hours=1)):
        assert_shown(open_link(client, token))
    assert AuditEvent.objects.filter(action="formation.briefing.viewed").count() == 2


@pytest.mark.parametrize("label", ["amber", "amber+strict"])
def test_amber_is_not_shown_when_the_candidate_is_not_a_recipient(client, world, cand, label):
    make(world, cand, label, orgs=[world.org_police_a])
    link, token = share(world, cand)
    html = assert_withheld(open_link(client, token), label)
    assert "your organisation is not among them" in html
    assert not AuditEvent.objects.filter(action="formation.briefing.viewed").exists()
    link.refresh_from_db()
    assert link.last_viewed_at is not None  # the view is still recorded on the link


def test_red_is_never_shown(client, world, cand):
    make(world, cand, "red", people=[world.coordinator])
    _share, token = share(world, cand)
    html = assert_withheld(open_link(client, token), "red")
    assert "This briefing is labelled TLP:RED" in html


def test_no_statement_yet(client, world, cand):
    _share, token = share(world, cand)
    response = open_link(client, token)
    assert response.status_code == 200
    assert 'id="briefing-no-statement"' in response.content.decode()


def test_expired_link_is_410(client, world, cand):
    make(world, cand, "clear")
    _share, token = share(world, cand, expires_in=timedelta(seconds=-1))
    response = open_link(client, token)
    assert response.status_code == 410
    html = response.content.decode()
    assert 'data-problem="expired"' in html and NATURE not in html


def test_revoked_link_is_410(client, world, cand):
    make(world, cand, "clear")
    _share, token = share(world, cand, revoked=True)
    response = open_link(client, token)
    assert response.status_code == 410
    assert 'data-problem="revoked"' in response.content.decode()
    assert NATURE not in response.content.decode()


def test_unknown_link_is_404(client, world):
    response = open_link(client, "not-a-real-token")
    assert response.status_code == 404
    assert 'data-problem="unknown"' in response.content.decode()


def test_page_asks_not_to_be_cached_nor_to_leak_the_token(client, world, cand):
    _share, token = share(world, cand)
    response = open_link(client, token)
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_a_logged_in_outsider_sees_the_same_as_anyone_with_the_link(client_for, world, cand):
    make(world, cand, "clear")
    _share, token = share(world, cand)
    assert_shown(open_link(client_for(world.outsider), token))


# Creating the link -------------------------------------------------------------------------------


def test_create_stores_only_the_hash_and_emails_the_link_without_content(
    world, cand, django_capture_on_commit_callbacks
):
    make(world, cand, "amber", orgs=[world.org_police_a, cand.organisation])
    start = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
    with clock.frozen(start), django_capture_on_commit_callbacks(execute=True):
        link, token = briefing_share_create(
            actor=world.coordinator, candidate=cand, email=" Info@Bilskydd.example "
        )
    import hashlib

    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not BriefingShare.objects.filter(token_hash=token).exists()
    assert link.expires_at == start + timedelta(days=BRIEFING_DAYS)
    assert link.email == "info@bilskydd.example"
    [message] = mail.outbox
    assert message.to == ["info@bilskydd.example"]
    assert f"/briefings/{token}/" in message.body
    for secret in (NATURE, CAUSES, "Stolen cars", "87"):
        assert secret not in message.body and secret not in message.subject
    event = AuditEvent.objects.get(action="formation.briefing.sent")
    assert event.after["email"] == "info@bilskydd.example" and token not in str(event.after)


def test_the_emailed_link_opens_the_briefing(client, world, cand, django_capture_on_commit_callbacks):
    make(world, cand, "clear")
    with django_capture_on_commit_callbacks(execute=True):
        briefing_share_create(actor=world.coordinator, candidate=cand, email="x@bilskydd.example")
    path = re.search(r"https?://[^/]+(/briefings/[^\s]+/)", mail.outbox[0].body).group(1)
    assert_shown(client.get(path))


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_only_coordinators_create_links(world, cand, persona):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        briefing_share_create(actor=getattr(world, persona), candidate=cand, email="x@y.example")
    assert not BriefingShare.objects.exists()


def test_coordinator_of_another_partnership_cannot_create_links(world, cand):
    from django.http import Http404

    with pytest.raises(Http404):
        briefing_share_create(actor=world.coordinator_b, candidate=cand, email="x@y.example")


def test_bad_email_names_the_field(world, cand):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        briefing_share_create(actor=world.coordinator, candidate=cand, email="not an address")
    assert "email" in exc.value.error_dict
    assert not BriefingShare.objects.exists()
