"""``manage.py demo``: realistic, built through the services, idempotent, refused in production.

The formation part (``safepact/formation/services/demo.py``, registered through ``hooks.register_demo``)
is checked here too: tests may import every app, the demo command itself imports none above floor 2.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.http import Http404

from safepact.accounts.models import Organisation, OrganisationKind, OrganisationMembership, User
from safepact.audit.chain import verify
from safepact.audit.models import AuditEvent
from safepact.formation.models import (
    AustinInput,
    AustinProfile,
    Body,
    BriefingShare,
    Candidate,
    CandidateMove,
    ClaimedStepDecision,
    Commitment,
    DirectoryProfile,
    DueDiligenceAssessment,
    ImpartialityDismissal,
    Objective,
    PartnerMotivation,
    ProblemFigure,
    ProblemStatement,
    Seat,
    Task,
    TaskAssignment,
)
from safepact.formation.selectors.claimed import claimed_journey
from safepact.formation.selectors.diligence import needs_approval
from safepact.formation.selectors.objectives import alignment_matrix
from safepact.formation.selectors.pipeline import impartiality_split, impartiality_warnings, suggestion_list
from safepact.formation.selectors.problem import briefing_may_show
from safepact.formation.services.objectives import objective_delete
from safepact.lib import clock
from safepact.partnerships import hooks
from safepact.partnerships.management.commands.demo import (
    DEMO_PASSWORD,
    EXPIRED_INVITEE,
    PARTNERSHIPS,
    PENDING_INVITEE,
    PEOPLE,
    Demo,
)
from safepact.partnerships.models import Invitation, Membership, Partner, Partnership, PartnerStatus, Role
from safepact.partnerships.selectors import active_memberships, get_partnership_for_user, partnerships_for
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
    # Formation
    DirectoryProfile,
    ProblemStatement,
    ProblemFigure,
    BriefingShare,
    Candidate,
    CandidateMove,
    DueDiligenceAssessment,
    ImpartialityDismissal,
    Objective,
    PartnerMotivation,
    Commitment,
    AustinProfile,
    AustinInput,
    Body,
    Seat,
    Task,
    TaskAssignment,
    ClaimedStepDecision,
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
        *DirectoryProfile.objects.values_list("organisation__name", "published", "summary").order_by("pk"),
        *ProblemStatement.objects.values_list("partnership__name", "tlp", "nature", "causes").order_by("pk"),
        *Candidate.objects.values_list("partnership__name", "organisation__name", "stage").order_by("pk"),
        *DueDiligenceAssessment.objects.values_list(
            "candidate__organisation__name", "tier", "decision", "approved_by", "reassess_on"
        ).order_by("pk"),
        *Objective.objects.values_list("partnership__name", "title", "priority", "status").order_by("pk"),
        *Commitment.objects.values_list("objective__title", "partner__organisation__name", "note").order_by(
            "pk"
        ),
        *AustinProfile.objects.values_list("partnership__name", "declared_stage", "scores").order_by("pk"),
        *Seat.objects.values_list("body__name", "partner__organisation__name", "hours_per_month").order_by(
            "pk"
        ),
        *TaskAssignment.objects.values_list("task__title", "partner__organisation__name", "raci").order_by(
            "pk"
        ),
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
        "formation.directory_profile.saved",
        "formation.directory_profile.published",
        "formation.problem.updated",
        "formation.problem_figure.added",
        "formation.briefing.sent",
        "formation.candidate.added",
        "formation.candidate.moved",
        "formation.impartiality.dismissed",
        "formation.due_diligence.started",
        "formation.due_diligence.answered",
        "formation.due_diligence.completed",
        "formation.due_diligence.decided",
        "formation.objective.created",
        "formation.motivation.updated",
        "formation.commitment.added",
        "formation.austin_profile.recorded",
        "formation.austin_input.given",
        "formation.body.created",
        "formation.seat.created",
        "formation.task.created",
        "formation.assignment.changed",
        "formation.claimed_step.not_applicable",
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


def test_scheduled_steps_run_in_time_order_with_the_story():
    demo = Demo(password=DEMO_PASSWORD, now=clock.now())
    ran = []
    demo.schedule(5, lambda: ran.append(("step", 5, clock.now())))
    demo.schedule(10, lambda: ran.append(("step", 10, clock.now())))
    demo.schedule(1, lambda: ran.append(("step", 1, clock.now())))

    with demo.at(7):
        ran.append(("story", 7, clock.now()))
    demo._run_scheduled()

    assert [(kind, days) for kind, days, _when in ran] == [
        ("step", 10),
        ("story", 7),
        ("step", 5),
        ("step", 1),
    ]
    assert all(when == demo.now - timedelta(days=days) for _kind, days, when in ran)


def test_a_scheduled_step_cannot_move_the_clock_back():
    demo = Demo(password=DEMO_PASSWORD, now=clock.now())

    def back_in_time():
        with demo.at(20):
            pass

    demo.schedule(10, back_in_time)
    with pytest.raises(RuntimeError, match="forward"):
        demo._run_scheduled()


def test_formation_registers_its_part_of_the_demo():
    from safepact.formation.services.demo import formation_demo

    assert formation_demo in hooks.demo_extensions()


def coordinated(key: str, who: str) -> Partnership:
    """The partnership as its coordinator ``who`` opens it (with the membership attached)."""
    return get_partnership_for_user(person(who), partnership(key).code, manage=True)


@pytest.mark.django_db
def test_sofielund_is_fully_formed(fast_passwords):
    run_demo()
    karin = person("karin")
    sofielund = coordinated("sofielund", "karin")

    assert [step.state for step in claimed_journey(user=karin, partnership=sofielund)] == ["done"] * 7
    statement = ProblemStatement.objects.get(partnership=sofielund)
    assert statement.tlp == "green" and statement.nature and statement.causes
    assert statement.figures.count() == 3
    assert all(figure.source and figure.as_of for figure in statement.figures.all())
    objectives = list(Objective.objects.filter(partnership=sofielund))
    assert [o.priority for o in objectives] == [1, 2, 3, 4]
    assert all(o.indicator and o.target_date for o in objectives)
    # Every active partner states its motives and commits; no alignment warning.
    alignment = alignment_matrix(user=karin, partnership=sofielund)
    assert len(alignment.rows) == 7
    assert all(row.stated and row.commitment_count for row in alignment.rows)
    assert alignment.warnings == []
    # Austin: from transactional towards integrative, with partners' input.
    stages = AustinProfile.objects.filter(partnership=sofielund).values_list("declared_stage", flat=True)
    assert list(stages) == ["transactional", "transactional", "integrative"]
    assert AustinInput.objects.filter(partnership=sofielund).values("partner").distinct().count() >= 3
    # Structure: board (chaired by the city, with the police and the owners), operational team, stakeholders.
    bodies = Body.objects.filter(partnership=sofielund)
    assert set(bodies.values_list("level", flat=True)) == {"board", "operational", "stakeholder"}
    board_seats = Seat.objects.filter(body__partnership=sofielund, body__level="board")
    assert board_seats.get(role_title="Chair").partner.organisation.name == "Malmö stad"
    assert {"Polisen Region Syd", "Fastighetsägare i Sofielund ek. för."} <= set(
        board_seats.values_list("partner__organisation__name", flat=True)
    )
    assert not Seat.objects.filter(body__partnership=sofielund, hours_per_month=0).exists()
    assignments = TaskAssignment.objects.filter(task__partnership=sofielund)
    assert set(assignments.values_list("raci", flat=True)) == {"R", "A", "C", "I"}
    # Its impartiality warnings are all dismissed, with reasons.
    open_warnings, dismissed = impartiality_split(impartiality_warnings(user=karin, partnership=sofielund))
    assert open_warnings == [] and dismissed and all(w.dismissal.reason for w in dismissed)


@pytest.mark.django_db
def test_de_hurk_is_partly_formed(fast_passwords):
    run_demo()
    sanne = person("sanne")
    dehurk = coordinated("dehurk", "sanne")

    candidates = Candidate.objects.filter(partnership=dehurk)
    assert set(candidates.values_list("stage", flat=True)) == {
        "identified",
        "assessing",
        "invited",
        "joined",
        "declined",
        "rejected",
    }
    assert candidates.filter(suggested=True).exclude(reasons=[]).exists()
    assessments = DueDiligenceAssessment.objects.filter(candidate__partnership=dehurk)
    assert assessments.filter(completed_at__isnull=True).exists()  # an incomplete due diligence
    pending = [a for a in assessments if needs_approval(a)]
    assert len(pending) == 1 and pending[0].decided_by == sanne
    assert set(assessments.exclude(tier="").values_list("tier", flat=True)) == {"low", "medium", "high"}
    assert assessments.get(candidate__stage="invited").tier == "medium"
    # Two coordinators, so the four-eyes approval can happen.
    coordinators = Membership.objects.filter(
        partner__partnership=dehurk, role=Role.COORDINATOR, status="active"
    )
    assert coordinators.count() == 2
    # Impartiality: a single security company while the security trade association is in the directory.
    open_warnings, dismissed = impartiality_split(impartiality_warnings(user=sanne, partnership=dehurk))
    umbrella = next(w for w in open_warnings if w.rule == "umbrella_exists")
    assert umbrella.organisation.name == "Kempen Beveiliging B.V."
    assert umbrella.alternative.name == "Branchevereniging Particuliere Beveiliging Nederland"
    assert len(dismissed) == 1 and dismissed[0].dismissal.reason
    # An objective nobody commits to.
    kinds = {w.kind for w in alignment_matrix(user=sanne, partnership=dehurk).warnings}
    assert "objective_uncommitted" in kinds
    # A TLP:AMBER statement for two partners, and a briefing the candidate can read.
    statement = ProblemStatement.objects.get(partnership=dehurk)
    assert statement.tlp == "amber" and statement.figures.count() == 3
    recipients = set(statement.recipient_organisations.values_list("name", flat=True))
    assert {"Gemeente Eindhoven", "Politie Eenheid Oost-Brabant"} <= recipients
    briefing = BriefingShare.objects.get(candidate__partnership=dehurk)
    assert briefing_may_show(statement, briefing.candidate.organisation_id)
    # Sanne's dashboard: the reassessment due within 30 days and the approval awaited.
    memberships = list(active_memberships(sanne).select_related("partner__partnership"))
    texts = [item.text for item in hooks.attention_for(user=sanne, memberships=memberships)[dehurk.pk]]
    assert any("Brabant Zonne-energie" in text and "Reassess" in text for text in texts)
    assert any("Recycling Kempen" in text and "second coordinator" in text for text in texts)


@pytest.mark.django_db
def test_boat_engines_partnership_is_transactional_and_empower_does_not_apply(fast_passwords):
    run_demo()
    boats = coordinated("boats", "anders")

    journey = {step.step: step for step in claimed_journey(user=person("anders"), partnership=boats)}
    assert journey["empower"].state == "not_applicable"
    assert ClaimedStepDecision.objects.get(partnership=boats, step="empower").reason
    assert AustinProfile.objects.filter(partnership=boats).last().declared_stage == "transactional"
    assert Body.objects.filter(partnership=boats).count() == 2
    assert Objective.objects.filter(partnership=boats).count() == 3
    assert not Objective.objects.filter(partnership=boats, commitments__isnull=True).exists()


@pytest.mark.django_db
def test_piraeus_has_more_objectives_than_its_focus_limit(fast_passwords):
    run_demo()
    piraeus = coordinated("piraeus", "eleni")

    warnings = alignment_matrix(user=person("eleni"), partnership=piraeus).warnings
    assert "over_focus_limit" in {w.kind for w in warnings}
    assert Objective.objects.filter(partnership=piraeus, status="active").count() == 6
    assert "follow-up" in ProblemStatement.objects.get(partnership=piraeus).causes
    # Sparse: nothing else is formed yet.
    assert not Body.objects.filter(partnership=piraeus).exists()
    assert not AustinProfile.objects.filter(partnership=piraeus).exists()
    assert not Candidate.objects.filter(partnership=piraeus).exists()


@pytest.mark.django_db
def test_the_directory_gives_suggestions_material(fast_passwords):
    run_demo()

    published = DirectoryProfile.objects.filter(published=True)
    assert published.count() >= 25
    outside = published.exclude(organisation__in=Partner.objects.values("organisation")).exclude(
        organisation__in=Candidate.objects.values("organisation")
    )
    assert set(outside.values_list("organisation__kind", flat=True)) >= {"umbrella", "ngo"}
    for key, who in (("sofielund", "karin"), ("boats", "anders"), ("dehurk", "sanne"), ("piraeus", "eleni")):
        assert suggestion_list(user=person(who), partnership=coordinated(key, who)), key
    dehurk = suggestion_list(user=person("sanne"), partnership=coordinated("dehurk", "sanne"))
    assert "Branchevereniging Particuliere Beveiliging Nederland" in {s.organisation.name for s in dehurk}


@pytest.mark.django_db
def test_running_again_keeps_formation_changes_made_by_hand(fast_passwords):
    run_demo()
    objective = Objective.objects.get(
        partnership=partnership("piraeus"), title="Graffiti removed within a week"
    )
    objective_delete(
        actor=person("eleni"), objective=objective, reason="Too many objectives: dropped by hand."
    )
    before = counts()

    run_demo()

    assert counts() == before
    assert not Objective.objects.filter(title="Graffiti removed within a week").exists()


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
