"""Issue 5, "API and UI, English and Dutch": the continuity overview, the meetings list and the continuity
API answer in the language of the person's profile (the catalogue test only checks the .po file)."""

import pytest
from django.urls import reverse

from safepact.accounts.models import User
from safepact.continuity.tests.services_support import at
from safepact.continuity.tests.views_support import TODAY, make_things
from safepact.lib import clock


@pytest.fixture(autouse=True)
def _today():
    with clock.frozen(at(TODAY)):
        yield


def speaks(user, language: str):
    User.objects.filter(pk=user.pk).update(language=language)
    user.refresh_from_db()
    return user


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        (
            "nl",
            ["Continuïteit", "Betrokkenheid van de partners", "Ritme van bijeenkomsten"],
            "Meeting rhythm",
        ),
        ("en", ["Continuity", "Engagement of partners", "Meeting rhythm"], "Ritme van bijeenkomsten"),
    ],
)
def test_the_overview_page_speaks_the_persons_language(client_for, world, language, expected, absent):
    make_things(world)
    client = client_for(speaks(world.viewer, language))
    page = client.get(reverse("continuity:overview", args=[world.partnership_a.code])).content.decode()
    for text in expected:
        assert text in page, text
    assert absent not in page


def test_the_meetings_page_speaks_dutch(client_for, world):
    client = client_for(speaks(world.coordinator, "nl"))
    page = client.get(reverse("meetings:list", args=[world.partnership_a.code])).content.decode()
    assert "Een bijeenkomst plannen" in page
    assert "Schedule a meeting" not in page


def test_the_continuity_api_speaks_dutch(client_for, world):
    make_things(world)
    client = client_for(speaks(world.member, "nl"))
    body = client.get(f"/api/v1/partnerships/{world.partnership_a.code}/continuity").json()
    titles = {s["key"]: s["title"] for s in body["signals"]}
    assert titles["engagement"] == "Betrokkenheid van de partners"
    assert titles["meeting_load"] == "Vergaderlast"
    assert titles["funding_runway"] == "Financieringshorizon"
    overdue = next(s for s in body["signals"] if s["key"] == "overdue_actions")
    assert overdue["level"] != "ok" and "due date" not in overdue["summary"]  # the summary too
