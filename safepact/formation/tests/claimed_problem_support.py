"""Helpers for the claimed and problem tests: rows created directly with the ORM."""

import secrets
from datetime import date, timedelta

from conftest import make_org
from safepact.accounts.models import hash_token
from safepact.formation.models import (
    Body,
    BriefingShare,
    Candidate,
    ProblemFigure,
    ProblemStatement,
    Seat,
    Task,
    TaskAssignment,
)
from safepact.lib import clock
from safepact.partnerships.models import Partner, PartnerStatus
from safepact.partnerships.services import partnership_create

API = "/api/v1"


def fresh_partnership(world, name="Fresh partnership"):
    """A partnership of the coordinator with one active partner (the police), nothing else."""
    return partnership_create(
        actor=world.coordinator,
        organisation=world.org_police_a,
        name=name,
        purpose="Fewer bicycle thefts.",
        country="SE",
    )


def active_partner(world, partnership, name="Second partner AB"):
    org = make_org(world.coordinator, name, "business", "SE")
    return Partner.objects.create(
        partnership=partnership, organisation=org, status=PartnerStatus.ACTIVE, joined_at=clock.now()
    )


def candidate(world, partnership, organisation=None, name="Candidate Lås AB", stage="identified"):
    organisation = organisation or make_org(world.coordinator, name, "business", "SE")
    return Candidate.objects.create(
        partnership=partnership, organisation=organisation, added_by=world.coordinator, stage=stage
    )


def statement(world, partnership, *, tlp="green", nature="", causes="", orgs=(), people=()):
    s = ProblemStatement.objects.create(
        partnership=partnership, created_by=world.coordinator, tlp=tlp, nature=nature, causes=causes
    )
    s.recipient_organisations.set(orgs)
    s.recipient_people.set(people)
    return s


def figure(s, label="Reported burglaries", value=120, unit="per year", position=1, as_of=None):
    return ProblemFigure.objects.create(
        statement=s,
        label=label,
        value=value,
        unit=unit,
        source="Police statistics",
        as_of=as_of or date(2024, 12, 31),
        position=position,
    )


def share(world, cand, *, email="contact@lock.example", expires_in=timedelta(days=30), revoked=False):
    """A briefing share made directly; returns (share, token)."""
    token = secrets.token_urlsafe(16)
    s = BriefingShare.objects.create(
        candidate=cand,
        token_hash=hash_token(token),
        email=email,
        created_by=world.coordinator,
        expires_at=clock.now() + expires_in,
        revoked_at=clock.now() if revoked else None,
    )
    return s, token


def seated_body(partnership, partner, hours=0, name="Board"):
    body = Body.objects.create(partnership=partnership, name=name, level="board")
    Seat.objects.create(body=body, partner=partner, role_title="Member", hours_per_month=hours)
    return body


def task(partnership, partner=None, raci="R", title="Patrol schedule"):
    t = Task.objects.create(partnership=partnership, title=title)
    if partner is not None:
        TaskAssignment.objects.create(task=t, partner=partner, raci=raci)
    return t
