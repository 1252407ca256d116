"""Subject access (GDPR Art. 15): a coordinator finds every item they may see that names a person and exports
it; items they may not see are never found, and AMBER+STRICT and RED items never leave the platform."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.exchange import selectors, services
from safepact.exchange.tests.factories import media_root  # noqa: F401 - fixture
from safepact.exchange.tests.register_factories import orm_answer, orm_document, orm_post, orm_request
from safepact.lib import clock
from safepact.lib.tlp import TLP

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media_root")]

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RED_TEXT = "Anna Svensson is the informant in case 77"
STRICT_TEXT = "Anna Svensson owes money to the gang"


@pytest.fixture(autouse=True)
def _clock():
    with clock.frozen(NOW):
        yield


def at(days: int) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture
def items(world):
    police_city = [world.org_police_a, world.org_city_a]
    request = orm_request(
        world,
        world.coordinator,
        TLP.AMBER,
        to=[world.org_city_a],
        orgs=police_city,
        title="Landlord of a witness",
        question="Who rents the flat of anna svensson?",
        at=at(3),
    )
    return {
        "green": orm_post(
            world,
            world.member,
            TLP.GREEN,
            title="Burglary at the kiosk",
            body="Witness: Anna Svensson saw the van.",
            at=at(10),
            files=1,
        ),
        "document": orm_document(
            world, world.member, TLP.CLEAR, description="Statement of ANNA SVENSSON", at=at(20)
        ),
        "request": request,
        "answer": orm_answer(
            request,
            world.member,
            world.org_city_a,
            orgs=police_city,
            text="Anna Svensson rents from us.",
            at=at(2),
        ),
        "red_for_me": orm_post(
            world,
            world.member,
            TLP.RED,
            people=[world.member, world.coordinator],
            title="Source",
            body=RED_TEXT,
            at=at(1),
        ),
        "strict": orm_post(
            world, world.member, TLP.AMBER_STRICT, orgs=police_city, title="Debts", body=STRICT_TEXT, at=at(4)
        ),
        # Not to be found:
        "red_not_for_me": orm_post(
            world, world.member, TLP.RED, people=[world.member], title="Anna Svensson, private note", at=at(5)
        ),
        "amber_not_for_me": orm_post(
            world,
            world.member,
            TLP.AMBER,
            orgs=[world.org_city_a],
            body="Anna Svensson visited the town hall",
            at=at(6),
        ),
        "other_partnership": orm_post(
            world,
            world.coordinator_b,
            TLP.GREEN,
            partnership=world.partnership_b,
            body="Anna Svensson in Parkstad",
        ),
        "other_person": orm_post(world, world.member, TLP.GREEN, body="Bo Berg saw it."),
    }


def search(world, term="Anna Svensson", user=None):
    return selectors.subject_access_search(
        user=user or world.coordinator, partnership=world.partnership_a, term=term
    )


# The search ----------------------------------------------------------------------------------------


def test_finds_every_visible_item_that_names_the_person_newest_first(world, items):
    hits = search(world)
    expected = ["red_for_me", "answer", "request", "strict", "green", "document"]
    assert [hit.code for hit in hits] == [items[name].code for name in expected]
    assert [hit.kind for hit in hits] == ["post", "answer", "request", "post", "post", "document"]
    green = hits[4]
    assert green.title == "Burglary at the kiosk" and green.tlp == "green" and green.date == at(10)
    assert green.exportable and not hits[0].exportable and not hits[3].exportable
    assert hits[1].title == "Answer: Landlord of a witness"


def test_items_the_coordinator_may_not_see_are_not_found(world, items):
    found = {hit.code for hit in search(world)}
    for name in ("red_not_for_me", "amber_not_for_me", "other_partnership", "other_person"):
        assert items[name].code not in found
    assert [hit.code for hit in search(world, "private note")] == []
    assert [hit.code for hit in search(world, "town hall")] == []


def test_the_match_ignores_case_also_beyond_ascii(world, items):
    assert len(search(world, "aNNa sVENSSON")) == 6
    post = orm_post(world, world.member, TLP.GREEN, body="Seen by ÅSA ÖBERG at noon.")
    assert [hit.code for hit in search(world, "åsa öberg")] == [post.code]
    assert [hit.code for hit in search(world, "Åsa Öberg")] == [post.code]


def test_hit_links_to_the_page_of_the_item(world, items):
    hits = {hit.kind: hit for hit in search(world)}
    code = world.partnership_a.code
    assert hits["post"].url == f"/p/{code}/exchange/posts/{items['green'].code}/"
    assert hits["document"].url == f"/p/{code}/exchange/documents/{items['document'].code}/"
    assert hits["answer"].url == (
        f"/p/{code}/exchange/requests/{items['request'].code}/#answer-{items['answer'].code}"
    )


@pytest.mark.parametrize(
    ("persona", "error"),
    [
        ("member", PermissionDenied),
        ("viewer", PermissionDenied),
        ("outsider", Http404),
        ("coordinator_b", Http404),
    ],
)
def test_only_coordinators_search(world, items, persona, error):
    with pytest.raises(error):
        search(world, user=getattr(world, persona))


@pytest.mark.parametrize("term", ["", "  ", "an", "x" * 201])
def test_the_term_needs_three_to_two_hundred_characters(world, term):
    with pytest.raises(ValidationError) as error:
        search(world, term)
    assert set(error.value.message_dict) == {"term"}


def test_regex_characters_are_plain_text(world, items):
    orm_post(world, world.member, TLP.GREEN, body="Name: J. (Jan) Jansen+")
    assert len(search(world, "(Jan) Jansen+")) == 1
    assert search(world, ".*.*") == []


# The export ----------------------------------------------------------------------------------------


def export(world, user=None, term="anna svensson"):
    return services.subject_access_export(
        actor=user or world.coordinator, partnership=world.partnership_a, term=term
    )


def test_export_holds_exportable_items_in_full(world, items):
    data = json.loads(export(world))
    assert data["export"] == "subject-access" and data["term"] == "anna svensson"
    assert data["partnership"]["code"] == str(world.partnership_a.code)
    exported = {entry["code"]: entry for entry in data["items"]}
    assert set(exported) == {str(items[name].code) for name in ("green", "document", "request", "answer")}
    green = exported[str(items["green"].code)]
    assert green["kind"] == "post" and green["tlp"] == "green"
    assert (
        green["title"] == "Burglary at the kiosk" and green["text"] == "Witness: Anna Svensson saw the van."
    )
    assert [f["name"] for f in green["files"]] == ["note-0.txt"]
    assert exported[str(items["document"].code)]["description"] == "Statement of ANNA SVENSSON"
    assert exported[str(items["request"].code)]["question"] == "Who rents the flat of anna svensson?"
    answer = exported[str(items["answer"].code)]
    assert answer["text"] == "Anna Svensson rents from us." and answer["organisation"] == "Malmö stad"


def test_export_lists_amber_strict_and_red_items_without_their_text(world, items):
    content = export(world)
    data = json.loads(content)
    withheld = {entry["code"]: entry for entry in data["withheld"]}
    assert set(withheld) == {str(items["red_for_me"].code), str(items["strict"].code)}
    red = withheld[str(items["red_for_me"].code)]
    assert set(red) == {"kind", "code", "date", "tlp", "label", "note"}
    assert red["kind"] == "post" and red["tlp"] == "red" and red["label"] == "TLP:RED"
    assert "Mats Member" in red["note"] and "consult" in red["note"]
    text = content.decode()
    for secret in (RED_TEXT, STRICT_TEXT, "Source", "Debts"):
        assert secret not in text
    for hidden in ("private note", "town hall", "Parkstad"):
        assert hidden not in text


def test_export_is_audited_without_the_name_or_restricted_text(world, items):
    export(world)
    event = AuditEvent.objects.get(action="exchange.subject_access.exported")
    assert event.actor_code == str(world.coordinator.code)
    assert event.after["items"] == 4 and event.after["withheld"] == 2
    assert str(items["red_for_me"].code) in event.after["codes"]
    recorded = json.dumps([event.after, event.before, event.target_label, event.reason], ensure_ascii=False)
    assert "Svensson" not in recorded and "informant" not in recorded
    assert len(event.after["term_sha256"]) == 64


@pytest.mark.parametrize(
    ("persona", "error"), [("member", PermissionDenied), ("outsider", Http404), ("coordinator_b", Http404)]
)
def test_only_coordinators_export(world, items, persona, error):
    with pytest.raises(error):
        export(world, user=getattr(world, persona))
    assert not AuditEvent.objects.filter(action="exchange.subject_access.exported").exists()


def test_export_refuses_a_short_term(world):
    with pytest.raises(ValidationError) as error:
        export(world, term="a")
    assert set(error.value.message_dict) == {"term"}
    assert not AuditEvent.objects.filter(action="exchange.subject_access.exported").exists()
