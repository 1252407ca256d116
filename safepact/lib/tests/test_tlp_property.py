"""Property test: for random partnerships, organisations, people, labels and recipients,
``may_see`` == membership of ``visible_to`` == the pure rule applied to facts computed here."""

import itertools
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from safepact.accounts.models import Organisation, User
from safepact.lib.tests.tlpdemo.models import Note
from safepact.lib.tlp import TLP, may_see_label
from safepact.partnerships import tlp as policy
from safepact.partnerships.models import Membership, Partner, Partnership

N_PARTNERSHIPS, N_ORGS, N_PEOPLE = 2, 3, 4


@dataclass(frozen=True)
class Scenario:
    partners: dict  # (partnership, org) -> "active" | "suspended"
    memberships: dict  # (person, partnership) -> (org, "active" | "suspended", role)
    people_active: tuple  # person -> user.is_active
    notes: tuple  # (partnership, label, author, frozenset(orgs), frozenset(people))


@st.composite
def scenarios(draw):
    # Weighted towards active rows, so the interesting cases (several memberships) come up often.
    partners = {}
    for key in itertools.product(range(N_PARTNERSHIPS), range(N_ORGS)):
        status = draw(st.sampled_from(["active", "active", "active", "suspended", None]))
        if status:
            partners[key] = status
    memberships = {}
    for person in range(N_PEOPLE):
        for partnership in range(N_PARTNERSHIPS):
            orgs = [org for (p, org) in partners if p == partnership]
            if orgs and draw(st.sampled_from([True, True, False])):
                memberships[(person, partnership)] = (
                    draw(st.sampled_from(sorted(orgs))),
                    draw(st.sampled_from(["active", "active", "active", "suspended"])),
                    draw(st.sampled_from(["coordinator", "member", "viewer"])),
                )
    people_active = tuple(
        draw(
            st.lists(st.booleans(), min_size=N_PEOPLE, max_size=N_PEOPLE).map(
                lambda flags: [f or i == 0 for i, f in enumerate(flags)]  # mostly active people
            )
        )
    )
    notes = draw(
        st.lists(
            st.tuples(
                st.integers(0, N_PARTNERSHIPS - 1),
                st.sampled_from(list(TLP)),
                st.integers(0, N_PEOPLE - 1),
                st.frozensets(st.integers(0, N_ORGS - 1), max_size=3),
                st.frozensets(st.integers(0, N_PEOPLE - 1), max_size=3),
            ),
            min_size=2,
            max_size=8,
        )
    )
    return Scenario(partners, memberships, people_active, tuple(notes))


def facts(scenario: Scenario, person: int | None, note) -> dict:
    """The inputs of the pure rule, computed from the scenario alone (not from the database)."""
    partnership, _label, author, orgs, people = note
    through = scenario.memberships.get((person, partnership)) if person is not None else None
    active = (
        through is not None
        and scenario.people_active[person]
        and through[1] == "active"
        and scenario.partners.get((partnership, through[0])) == "active"
    )
    return {
        "is_member": active,
        "is_author": author == person,
        "org_is_recipient": active and through[0] in orgs,
        "is_named_recipient": person in people,
    }


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=scenarios())
@example(  # person 0 takes part in P0 through O0 and in P1 through O1; an AMBER note of P0 is for O1
    scenario=Scenario(
        partners={(0, 0): "active", (0, 1): "active", (1, 1): "active"},
        memberships={(0, 0): (0, "active", "member"), (0, 1): (1, "active", "member")},
        people_active=(True,) * N_PEOPLE,
        notes=(
            (0, TLP.AMBER, 1, frozenset({1}), frozenset()),
            (0, TLP.RED, 1, frozenset({0}), frozenset({2})),
        ),
    )
)
def test_may_see_equals_visible_to_equals_rule(db, scenario):
    with transaction.atomic():
        partnerships = [
            Partnership.objects.create(name=f"P{i}", purpose="x", country="NL") for i in range(N_PARTNERSHIPS)
        ]
        orgs = [
            Organisation.objects.create(name=f"O{i}", kind="business", country="NL") for i in range(N_ORGS)
        ]
        users = [
            User.objects.create_user(
                f"p{i}@example.org", full_name=f"P{i}", is_active=scenario.people_active[i]
            )
            for i in range(N_PEOPLE)
        ]
        partner_rows = {
            key: Partner.objects.create(
                partnership=partnerships[key[0]], organisation=orgs[key[1]], status=status
            )
            for key, status in scenario.partners.items()
        }
        for (person, partnership), (org, status, role) in scenario.memberships.items():
            Membership.objects.create(
                partner=partner_rows[(partnership, org)], user=users[person], status=status, role=role
            )
        notes = []
        for spec in scenario.notes:
            partnership, label, author, note_orgs, note_people = spec
            note = Note.objects.create(
                partnership=partnerships[partnership], title="n", tlp=label, created_by=users[author]
            )
            note.recipient_organisations.set([orgs[i] for i in note_orgs])
            note.recipient_people.set([users[i] for i in note_people])
            notes.append((note, spec))

        viewers = [(i, u) for i, u in enumerate(users)] + [(None, AnonymousUser())]
        for person, user in viewers:
            visible = list(policy.visible_to(user, Note.objects.all()).values_list("pk", flat=True))
            assert len(visible) == len(set(visible))
            for note, spec in notes:
                rule = may_see_label(spec[1], **facts(scenario, person, spec))
                assert policy.may_see(user, note) is rule, (person, spec)
                assert (note.pk in visible) is rule, (person, spec)
        transaction.set_rollback(True)
