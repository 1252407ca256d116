"""The TLP promise as a property (hypothesis): whatever partnerships, organisations, people, labels, recipients
and confidentiality states come together, nobody reads, lists, finds, exports or is emailed an item they may
not see, through the API.

The expected audience is computed here by an oracle of its own (plain Python over the cast below: who takes
part through which organisation, who signed the confidentiality agreement), not by the code under test. Each
example builds its items with the services inside a transaction that is rolled back afterwards, then asks the
API as every person of the cast:

* ``GET posts`` lists exactly the posts the oracle says they may see (404 for non-members);
* ``GET posts/{code}`` answers 200 for those and 404 for every other post;
* ``GET search?q=...`` finds exactly those (each post carries a shared word and one of its own);
* ``GET exports/posts`` holds exactly those that may leave the platform (never AMBER+STRICT or RED);
* ``GET requests`` / ``GET requests/{code}`` and the answers in it follow the same rule for information
  requests and their answers;
* every email sent (immediate email for everyone, through the task queue) and every in-app notification
  mentions only items the recipient may see, and never the title or text of a restricted one.
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import add_member, make_user
from safepact.agreements import services as agreement_services
from safepact.agreements.models import Kind
from safepact.agreements.tests import support
from safepact.exchange import services
from safepact.lib import clock
from safepact.lib.scheduler import run_queued_tasks
from safepact.lib.tlp import NOT_EXPORTABLE, RESTRICTED, TLP
from safepact.notifications.models import EmailMode, NotificationSetting
from safepact.partnerships.models import Partner
from safepact.partnerships.services import member_set_status

LABELS = [TLP.CLEAR, TLP.GREEN, TLP.AMBER, TLP.AMBER_STRICT, TLP.RED]
SHARED = "lighthouse"


class _Rollback(Exception):
    pass


@dataclass
class Cast:
    """People and who they take part through: ``orgs[person][partnership] = organisation key``."""

    world: object
    people: dict  # key -> User
    orgs: dict  # person key -> {partnership key: org key}
    partnerships: dict  # key -> Partnership
    organisations: dict  # key -> Organisation
    writers: dict  # partnership key -> [person keys with the write role]
    coordinators: dict = field(default_factory=dict)  # partnership key -> {person keys}
    agreement: object = None
    signed_always: set = field(default_factory=lambda: {"police"})


@pytest.fixture
def cast(world) -> Cast:
    """Partnership A: police (coordinator Cora, member Carl), city (member Mats), shop (viewer Vera, and Sid,
    suspended). Partnership B: the Parkstad municipality (coordinator Bram; Dana, who is in A through the city)
    and the Parkstad retailers (Rita). Otto is in neither. A has a confidentiality agreement in force that the police
    signed; whether A requires it, and whether the city signed, varies per example."""
    carl = make_user("carl@polisen.example", "Carl Colleague")
    dana = make_user("dana@city.example", "Dana Dual")
    sid = make_user("sid@shop.example", "Sid Suspended")
    rita = make_user("rita@winkeliers.example", "Rita Retail")
    a, b = world.partnership_a, world.partnership_b
    add_member(
        coordinator=world.coordinator,
        partnership=a,
        user=carl,
        role="member",
        organisation=world.org_police_a,
    )
    add_member(
        coordinator=world.coordinator, partnership=a, user=dana, role="member", organisation=world.org_city_a
    )
    add_member(
        coordinator=world.coordinator_b, partnership=b, user=dana, role="member", organisation=world.org_b
    )
    rita_membership = add_member(
        coordinator=world.coordinator_b,
        partnership=b,
        user=rita,
        role="member",
        new_organisation={"name": "Winkeliers Parkstad", "kind": "business", "country": "NL"},
    )
    sid_membership = add_member(
        coordinator=world.coordinator, partnership=a, user=sid, role="member", organisation=world.org_shop_a
    )
    with transaction.atomic():
        member_set_status(
            actor=world.coordinator, membership=sid_membership, status="suspended", reason="Left the company."
        )

    # The confidentiality agreement of A, in force with the police's signature only.
    support.signatories(world)
    agreement = support.draft(world, Kind.CONFIDENTIALITY)
    police_partner = Partner.objects.get(partnership=a, organisation=world.org_police_a)
    agreement = support.to_signing(world, agreement, required_codes=[police_partner.code])
    agreement = support.sign(world.coordinator, agreement)

    people = {
        "cora": world.coordinator,
        "carl": carl,
        "mats": world.member,
        "vera": world.viewer,
        "sid": sid,
        "dana": dana,
        "bram": world.coordinator_b,
        "rita": rita,
        "otto": world.outsider,
    }
    for user in people.values():
        NotificationSetting.objects.update_or_create(user=user, defaults={"email_mode": EmailMode.IMMEDIATE})
    return Cast(
        world=world,
        people=people,
        orgs={
            "cora": {"A": "police"},
            "carl": {"A": "police"},
            "mats": {"A": "city"},
            "vera": {"A": "shop"},
            "sid": {},  # suspended: takes part nowhere
            "dana": {"A": "city", "B": "parkstad"},
            "bram": {"B": "parkstad"},
            "rita": {"B": "retail"},
            "otto": {},
        },
        partnerships={"A": a, "B": b},
        organisations={
            "police": world.org_police_a,
            "city": world.org_city_a,
            "shop": world.org_shop_a,
            "parkstad": world.org_b,
            "retail": rita_membership.partner.organisation,
        },
        writers={"A": ["cora", "carl", "mats", "dana"], "B": ["bram", "dana", "rita"]},
        coordinators={"A": {"cora"}, "B": {"bram"}},
        agreement=agreement,
    )


@dataclass
class Item:
    partnership: str
    author: str
    label: TLP
    orgs: list  # recipient organisation keys (AMBER*), the author's own added by the service
    people: list  # recipient person keys (RED)
    word: str
    code: str = ""
    title: str = ""
    answerer: str = ""
    answer_word: str = ""
    submit: bool = True  # requests: sent (True) or left as a draft
    sent: bool = False


@dataclass
class State:
    require_a: bool
    city_signed: bool


def members_of(cast: Cast, partnership: str) -> dict:
    return {person: orgs[partnership] for person, orgs in cast.orgs.items() if partnership in orgs}


def passes_gate(cast: Cast, state: State, person: str, partnership: str) -> bool:
    if partnership != "A" or not state.require_a:
        return True
    org = cast.orgs[person].get("A")
    return org in cast.signed_always or (org == "city" and state.city_signed)


def oracle(cast: Cast, state: State, person: str, item: Item) -> bool:
    """TLP 2.0 in a partnership, with the confidentiality gate: written from the rule, not from the code."""
    if item.label == TLP.CLEAR:
        return True
    org = cast.orgs[person].get(item.partnership)
    if org is None:
        return False
    if item.label in RESTRICTED and not passes_gate(cast, state, person, item.partnership):
        return False
    if person == item.author or item.label == TLP.GREEN:
        return True
    if item.label in (TLP.AMBER, TLP.AMBER_STRICT):
        return org in set(item.orgs) | {cast.orgs[item.author][item.partnership]}
    return person in item.people


@st.composite
def items(draw, cast: Cast):
    partnership = draw(st.sampled_from(["A", "B"]))
    author = draw(st.sampled_from(cast.writers[partnership]))
    label = draw(st.sampled_from(LABELS))
    members = members_of(cast, partnership)
    org_keys = sorted(set(members.values()))
    orgs = draw(st.lists(st.sampled_from(org_keys), min_size=1, max_size=len(org_keys), unique=True))
    people = draw(st.lists(st.sampled_from(sorted(members)), min_size=1, max_size=3, unique=True))
    return Item(partnership, author, label, orgs, people, word="", submit=draw(st.booleans()))


def api(client, user, path):
    client.force_login(user)
    return client.get(f"/api/v1{path}")


def codes(response) -> set:
    data = response.json()
    rows = data["items"] if isinstance(data, dict) else data
    return {row["code"] for row in rows}


def make_post(cast: Cast, item: Item, n: int) -> bool:
    item.word = f"zq{n}x{item.label.value.replace('+', '')}"
    item.title = f"Post {item.word} {SHARED}"
    try:
        post = services.post_create(
            actor=cast.people[item.author],
            partnership=cast.partnerships[item.partnership],
            kind="warning",
            title=item.title,
            body=f"Text of {item.word} about the {SHARED}.",
            tlp=item.label,
            recipient_organisations=[cast.organisations[o] for o in item.orgs],
            recipient_people=[cast.people[p] for p in item.people],
        )
    except (ValidationError, PermissionDenied, Http404):
        return False  # e.g. a RED post to people who left, or an author the gate keeps out: nothing stored
    item.code = str(post.code)
    return True


def make_request(cast: Cast, item: Item, n: int) -> tuple[bool, str]:
    """An information request from the author's organisation to the other organisations of the partnership;
    the first addressed member with the write role answers it. Returns (made, answer code)."""
    members = members_of(cast, item.partnership)
    own = cast.orgs[item.author][item.partnership]
    addressed = sorted(set(item.orgs) - {own})
    if not addressed:
        return False, ""
    item.people = [p for p in item.people if members[p] in addressed]
    item.word = f"rq{n}x{item.label.value.replace('+', '')}"
    item.title = f"Request {item.word} {SHARED}"
    partnership = cast.partnerships[item.partnership]
    partners = [
        Partner.objects.get(partnership=partnership, organisation=cast.organisations[o]) for o in addressed
    ]
    item.orgs = addressed
    try:
        request = services.request_create(
            actor=cast.people[item.author],
            partnership=partnership,
            title=item.title,
            question=f"Question {item.word} about the {SHARED}.",
            purpose="Find the owner.",
            legal_basis="public_task",
            deadline=clock.today() + timedelta(days=7),
            tlp=item.label,
            recipient_partners=partners,
            recipient_people=[cast.people[p] for p in item.people],
        )
    except (ValidationError, PermissionDenied, Http404):
        return False, ""
    item.code = str(request.code)
    if not item.submit:
        return True, ""
    try:
        services.request_submit(actor=cast.people[item.author], request=request)
    except (ValidationError, PermissionDenied, Http404):
        return True, ""  # stays a draft (e.g. the gate keeps its own author out)
    item.sent = True
    answer_code = ""
    item.answer_word = f"an{n}x{item.label.value.replace('+', '')}"
    for person, org in sorted(members.items()):
        if org in addressed and person in cast.writers[item.partnership] and person != item.author:
            try:
                answer = services.request_answer(
                    actor=cast.people[person],
                    request=request,
                    text=f"Answer {item.answer_word} about the {SHARED}.",
                )
            except (ValidationError, PermissionDenied, Http404):
                continue
            answer_code = str(answer.code)
            item.answerer = person
            break
    return True, answer_code


def check_mail_and_notifications(
    cast: Cast, state: State, client, made: list[Item], *, requests=False
) -> None:
    """``requests``: the items are information requests (a draft is never announced to anyone)."""
    run_queued_tasks(raise_errors=True)
    by_address = {user.email.lower(): key for key, user in cast.people.items()}
    for message in mail.outbox:
        text = (
            message.subject
            + "\n"
            + message.body
            + "".join(str(a[0]) for a in getattr(message, "alternatives", []))
        )
        for address in message.to:
            person = by_address.get(address.lower())
            for item in made:
                if item.word in text:
                    assert person is not None and oracle(cast, state, person, item), (address, item)
                    assert item.sent or not requests, ("a draft request in an email", address, item)
                    assert item.label not in RESTRICTED, ("restricted text in an email", address, item)
            for item in made:
                # Answers are always labelled AMBER or stricter: their text never goes by email.
                assert not item.answer_word or item.answer_word not in text, (address, item)
    for key, user in cast.people.items():
        response = api(client, user, "/notifications?limit=500")
        assert response.status_code == 200
        data = response.json()
        rows = data["items"] if isinstance(data, dict) else data
        shown = " ".join(f"{n['title']} {n.get('body', '')}" for n in rows)
        for item in made:
            if item.word in shown:
                assert oracle(cast, state, key, item), (key, item)
                assert item.sent or not requests, ("a draft request in a notification", key, item)
            if item.answer_word and item.answer_word in shown:
                assert answer_audience(cast, state, key, item), (key, item)


@pytest.mark.django_db
@settings(
    max_examples=15,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_nobody_reads_lists_finds_exports_or_is_emailed_a_post_they_may_not_see(cast, client, data):
    state = State(
        require_a=data.draw(st.booleans(), "require A"), city_signed=data.draw(st.booleans(), "city signed")
    )
    drawn = data.draw(st.lists(items(cast), min_size=1, max_size=5), "posts")
    mail.outbox.clear()
    try:
        with transaction.atomic():
            agreement_services.agreement_settings_update(
                actor=cast.world.coordinator,
                partnership=cast.partnerships["A"],
                require_confidentiality=state.require_a,
            )
            if state.city_signed:
                support.sign(cast.world.member, cast.agreement)
            made = [item for n, item in enumerate(drawn) if make_post(cast, item, n)]
            check_posts(cast, state, client, made)
            check_mail_and_notifications(cast, state, client, made)
            raise _Rollback
    except _Rollback:
        pass


def check_posts(cast: Cast, state: State, client, made: list[Item]) -> None:
    for key, user in cast.people.items():
        for p_key, partnership in cast.partnerships.items():
            base = f"/partnerships/{partnership.code}/exchange"
            mine = [item for item in made if item.partnership == p_key]
            expected = {item.code for item in mine if oracle(cast, state, key, item)}
            listed = api(client, user, f"{base}/posts?limit=500")
            if p_key not in cast.orgs[key]:
                assert listed.status_code == 404, (key, p_key)
                for item in mine:
                    assert api(client, user, f"{base}/posts/{item.code}").status_code == 404
                continue
            assert listed.status_code == 200
            assert codes(listed) == expected, (key, p_key, state)
            for item in mine:
                status = api(client, user, f"{base}/posts/{item.code}").status_code
                assert status == (200 if item.code in expected else 404), (key, item, state)
            found = api(client, user, f"{base}/search?q={SHARED}&limit=100")
            assert found.status_code == 200
            assert {hit["code"] for hit in found.json()["items"] if hit["kind"] == "post"} == expected
            for item in mine:
                hits = api(client, user, f"{base}/search?q={item.word}").json()["items"]
                assert bool(hits) == (item.code in expected), (key, item)
            exported = api(client, user, f"{base}/exports/posts")
            assert exported.status_code == 200
            exportable = {
                item.code for item in mine if item.code in expected and item.label not in NOT_EXPORTABLE
            }
            assert codes(exported) == exportable, (key, p_key)


@pytest.mark.django_db
@settings(
    max_examples=10,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_nobody_reads_lists_finds_or_is_emailed_a_request_or_answer_they_may_not_see(cast, client, data):
    state = State(
        require_a=data.draw(st.booleans(), "require A"), city_signed=data.draw(st.booleans(), "city signed")
    )
    drawn = data.draw(st.lists(items(cast), min_size=1, max_size=3), "requests")
    mail.outbox.clear()
    try:
        with transaction.atomic():
            agreement_services.agreement_settings_update(
                actor=cast.world.coordinator,
                partnership=cast.partnerships["A"],
                require_confidentiality=state.require_a,
            )
            if state.city_signed:
                support.sign(cast.world.member, cast.agreement)
            made, answers = [], {}
            for n, item in enumerate(drawn):
                ok, answer_code = make_request(cast, item, n)
                if ok:
                    made.append(item)
                    if answer_code:
                        answers[item.code] = answer_code
            check_requests(cast, state, client, made, answers)
            check_mail_and_notifications(cast, state, client, made, requests=True)
            raise _Rollback
    except _Rollback:
        pass


def answer_audience(cast: Cast, state: State, person: str, item: Item) -> bool:
    """An answer is read by the requesting and the answering organisation (RED: the requester in person and
    the answerer), within what the request's label and the gate allow them."""
    answerer = item.answerer
    org = cast.orgs[person].get(item.partnership)
    if org is None or not passes_gate(cast, state, person, item.partnership):
        return False
    if person in (item.author, answerer):
        return True
    if item.label == TLP.RED:
        return False
    return org in {cast.orgs[item.author][item.partnership], cast.orgs[answerer][item.partnership]}


def check_requests(cast: Cast, state: State, client, made: list[Item], answers: dict) -> None:
    for key, user in cast.people.items():
        for p_key, partnership in cast.partnerships.items():
            base = f"/partnerships/{partnership.code}/exchange"
            mine = [item for item in made if item.partnership == p_key]
            listed = api(client, user, f"{base}/requests?limit=500")
            if p_key not in cast.orgs[key]:
                assert listed.status_code == 404
                for item in mine:
                    assert api(client, user, f"{base}/requests/{item.code}").status_code == 404
                continue
            request_items = []
            for item in mine:
                # Who may see a request: its label with the requesting and addressed organisations as recipients;
                # a draft only the requesting organisation and the coordinators.
                visible = oracle(cast, state, key, item)
                if not item.sent:
                    same_org = cast.orgs[key][p_key] == cast.orgs[item.author][p_key]
                    visible = visible and (same_org or key in cast.coordinators[p_key])
                request_items.append((item, visible))
            expected = {item.code for item, visible in request_items if visible}
            assert listed.status_code == 200
            assert codes(listed) == expected, (key, p_key, state)
            for item, visible in request_items:
                response = api(client, user, f"{base}/requests/{item.code}")
                assert response.status_code == (200 if visible else 404), (key, item, state)
                if visible and item.code in answers and item.answerer:
                    shown = {a["code"] for a in response.json().get("answers", [])}
                    may = answer_audience(cast, state, key, item)
                    assert (answers[item.code] in shown) == may, (key, item, state)
            found = api(client, user, f"{base}/search?q={SHARED}&kind=request&limit=100")
            # Search finds requests once they went out; drafts only on the requests list.
            assert {hit["code"] for hit in found.json()["items"]} == {
                item.code for item, visible in request_items if visible and item.sent
            }
            for item in mine:
                # The answer text is never searchable, whoever asks.
                if item.answer_word:
                    assert not api(client, user, f"{base}/search?q={item.answer_word}").json()["items"]


def test_the_oracle_is_the_rule_as_written():
    """A few hand-checked cases of the oracle itself, so the property tests stand on a rule we can read."""
    fake = Cast(
        world=None,
        people={},
        orgs={"a": {"A": "police"}, "b": {"A": "city"}, "c": {"A": "shop"}, "o": {}},
        partnerships={},
        organisations={},
        writers={},
    )
    off, on = State(False, False), State(True, False)
    amber = Item("A", "a", TLP.AMBER, ["city"], [], "w")
    red = Item("A", "a", TLP.RED, [], ["c"], "w")
    assert oracle(fake, off, "b", amber) and not oracle(fake, off, "c", amber)
    assert oracle(fake, off, "c", red) and not oracle(fake, off, "b", red)
    assert not oracle(fake, on, "b", amber)  # the city has not signed
    assert oracle(fake, on, "a", amber)  # the police signed
    assert oracle(fake, off, "o", Item("A", "a", TLP.CLEAR, [], [], "w"))
    assert not oracle(fake, off, "o", Item("A", "a", TLP.GREEN, [], [], "w"))
