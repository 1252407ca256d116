"""Shared helpers of the due-diligence tests (imported by test_diligence_*.py).

Candidates are created directly with ``Candidate.objects.create`` (the pipeline services are separate).
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from conftest import add_member, make_org, make_user
from safepact.formation.models import Candidate
from safepact.formation.question_banks import question_bank

NOW = timezone.make_aware(datetime(2026, 3, 2, 10, 0))  # a Monday


@dataclass
class Diligence:
    candidate: object  # a candidate of partnership A
    candidate_b: object  # a candidate of partnership B
    coordinator2: object  # a second coordinator of A


def make_candidate(partnership, actor, name, **extra):
    organisation = make_org(actor, name, "business", "SE")
    return Candidate.objects.create(
        partnership=partnership, organisation=organisation, added_by=actor, **extra
    )


def make_diligence(world) -> Diligence:
    """Use as a fixture in each test module: ``dd = pytest.fixture(lambda world: make_diligence(world))``."""
    coordinator2 = make_user("second@polisen.example", "Sam Second")
    add_member(
        coordinator=world.coordinator,
        partnership=world.partnership_a,
        user=coordinator2,
        role="coordinator",
        organisation=world.org_police_a,
    )
    return Diligence(
        candidate=make_candidate(world.partnership_a, world.coordinator, "Sofielund Security AB"),
        candidate_b=make_candidate(world.partnership_b, world.coordinator_b, "Parkstad Beveiliging BV"),
        coordinator2=coordinator2,
    )


def all_answers(option_index: int = 0, **overrides) -> dict:
    """An answer to every question of the latest bank: option ``option_index`` (0 = lowest risk),
    with ``overrides`` as ``question_id=option_id``."""
    bank = question_bank()
    answers = {}
    for question in bank.questions:
        option = question.options[min(option_index, len(question.options) - 1)].id
        answers[question.id] = {"option": overrides.get(question.id, option), "evidence": "note"}
    return answers
