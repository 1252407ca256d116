"""The close-identifier search: law enforcement finds typos (one or two characters, look-alikes folded) in
the partnership's identifiers of one kind; partners are refused; every search is audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.lib import clock
from safepact.registry import services
from safepact.registry.tests.alerts_factories import NOW, boat_alert, engine, law_enforcement_in_b

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def boat(reg):
    return boat_alert(reg)


def search(reg, value, *, user=None, kind="hin", **options):
    return services.close_identifier_search(
        user=user or reg.officer, partnership=reg.partnership, kind=kind, value=value, **options
    )


def found(matches) -> list[tuple[str, int]]:
    return [(m.identifier.value, m.distance) for m in matches]


def test_one_character_off(reg, boat):
    [match] = search(reg, "NL-XYZ98766E505")
    assert (match.identifier.value, match.distance) == ("NLXYZ98765E505", 1)
    assert match.alert == boat
    assert match.alert.owner.organisation.name == "Polisen Malmö"


def test_look_alikes_are_folded_both_ways(reg, boat):
    # B for 8, O for 0, S for 5 and I for 1: no distance at all
    assert found(search(reg, "NLXYZ9B765E5O5")) == [("NLXYZ98765E505", 0)]
    assert found(search(reg, "SE ABC I2345 D4O4")) == [("SEABC12345D404", 0)]


def test_two_characters_off_only_with_a_distance_of_two(reg, boat):
    assert found(search(reg, "NLXYZ98777E505")) == [("NLXYZ98765E505", 2)]
    assert search(reg, "NLXYZ98777E505", max_distance=1) == []
    assert search(reg, "NLXYZ97777E505") == []


def test_a_missing_or_extra_character(reg, boat):
    assert found(search(reg, "NLXYZ9876E505")) == [("NLXYZ98765E505", 1)]
    assert found(search(reg, "NLXYZ987655E505")) == [("NLXYZ98765E505", 1)]


def test_sorted_by_distance_and_limited(reg, boat):
    boat_alert(reg, by=reg.customs, identifiers=[{"kind": "hin", "value": "NL-XYZ98766E505"}])
    boat_alert(reg, identifiers=[{"kind": "hin", "value": "NL-XYZ98767E507"}])
    assert found(search(reg, "NLXYZ98766E505")) == [
        ("NLXYZ98766E505", 0),
        ("NLXYZ98765E505", 1),
        ("NLXYZ98767E507", 2),
    ]
    assert found(search(reg, "NLXYZ98766E505", limit=2)) == [("NLXYZ98766E505", 0), ("NLXYZ98765E505", 1)]


def test_only_the_same_kind_and_the_same_partnership(reg, boat):
    boat_alert(reg, identifiers=[{"kind": "serial", "value": "NLXYZ98765E505"}])
    agent = law_enforcement_in_b(reg)
    services.alert_create(
        user=agent,
        partnership=reg.world.partnership_b,
        category="boat",
        description="A boat.",
        case_reference="PL-1",
        legal_basis="Sv",
        jurisdiction="NL",
        identifiers=[{"kind": "hin", "value": "NL-XYZ98765E506"}],
    )
    assert found(search(reg, "NLXYZ98765E505")) == [("NLXYZ98765E505", 0)]
    assert [m.alert for m in search(reg, "NLXYZ98765E505")] == [boat]


def test_engine_numbers_of_any_manufacturer(reg, boat):
    boat_alert(reg, identifiers=[engine(1)])
    assert found(search(reg, "6ML1O34568", kind="engine")) == [("6ML1034567", 1)]


def test_every_search_is_audited_with_the_kind_and_the_count(reg, boat):
    search(reg, "NLXYZ98766E505")
    search(reg, "ZZZ", kind="serial")
    events = AuditEvent.objects.filter(action="registry.search.close").order_by("seq")
    assert [e.after for e in events] == [
        {"kind": "hin", "max_distance": 2, "count": 1},
        {"kind": "serial", "max_distance": 2, "count": 0},
    ]
    assert events[0].actor_code == str(reg.officer.code)


@pytest.mark.parametrize(
    ("persona", "error"),
    [
        ("marina", PermissionDenied),
        ("city", PermissionDenied),
        ("viewer", PermissionDenied),
        ("outsider", Http404),
        ("coordinator_b", Http404),
    ],
)
def test_partners_and_outsiders_may_not_search(reg, boat, persona, error):
    with pytest.raises(error):
        search(reg, "NLXYZ98766E505", user=getattr(reg, persona))
    assert not AuditEvent.objects.filter(action="registry.search.close").exists()


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"kind": "dna"}, "kind"),
        ({"value": "  "}, "value"),
        ({"value": "--"}, "value"),
        ({"max_distance": 3}, "max_distance"),
        ({"max_distance": 0}, "max_distance"),
        ({"limit": 0}, "limit"),
        ({"limit": 1000}, "limit"),
    ],
)
def test_bad_input_is_named(reg, boat, options, field):
    values = {"value": "NLXYZ98766E505"} | options
    with pytest.raises(ValidationError) as excinfo:
        search(reg, **values)
    assert set(excinfo.value.message_dict) == {field}
