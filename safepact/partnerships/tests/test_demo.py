"""``manage.py demo``: realistic, built through the services, idempotent, refused in production."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.http import Http404

from safepact.accounts.models import Organisation, OrganisationKind, OrganisationMembership, User
from safepact.audit.chain import verify
from safepact.audit.models import AuditEvent
from safepact.partnerships.management.commands.demo import (
    DEMO_PASSWORD,
    EXPIRED_INVITEE,
    PARTNERSHIPS,
    PENDING_INVITEE,
    PEOPLE,
)
from safepact.partnerships.models import Invitation, Membership, Partner, Partnership, PartnerStatus, Role
from safepact.partnerships.selectors import get_partnership_for_user, partnerships_for
from safepact.partnerships.services import member_set_role, partnership_update

MODELS = (
    User,
    Organisation,
    OrganisationMembership,
    Partnership,
    Partner,
    Membership,
    Invitation,
    AuditEvent,
)


@pytest.fixture
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_demo(*args) -> str:
    out = StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def state() -> list[tuple]:
    """Everything a second run could plausibly change, as comparable tuples."""
    return [
        *Partnership.objects.values_list("name", "status", "listing").order_by("name"),
        *Partner.objects.values_list("partnership__name", "organisation__name", "status").order_by("pk"),
        *Membership.objects.values_list(
            "partner__partnership__name", "user__email", "role", "status"
        ).order_by("pk"),
        *Invitation.objects.values_list("email", "accepted_at", "revoked_at", "expires_at").order_by("pk"),
        *User.objects.values_list("email", "password").order_by("pk"),
    ]


def person(key: str) -> User:
    return User.objects.get(email=PEOPLE[key][0])


def partnership(key: str) -> Partnership:
    return Partnership.objects.get(name=PARTNERSHIPS[key]["name"])


@pytest.mark.django_db
def test_running_twice_changes_nothing(fast_passwords):
    first_output = run_demo()
    assert "Demo data loaded" in first_output
    before_counts, before_state = counts(), state()

    second_output = run_demo()

    assert counts() == before_counts
    assert state() == before_state
    assert "already loaded: nothing changed" in second_output
    assert all(count > 0 for count in before_counts.values())


@pytest.mark.django_db
def test_running_again_keeps_changes_made_by_hand(fast_passwords):
    run_demo()
    partnership_update(
        actor=person("karin"), partnership=partnership("sofielund"), status="under_review", reason="By hand."
    )
    member_set_role(
        actor=person("karin"),
        membership=Membership.objects.get(
            user=person("anders"), partner__partnership=partnership("sofielund")
        ),
        role=Role.MEMBER,
        reason="By hand.",
    )
    before = counts()

    run_demo()

    assert counts() == before
    assert partnership("sofielund").status == "under_review"
    assert (
        Membership.objects.get(user=person("anders"), partner__partnership=partnership("sofielund")).role
        == "member"
    )


@pytest.mark.django_db
def test_every_chain_verifies_and_reads_forward_in_time(fast_passwords):
    run_demo()
    events = list(AuditEvent.objects.all())

    assert verify(event.chain_fields() for event in events) == []
    # One chain per partnership plus the platform chain, each in time order.
    assert {e.chain for e in events} == {"platform", *(str(p.code) for p in Partnership.objects.all())}
    for chain in {e.chain for e in events}:
        times = [e.occurred_at for e in sorted((e for e in events if e.chain == chain), key=lambda e: e.seq)]
        assert times == sorted(times)


@pytest.mark.django_db
def test_the_audit_trail_records_how_the_demo_was_built(fast_passwords):
    run_demo()
    actions = set(AuditEvent.objects.values_list("action", flat=True))

    assert {
        "accounts.user.created",
        "accounts.organisation.created",
        "accounts.organisation_membership.created",
        "partnerships.partnership.created",
        "partnerships.partnership.updated",
        "partnerships.invitation.sent",
        "partnerships.invitation.accepted",
        "partnerships.member.role_changed",
        "partnerships.member.status_changed",
        "partnerships.partner.added",
        "partnerships.partner.status_changed",
    } <= actions


@pytest.mark.django_db
def test_content_covers_every_kind_role_and_state(fast_passwords):
    run_demo()

    assert Partnership.objects.values("country").distinct().count() >= 2
    assert Organisation.objects.count() >= 12
    assert set(Organisation.objects.values_list("kind", flat=True)) == set(OrganisationKind.values)
    assert Organisation.objects.filter(kind="business", member_of__kind="umbrella").exists()
    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    assert Membership.objects.filter(status="suspended").exists()
    assert Partner.objects.filter(status=PartnerStatus.CANDIDATE).exists()
    assert OrganisationMembership.objects.filter(is_law_enforcement_officer=True).exists()
    assert OrganisationMembership.objects.filter(is_authorised_signatory=True).exists()
    # Johan Berg belongs to the property owners' association and to the housing company.
    assert OrganisationMembership.objects.filter(user=person("johan")).count() == 2
    assert Invitation.objects.get(email=PENDING_INVITEE).state == "pending"
    assert Invitation.objects.get(email=EXPIRED_INVITEE).state == "expired"
    assert partnership("piraeus").status == "under_review"


@pytest.mark.django_db
def test_demo_accounts_log_in_with_the_shared_password(fast_passwords, rf):
    run_demo()

    for email, _name, _language in PEOPLE.values():
        assert authenticate(rf.post("/account/login/"), username=email, password=DEMO_PASSWORD) is not None, (
            email
        )


@pytest.mark.django_db
def test_a_member_of_one_partnership_sees_only_that_one(fast_passwords):
    run_demo()

    assert list(partnerships_for(person("karin"))) == [partnership("sofielund")]
    assert set(partnerships_for(person("anders"))) == {partnership("sofielund"), partnership("boats")}
    # A suspended member sees nothing; the viewer of one partnership cannot write there.
    assert not partnerships_for(person("sara")).exists()
    with pytest.raises(Http404):
        get_partnership_for_user(person("karin"), partnership("dehurk").code)
    with pytest.raises(PermissionDenied):
        get_partnership_for_user(person("emma"), partnership("sofielund").code, write=True)


@pytest.mark.django_db
def test_refuses_to_run_in_production(settings, fast_passwords):
    settings.PRODUCTION = True

    with pytest.raises(CommandError, match="production"):
        run_demo()

    assert counts() == dict.fromkeys(counts(), 0)


@pytest.mark.django_db
def test_force_loads_it_in_production(settings, fast_passwords):
    settings.PRODUCTION = True

    run_demo("--force")

    assert Partnership.objects.count() == len(PARTNERSHIPS)


@pytest.mark.django_db
def test_another_password_can_be_chosen(fast_passwords):
    output = run_demo("--password", "another-demo-password")

    assert person("karin").check_password("another-demo-password")
    assert "another-demo-password" not in output
