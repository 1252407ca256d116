"""Reads for retention and data-subject rights: the subject-access search.

A coordinator searches a partnership for everything that names a person (GDPR Art. 15): posts (title,
text), documents (title, description), information requests (subject, question, purpose) and answers
(text). Only items the coordinator may see are searched (``visible_to`` on each kind): an item they may not
see is not there, so the search never reveals it exists. The match is a case-insensitive substring, also for
names with letters outside ASCII (Åsa, Özil).
"""

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from safepact.exchange.models import Answer, Document, InformationRequest, ItemKind, Post
from safepact.lib.tlp import TLP, may_export
from safepact.partnerships.models import Partnership
from safepact.partnerships.selectors import get_partnership_for_user
from safepact.partnerships.tlp import visible_to

__all__ = [
    "SUBJECT_FIELDS",
    "SubjectHit",
    "clean_term",
    "item_path",
    "subject_access_items",
    "subject_access_search",
]

TERM_MIN, TERM_MAX = 3, 200
#: The text fields searched, per kind.
SUBJECT_FIELDS = {
    ItemKind.POST: ("title", "body"),
    ItemKind.DOCUMENT: ("title", "description"),
    ItemKind.REQUEST: ("title", "question", "purpose"),
    ItemKind.ANSWER: ("text",),
}
#: The page of each kind: URL name and its item argument.
PAGES = {
    ItemKind.POST: ("exchange:post", "post"),
    ItemKind.DOCUMENT: ("exchange:document", "document"),
    ItemKind.REQUEST: ("exchange:request", "request"),
}


def item_path(kind: str, partnership_code, item_code, request_code=None) -> str:
    """The page of an item; an answer is shown on its request's page (anchor ``answer-<code>``)."""
    anchor = ""
    if kind == ItemKind.ANSWER:
        kind, item_code, anchor = ItemKind.REQUEST, request_code, f"#answer-{item_code}"
    name, argument = PAGES[kind]
    return reverse(name, kwargs={"code": partnership_code, argument: item_code}) + anchor


@dataclass(frozen=True)
class SubjectHit:
    """One item that names the person: what the coordinator sees in the result list."""

    kind: str
    code: UUID
    title: str
    date: datetime
    tlp: str
    partnership_code: UUID
    #: For an answer: the request it answers.
    request_code: UUID | None = None

    @property
    def url(self) -> str:
        return item_path(self.kind, self.partnership_code, self.code, self.request_code)

    @property
    def exportable(self) -> bool:
        """Whether the item's text may leave the platform in the export (not AMBER+STRICT or RED)."""
        return may_export(self.tlp)

    @property
    def tlp_label(self) -> str:
        return str(TLP(self.tlp).label)

    @property
    def kind_label(self) -> str:
        return str(ItemKind(self.kind).label)


def clean_term(term) -> str:
    term = " ".join(str(term or "").split())
    if len(term) < TERM_MIN:
        raise ValidationError({"term": _("Enter at least three characters of the name.")})
    if len(term) > TERM_MAX:
        raise ValidationError({"term": _("At most %(limit)d characters.") % {"limit": TERM_MAX}})
    return term


def _names(term: str, fields) -> Q:
    """Case-insensitive substring on any of ``fields``. SQLite's LIKE folds only ASCII letters, so there the
    match is a regular expression run by Python (Unicode-aware); PostgreSQL's ILIKE folds them itself."""
    if connection.vendor == "sqlite":
        lookup, value = "iregex", re.escape(term)
    else:
        lookup, value = "icontains", term
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__{lookup}": value})
    return condition


def subject_access_items(*, user, partnership: Partnership, term: str) -> dict[str, QuerySet]:
    """The matching items the user may see, per kind (querysets; the caller checked the role)."""
    return {
        ItemKind.POST: visible_to(user, Post.objects.filter(partnership=partnership)).filter(
            _names(term, SUBJECT_FIELDS[ItemKind.POST])
        ),
        ItemKind.DOCUMENT: visible_to(user, Document.objects.filter(partnership=partnership)).filter(
            _names(term, SUBJECT_FIELDS[ItemKind.DOCUMENT])
        ),
        ItemKind.REQUEST: visible_to(user, InformationRequest.objects.filter(partnership=partnership)).filter(
            _names(term, SUBJECT_FIELDS[ItemKind.REQUEST])
        ),
        ItemKind.ANSWER: visible_to(user, Answer.objects.filter(partnership=partnership))
        .filter(_names(term, SUBJECT_FIELDS[ItemKind.ANSWER]))
        .select_related("request", "recipient__partner__organisation"),
    }


def subject_access_search(*, user, partnership: Partnership, term: str) -> list[SubjectHit]:
    """Everything the coordinator may see in ``partnership`` that names ``term``, newest first.

    Coordinators only (403 for other members, 404 for outsiders); ``term`` needs three characters or more.
    """
    partnership = get_partnership_for_user(user, partnership.code, manage=True)
    term = clean_term(term)
    found = subject_access_items(user=user, partnership=partnership, term=term)
    code = partnership.code
    hits = [
        SubjectHit(ItemKind.POST, post.code, post.title, post.created_at, post.tlp, code)
        for post in found[ItemKind.POST].only("code", "title", "created_at", "tlp")
    ]
    hits += [
        SubjectHit(ItemKind.DOCUMENT, doc.code, doc.title, doc.updated_at, doc.tlp, code)
        for doc in found[ItemKind.DOCUMENT].only("code", "title", "updated_at", "tlp")
    ]
    hits += [
        SubjectHit(ItemKind.REQUEST, request.code, request.title, request.created_at, request.tlp, code)
        for request in found[ItemKind.REQUEST].only("code", "title", "created_at", "tlp")
    ]
    answers = list(found[ItemKind.ANSWER])
    # An answer is titled by its request only where the request itself is visible to the coordinator.
    readable = set(
        visible_to(
            user, InformationRequest.objects.filter(pk__in={answer.request_id for answer in answers})
        ).values_list("pk", flat=True)
    )
    for answer in answers:
        if answer.request_id in readable:
            title = _("Answer: %(request)s") % {"request": answer.request.title}
        else:
            title = _("Answer to an information request")
        hits.append(
            SubjectHit(
                ItemKind.ANSWER,
                answer.code,
                title,
                answer.created_at,
                answer.tlp,
                code,
                request_code=answer.request.code,
            )
        )
    hits.sort(key=lambda hit: hit.date, reverse=True)
    return hits
