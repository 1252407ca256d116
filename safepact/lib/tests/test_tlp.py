"""TLP 2.0: labels, the pure rule, and ``may_see``/``visible_to`` against every role and recipient situation."""

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.template import Context, Template

from conftest import add_member, make_user
from safepact.lib.tests.tlpdemo.models import Note
from safepact.lib.tlp import TLP, TLPField, may_export, may_see_label
from safepact.partnerships import tlp as policy
from safepact.partnerships.services import member_set_status, partner_set_status

LABELS = list(TLP)
ROLES = [
    "coordinator",
    "member",
    "viewer",
    "outsider",
    "suspended_member",
    "member_of_suspended_partner",
    "member_of_b",
]
ACTIVE_IN_A = {"coordinator", "member", "viewer"}


def expected(label, *, active: bool, author: bool, org_recipient: bool, named: bool) -> bool:
    """The rule written out independently of the code under test."""
    if label == TLP.CLEAR:
        return True
    if not active:
        return False
    if author:
        return True
    return {
        TLP.GREEN: True,
        TLP.AMBER: org_recipient,
        TLP.AMBER_STRICT: org_recipient,
        TLP.RED: named,
    }[label]


# --- labels, field, pure rule, badge ---------------------------------------------------------


def test_labels_values_and_descriptions():
    assert [t.value for t in TLP] == ["clear", "green", "amber", "amber+strict", "red"]
    assert str(TLP.AMBER_STRICT.label) == "TLP:AMBER+STRICT"
    for label in TLP:
        assert str(label.description)
    assert TLP.AMBER_STRICT.css_class == "tlp-amber-strict"


def test_may_export():
    assert [may_export(t) for t in TLP] == [True, True, True, False, False]
    assert may_export("amber+strict") is False


def test_field_defaults_to_green_and_keeps_migrations_quiet():
    field = TLPField()
    assert field.default == TLP.GREEN
    _name, _path, _args, kwargs = field.deconstruct()
    assert kwargs == {}
    _name, _path, _args, kwargs = TLPField(default=TLP.AMBER).deconstruct()
    assert kwargs == {"default": TLP.AMBER}


@pytest.mark.parametrize(
    ("is_member", "is_author", "org", "named"), list(itertools.product([False, True], repeat=4))
)
@pytest.mark.parametrize("label", LABELS)
def test_pure_rule(label, is_member, is_author, org, named):
    got = may_see_label(
        label, is_author=is_author, is_member=is_member, org_is_recipient=org, is_named_recipient=named
    )
    assert got == expected(label, active=is_member, author=is_author, org_recipient=org, named=named)


def test_pure_rule_refuses_unknown_label():
    with pytest.raises(ValueError):
        may_see_label(
            "purple", is_author=True, is_member=True, org_is_recipient=True, is_named_recipient=True
        )


@pytest.mark.parametrize("label", LABELS)
def test_badge_renders_text_not_colour_only(label):
    html = Template("{% load tlp %}{% tlp_badge label describe=True %}").render(
        Context({"label": label.value})
    )
    assert f'class="tlp {label.css_class}"' in html
    assert str(label.label) in html  # the words, e.g. TLP:RED
    assert "tlp-description" in html


def test_badge_ignores_unknown_label():
    assert Template("{% load tlp %}{% tlp_badge 'purple' %}").render(Context()).strip() == ""


def test_database_refuses_unknown_label(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Note.objects.create(partnership=world.partnership_a, title="x", created_by=world.member, tlp="purple")


# --- the role table --------------------------------------------------------------------------


@pytest.fixture
def people(world):
    """Every role of the table, with the organisation each takes part through."""
    suspended = make_user("suspended@city.example", "Sam Suspended")
    m = add_member(
        coordinator=world.coordinator,
        partnership=world.partnership_a,
        user=suspended,
        role="member",
        organisation=world.org_city_a,
    )
    member_set_status(actor=world.coordinator, membership=m, status="suspended", reason="left the job")

    of_suspended_partner = make_user("person@suspendedpartner.example", "Pia Partner")
    m2 = add_member(
        coordinator=world.coordinator,
        partnership=world.partnership_a,
        user=of_suspended_partner,
        role="member",
        new_organisation={"name": "Suspended BV", "kind": "business", "country": "SE"},
    )
    partner_set_status(
        actor=world.coordinator, partner=m2.partner, status="suspended", reason="audit pending"
    )
    return {
        "coordinator": (world.coordinator, world.org_police_a),
        "member": (world.member, world.org_city_a),
        "viewer": (world.viewer, world.org_shop_a),
        "outsider": (world.outsider, world.org_outsider),
        "suspended_member": (suspended, world.org_city_a),
        "member_of_suspended_partner": (of_suspended_partner, m2.partner.organisation),
        "member_of_b": (world.coordinator_b, world.org_b),
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_label_role_and_recipient_situation(world, people, role):
    user, organisation = people[role]
    other_author = world.coordinator if role != "coordinator" else world.member
    cases = []
    for label, org_recipient, named, author in itertools.product(
        LABELS, [False, True], [False, True], [False, True]
    ):
        note = Note.objects.create(
            partnership=world.partnership_a,
            title=f"{label.value} org={org_recipient} named={named} author={author}",
            tlp=label,
            created_by=user if author else other_author,
        )
        # Always some other recipient, so "not a recipient" is never "nobody is".
        note.recipient_organisations.add(
            world.org_shop_a if organisation != world.org_shop_a else world.org_city_a
        )
        note.recipient_people.add(other_author)
        if org_recipient:
            note.recipient_organisations.add(organisation)
        if named:
            note.recipient_people.add(user)
        want = expected(
            label, active=role in ACTIVE_IN_A, author=author, org_recipient=org_recipient, named=named
        )
        cases.append((note, want))

    visible = set(policy.visible_to(user, Note.objects.all()).values_list("pk", flat=True))
    assert len(visible) == policy.visible_to(user, Note.objects.all()).count()  # no duplicate rows
    for note, want in cases:
        assert policy.may_see(user, note) is want, note.title
        assert (note.pk in visible) is want, note.title


def test_anonymous_sees_clear_only(world):
    notes = {
        label: Note.objects.create(
            partnership=world.partnership_a, title=label, tlp=label, created_by=world.member
        )
        for label in TLP
    }
    anonymous = AnonymousUser()
    assert list(policy.visible_to(anonymous, Note.objects.all())) == [notes[TLP.CLEAR]]
    assert [policy.may_see(anonymous, n) for n in notes.values()] == [True, False, False, False, False]


def test_recipient_organisation_counts_only_in_the_items_own_partnership(world):
    """Member of A through the city and of B through the shop: an AMBER note of A for the shop is not theirs."""
    from safepact.partnerships.models import Partner

    both = make_user("both@city.example", "Bo Both")
    add_member(
        coordinator=world.coordinator,
        partnership=world.partnership_a,
        user=both,
        role="member",
        organisation=world.org_city_a,
    )
    Partner.objects.create(partnership=world.partnership_b, organisation=world.org_shop_a, status="active")
    add_member(
        coordinator=world.coordinator_b,
        partnership=world.partnership_b,
        user=both,
        role="member",
        organisation=world.org_shop_a,
    )
    note = Note.objects.create(
        partnership=world.partnership_a, title="for the shop", tlp="amber", created_by=world.coordinator
    )
    note.recipient_organisations.add(world.org_shop_a)
    assert policy.may_see(both, note) is False
    assert not policy.visible_to(both, Note.objects.all()).exists()
    assert policy.may_see(world.viewer, note) is True  # takes part in A through the shop


def test_author_who_left_loses_access(world):
    note = Note.objects.create(
        partnership=world.partnership_a, title="mine", tlp="red", created_by=world.member
    )
    assert policy.may_see(world.member, note)
    member_set_status(
        actor=world.coordinator, membership=world.membership_member, status="suspended", reason="left"
    )
    assert not policy.may_see(world.member, note)
    assert not policy.visible_to(world.member, Note.objects.all()).exists()


def test_visible_to_keeps_other_filters_and_ordering(world):
    for i, label in enumerate(["green", "green", "red", "clear"]):
        Note.objects.create(
            partnership=world.partnership_a, title=f"n{i}", tlp=label, created_by=world.coordinator
        )
    qs = policy.visible_to(world.member, Note.objects.filter(title__in=["n0", "n1", "n2"]).order_by("-title"))
    assert [n.title for n in qs] == ["n1", "n0"]


def test_visible_to_is_query_constant(world, django_assert_num_queries):
    def make(n):
        for i in range(n):
            note = Note.objects.create(
                partnership=world.partnership_a,
                title=f"q{i}",
                tlp=LABELS[i % 5],
                created_by=world.coordinator,
            )
            note.recipient_organisations.add(world.org_city_a, world.org_shop_a)
            note.recipient_people.add(world.member, world.viewer)

    make(5)
    with django_assert_num_queries(1):
        few = list(policy.visible_to(world.member, Note.objects.all()))
    make(40)
    with django_assert_num_queries(1):
        many = list(policy.visible_to(world.member, Note.objects.all()))
    assert len(many) > len(few)
    assert len(many) == len({n.pk for n in many})


# --- confidentiality gates -------------------------------------------------------------------


def test_gates_narrow_restricted_items_only(world, monkeypatch, django_assert_num_queries):
    def no_secrets(user, queryset):
        return queryset.exclude(title__startswith="secret")

    monkeypatch.setattr(policy, "GATES", [])
    policy.register_gate(no_secrets)
    policy.register_gate(no_secrets)  # idempotent
    assert [no_secrets] == policy.GATES

    notes = {}
    for label in TLP:
        for title in ("secret", "plain"):
            note = Note.objects.create(
                partnership=world.partnership_a,
                title=f"{title} {label.value}",
                tlp=label,
                created_by=world.member,
            )
            notes[note.title] = note
    with django_assert_num_queries(1):
        visible = {n.title for n in policy.visible_to(world.member, Note.objects.all())}
    assert visible == {
        "secret clear",
        "plain clear",
        "secret green",
        "plain green",
        "plain amber",
        "plain amber+strict",
        "plain red",
    }
    for title, note in notes.items():
        assert policy.may_see(world.member, note) is (title in visible), title


def test_gate_cannot_widen_beyond_the_rule(world, monkeypatch):
    monkeypatch.setattr(policy, "GATES", [lambda user, queryset: Note.objects.all()])
    note = Note.objects.create(
        partnership=world.partnership_a, title="red", tlp="red", created_by=world.coordinator
    )
    assert not policy.may_see(world.member, note)
    assert not policy.visible_to(world.member, Note.objects.all()).exists()


def test_a_gate_with_a_condition_is_inlined_and_still_only_narrows(
    world, monkeypatch, django_assert_num_queries
):
    from django.db.models import Q

    def no_secrets(user, queryset):
        return queryset.filter(no_secrets.condition(user))

    no_secrets.condition = lambda user: ~Q(title__startswith="secret")

    def widen(user, queryset):  # a misbehaving queryset gate next to it cannot add anything
        return Note.objects.all()

    monkeypatch.setattr(policy, "GATES", [no_secrets, widen])
    for label in TLP:
        for title in ("secret", "plain"):
            Note.objects.create(
                partnership=world.partnership_a,
                title=f"{title} {label.value}",
                tlp=label,
                created_by=world.member,
            )
    Note.objects.create(
        partnership=world.partnership_b, title="plain other", tlp="amber", created_by=world.coordinator_b
    )
    with django_assert_num_queries(1):
        visible = {n.title for n in policy.visible_to(world.member, Note.objects.all())}
    assert visible == {
        "secret clear",
        "plain clear",
        "secret green",
        "plain green",
        "plain amber",
        "plain amber+strict",
        "plain red",
    }
    monkeypatch.setattr(policy, "GATES", [no_secrets])
    with django_assert_num_queries(1):
        assert {n.title for n in policy.visible_to(world.member, Note.objects.all())} == visible
