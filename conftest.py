"""Shared fixtures: the same personas everywhere (coordinator, member, viewer, outsider).

Partnership A ("Sofielund", SE) holds coordinator, member and viewer; partnership B
("Veilig Ondernemen Parkstad", NL) has its own coordinator. The outsider belongs to
an organisation that is in no partnership of theirs.
"""

from dataclasses import dataclass

import pytest
from django.db import connections

from safepact.audit import triggers

PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - test personas only


@dataclass
class World:
    partnership_a: object
    partnership_b: object
    org_police_a: object
    org_city_a: object
    org_shop_a: object
    org_b: object
    org_outsider: object
    coordinator: object
    member: object
    viewer: object
    outsider: object
    coordinator_b: object
    membership_member: object
    membership_viewer: object


def make_user(email, name="", password=PASSWORD, **extra):
    from django.db import transaction

    from safepact.accounts.services import user_create

    with transaction.atomic():
        return user_create(
            email=email, full_name=name or email.split("@")[0].title(), password=password, **extra
        )


def make_org(actor, name, kind="business", country="SE", **extra):
    from safepact.accounts.services import organisation_create

    return organisation_create(actor=actor, name=name, kind=kind, country=country, **extra)


def add_member(*, coordinator, partnership, user, role, organisation=None, new_organisation=None):
    """Invite and accept: the real path a person becomes a member."""
    from safepact.partnerships.services import invitation_accept, invitation_create

    _invitation, token = invitation_create(
        actor=coordinator,
        partnership=partnership,
        email=user.email,
        role=role,
        organisation=organisation,
        new_organisation=new_organisation,
    )
    return invitation_accept(user=user, token=token)


@pytest.fixture
def world(db) -> World:
    from safepact.partnerships.services import partnership_create

    coordinator = make_user("coordinator@polisen.example", "Cora Coordinator")
    member = make_user("member@city.example", "Mats Member")
    viewer = make_user("viewer@shop.example", "Vera Viewer")
    outsider = make_user("outsider@elsewhere.example", "Otto Outsider")
    coordinator_b = make_user("coordinator@gemeente.example", "Bram Coordinator")

    org_police_a = make_org(coordinator, "Polisen Malmö", "law_enforcement", "SE")
    org_b = make_org(coordinator_b, "Gemeente Parkstad", "municipality", "NL")
    org_outsider = make_org(outsider, "Elsewhere BV", "business", "NL")

    a = partnership_create(
        actor=coordinator,
        organisation=org_police_a,
        name="Sofielund safety partnership",
        purpose="A safe and attractive Sofielund.",
        country="SE",
        crime_areas=["burglary", "nuisance"],
        region="Skåne",
        municipality="Malmö",
    )
    b = partnership_create(
        actor=coordinator_b,
        organisation=org_b,
        name="Veilig Ondernemen Parkstad",
        purpose="Safe business parks.",
        country="NL",
        crime_areas=["retail", "burglary"],
    )
    m_member = add_member(
        coordinator=coordinator,
        partnership=a,
        user=member,
        role="member",
        new_organisation={"name": "Malmö stad", "kind": "municipality", "country": "SE"},
    )
    m_viewer = add_member(
        coordinator=coordinator,
        partnership=a,
        user=viewer,
        role="viewer",
        new_organisation={"name": "Sofielund Fastighetsägare", "kind": "business", "country": "SE"},
    )
    org_city_a, org_shop_a = m_member.partner.organisation, m_viewer.partner.organisation
    return World(
        partnership_a=a,
        partnership_b=b,
        org_police_a=org_police_a,
        org_city_a=org_city_a,
        org_shop_a=org_shop_a,
        org_b=org_b,
        org_outsider=org_outsider,
        coordinator=coordinator,
        member=member,
        viewer=viewer,
        outsider=outsider,
        coordinator_b=coordinator_b,
        membership_member=m_member,
        membership_viewer=m_viewer,
    )


@pytest.fixture
def client_for(client):
    """Log a persona in on the test client: ``client_for(world.member)``."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Argon2 is deliberately slow; tests that are not about hashing use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language and leaves it there. A request by a Dutch-speaking person
    (the test client runs it in this thread) activates Dutch for the thread, and it would otherwise stay on
    for whichever test the worker runs next."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _audit_triggers(request):
    """Keep the append-only triggers in place for every test.

    Transactional tests end with a flush (DELETE on SQLite, TRUNCATE on PostgreSQL), which the
    triggers rightly refuse; we lift them only for that teardown and put them back afterwards.
    """
    names = set(request.fixturenames)
    if not names & {
        "db",
        "transactional_db",
        "live_server",
        "django_db_setup",
    } and not request.node.get_closest_marker("django_db"):
        yield
        return
    transactional = bool(names & {"transactional_db", "live_server"}) or (
        (marker := request.node.get_closest_marker("django_db")) is not None
        and marker.kwargs.get("transaction")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    for alias in connections:
        triggers.install(connections[alias])
    yield
    if transactional:
        for alias in connections:
            triggers.remove(connections[alias])


@pytest.fixture
def run_tasks(db):
    """Run every queued background task now, in this test: ``run_tasks()`` returns the results (rows of
    the django-tasks-db queue) and raises ``TaskFailed`` with the traceback when a task failed."""
    from safepact.lib.scheduler import run_queued_tasks

    def run():
        return run_queued_tasks(raise_errors=True)

    return run
