"""Test helpers for the register, Art. 30, retention and subject access (helper REGISTER).

* ``partner(partnership, organisation)``: the ``Partner`` row.
* ``make_flow(world, **overrides)``: a data flow of partnership A through ``flow_create`` (police controller,
  city processor, by the coordinator).
* ``make_assessment(partnership, requested_by, **fields)``: a Five Safes assessment row (written directly: the
  assessment services belong to another part and have their own tests).
* ``orm_post``, ``orm_document``, ``orm_request``, ``orm_answer``: labelled items with chosen dates and stored
  files, written directly so retention and subject access are tested on exact moments and labels without
  depending on the posting and requesting services.
"""

import hashlib
from datetime import date, timedelta

from django.core.files.base import ContentFile

from safepact.exchange.models import (
    Answer,
    Assessment,
    Attachment,
    Document,
    DocumentVersion,
    InformationRequest,
    LegalBasis,
    Post,
    RequestRecipient,
)
from safepact.lib import clock
from safepact.lib.tlp import TLP
from safepact.partnerships.models import Partner


def partner(partnership, organisation) -> Partner:
    return Partner.objects.get(partnership=partnership, organisation=organisation)


def flow_fields(world, **overrides) -> dict:
    a = world.partnership_a
    fields = {
        "title": "Stolen engines: dealer records",
        "purpose": "Trace the last owner of recovered stolen boat engines.",
        "legal_basis": LegalBasis.PUBLIC_TASK,
        "national_provision": "Polisdatalagen 2:7",
        "data_subjects": "Owners and buyers of boat engines",
        "data_categories": ["identification", "ownership"],
        "retention": "Two years after the case is closed",
        "security_measures": "Encrypted transfer; access for named officers only.",
        "review_on": clock.today() + timedelta(days=180),
        "parties": [
            (partner(a, world.org_police_a), "controller", "asks and receives"),
            (partner(a, world.org_city_a), "processor", "provides"),
        ],
    }
    fields.update(overrides)
    return fields


def make_flow(world, actor=None, partnership=None, **overrides):
    from safepact.exchange.services import flow_create

    return flow_create(
        actor=actor or world.coordinator,
        partnership=partnership or world.partnership_a,
        **flow_fields(world, **overrides),
    )


def make_assessment(partnership, requested_by, **fields) -> Assessment:
    fields.setdefault("title", "Five Safes: engine owners")
    return Assessment.objects.create(partnership=partnership, requested_by=requested_by, **fields)


def _stored(model, owner_field: str, owner, author, name: str, content: bytes, **extra):
    row = model(
        name=name,
        content_type="text/plain",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        created_by=author,
        **{owner_field: owner},
        **extra,
    )
    row.file.save(name, ContentFile(content), save=False)
    row.save()
    return row


def _label(item, orgs, people):
    if orgs:
        item.recipient_organisations.set(orgs)
    if people:
        item.recipient_people.set(people)
    return item


def orm_post(
    world, author, tlp=TLP.GREEN, *, orgs=(), people=(), partnership=None, at=None, files=0, **fields
):
    at = at or clock.now()
    post = Post.objects.create(
        partnership=partnership or world.partnership_a,
        tlp=TLP(tlp).value,
        title=fields.pop("title", f"Post {tlp}"),
        body=fields.pop("body", "Text of the post."),
        created_by=author,
        created_at=at,
        updated_at=fields.pop("updated_at", at),
        **fields,
    )
    for number in range(files):
        _stored(Attachment, "post", post, author, f"note-{number}.txt", b"attachment %d" % number)
    return _label(post, orgs, people)


def orm_document(
    world,
    author,
    tlp=TLP.GREEN,
    *,
    orgs=(),
    people=(),
    partnership=None,
    at=None,
    updated=None,
    versions=1,
    **fields,
):
    at = at or clock.now()
    document = Document.objects.create(
        partnership=partnership or world.partnership_a,
        tlp=TLP(tlp).value,
        title=fields.pop("title", f"Document {tlp}"),
        description=fields.pop("description", "What this document is about."),
        created_by=author,
        created_at=at,
        updated_at=updated or at,
        **fields,
    )
    for number in range(1, versions + 1):
        _stored(
            DocumentVersion,
            "document",
            document,
            author,
            f"v{number}.txt",
            b"version %d" % number,
            number=number,
        )
    return _label(document, orgs, people)


def orm_request(
    world,
    author,
    tlp=TLP.AMBER,
    *,
    to=(),
    orgs=(),
    people=(),
    partnership=None,
    at=None,
    closed=None,
    files=0,
    **fields,
):
    """A request by ``author`` (through their partner) to the partners of ``to`` (organisations)."""
    from safepact.partnerships.selectors import membership_in

    partnership = partnership or world.partnership_a
    at = at or clock.now()
    request = InformationRequest.objects.create(
        partnership=partnership,
        requester_partner=membership_in(author, partnership).partner,
        tlp=TLP(tlp).value,
        title=fields.pop("title", f"Request {tlp}"),
        question=fields.pop("question", "Who owned engine 12345?"),
        purpose=fields.pop("purpose", "A recovered stolen engine."),
        legal_basis=fields.pop("legal_basis", LegalBasis.PUBLIC_TASK),
        deadline=fields.pop("deadline", date(2030, 1, 1)),
        status=fields.pop("status", "closed" if closed else "sent"),
        created_by=author,
        created_at=at,
        updated_at=fields.pop("updated_at", at),
        closed_at=closed,
        **fields,
    )
    for organisation in to:
        RequestRecipient.objects.create(request=request, partner=partner(partnership, organisation))
    for number in range(files):
        _stored(Attachment, "request", request, author, f"request-{number}.txt", b"request file %d" % number)
    return _label(request, orgs, people)


def orm_answer(
    request, author, organisation, tlp=TLP.AMBER, *, orgs=(), people=(), at=None, files=0, **fields
):
    recipient = RequestRecipient.objects.get(request=request, partner__organisation=organisation)
    answer = Answer.objects.create(
        partnership=request.partnership,
        request=request,
        recipient=recipient,
        tlp=TLP(tlp).value,
        text=fields.pop("text", "The engine was sold to a dealer."),
        created_by=author,
        created_at=at or clock.now(),
        **fields,
    )
    for number in range(files):
        _stored(Attachment, "answer", answer, author, f"answer-{number}.txt", b"answer file %d" % number)
    return _label(answer, orgs, people)
