"""The exchange part of ``manage.py demo`` (``safepact/exchange/demo.py``): the paper's stolen-engine request
as a worked example, an AMBER warning for two organisations, a document in versions, a data flow;
idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command

from safepact.accounts.models import User
from safepact.exchange.demo import REQUEST_TITLE, exchange_demo
from safepact.exchange.models import (
    AccessLog,
    Answer,
    AssessmentStatus,
    DataFlow,
    Document,
    InformationRequest,
    Post,
    RecipientStatus,
    RequestStatus,
)
from safepact.lib.tlp import TLP
from safepact.partnerships import hooks
from safepact.partnerships.management.commands.demo import PARTNERSHIPS, PEOPLE
from safepact.partnerships.models import Partnership
from safepact.partnerships.tlp import visible_to


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def partnership(key: str) -> Partnership:
    return Partnership.objects.get(name=PARTNERSHIPS[key]["name"])


def person(key: str) -> User:
    return User.objects.get(email=PEOPLE[key][0])


def test_the_exchange_registers_its_part_of_the_demo():
    assert exchange_demo in hooks.demo_extensions()


@pytest.mark.django_db
def test_the_demo_holds_the_stolen_engine_request_and_labelled_posts():
    run_demo()
    boats = partnership("boats")

    # The paper's worked example: police ask the trade association and the insurer who owned the engine.
    request = InformationRequest.objects.get(partnership=boats, title=REQUEST_TITLE)
    assert request.created_by == person("pieter")
    assert request.status == RequestStatus.ANSWERED
    assert request.tlp == TLP.AMBER and request.legal_basis == "public_task"
    assert set(request.data_categories) >= {"identification", "ownership"}
    assessment = request.assessment
    assert assessment.status == AssessmentStatus.APPROVED_WITH_CONDITIONS
    assert assessment.decided_by == person("anders") != assessment.requested_by
    assert assessment.answers.count() == 5 and assessment.conditions
    statuses = {
        r.partner.organisation.name: r.status
        for r in request.recipients.select_related("partner__organisation")
    }
    assert sorted(statuses.values()) == [RecipientStatus.ANSWERED, RecipientStatus.PENDING]
    answer = Answer.objects.get(request=request)
    assert answer.created_by == person("marloes")
    # The answer is for the requesting and the answering organisation: the insurer does not read it.
    assert visible_to(person("pieter"), Answer.objects.filter(pk=answer.pk)).exists()
    assert not visible_to(person("erik"), Answer.objects.filter(pk=answer.pk)).exists()
    # The engine dealer (a viewer, not addressed) does not see the AMBER request at all.
    assert not visible_to(person("bart"), InformationRequest.objects.filter(pk=request.pk)).exists()

    # The AMBER warning reaches the trade association and the insurer, not the dealer.
    warning = Post.objects.get(partnership=boats, tlp=TLP.AMBER)
    visible = Post.objects.filter(pk=warning.pk)
    assert visible_to(person("marloes"), visible).exists() and visible_to(person("erik"), visible).exists()
    assert not visible_to(person("bart"), visible).exists()
    assert visible_to(person("bart"), Post.objects.filter(partnership=boats, tlp=TLP.GREEN)).count() >= 2

    document = Document.objects.get(partnership=boats)
    assert document.versions.count() == 2
    flow = DataFlow.objects.get(partnership=boats)
    assert flow.parties.count() == 3 and flow.review_on is not None

    counts = (
        Post.objects.count(),
        Document.objects.count(),
        InformationRequest.objects.count(),
        Answer.objects.count(),
        DataFlow.objects.count(),
        AccessLog.objects.count(),
    )
    run_demo()
    assert counts == (
        Post.objects.count(),
        Document.objects.count(),
        InformationRequest.objects.count(),
        Answer.objects.count(),
        DataFlow.objects.count(),
        AccessLog.objects.count(),
    )
