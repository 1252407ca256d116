"""Search over posts, documents and information requests: only ever what the searcher may see.

One interface, two engines (migration ``exchange.0002_search``):

* SQLite: the FTS5 table ``exchange_search_fts`` over ``exchange_searchentry`` (external content, kept in
  step by triggers; accents and case folded); ranked by bm25, a word in the title counting twice.
* PostgreSQL: the generated ``tsvector`` column ``exchange_searchentry.search_vector`` with a GIN index
  (configuration ``safepact_search``: ``simple`` plus ``unaccent``); ranked by ``ts_rank``.

Writing: the services call ``index_item(item)`` after creating or changing an item and
``unindex_item(item)`` when removing it, inside their transaction. The entry holds plain text only (the
Markdown rendered and stripped); a post's title and text, a document's title, description, version notes
and file names, a request's title, question and purpose. Answers are never indexed: they are labelled
separately and a search that matched them would tell a requester's colleagues what was answered.

Reading: ``search(user=..., query=...)``. Visibility is the item's, not the entry's: an entry counts only
if its post, document or request is among what ``partnerships.tlp.visible_to`` lets the searcher see (the
TLP rule and the confidentiality gate) in the searcher's own partnerships (CLEAR items of other
partnerships are not searched), and a request only once it went out (not a draft, nor one waiting for its
assessment). A relabelled item is therefore found, or hidden, at once. The searcher's
words are reduced to letters and digits and each is quoted, so nothing typed is read as query syntax;
all words must occur, the last one also as the beginning of a word ("burg" finds "burglary").

Ranking and speed (``bench/exchange_search.py``, figures in ``docs/benchmarks.md``): bm25 (SQLite) or
``ts_rank`` (PostgreSQL), a word in the title counting more, then the newest item. What is ranked is the
``WINDOW`` (1,000) newest matches the searcher may see: all of them for nearly every search that names
something (a person, a plate, a serial number, a street), the newest thousand for a word found in
thousands of items. Ranking every match first would cost about 4 microseconds a match on SQLite before
any visibility test (0.4 s for a word found in all of 100,000 posts); instead FTS5 hands out its matches
newest first, visibility is tested on them one by one, and the statement stops at ``WINDOW``. Pages are
slices of that one ranking, so paging is consistent and ends at ``WINDOW`` results.
"""

import html
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse

from safepact.exchange.models import Document, InformationRequest, ItemKind, Post, RequestStatus, SearchEntry
from safepact.lib import clock
from safepact.lib import markdown as md
from safepact.partnerships.selectors import partnerships_for
from safepact.partnerships.tlp import visible_to

__all__ = [
    "SEARCH_KINDS",
    "SearchPage",
    "SearchResult",
    "index_item",
    "query_terms",
    "reindex_all",
    "search",
    "unindex_item",
]

#: The kinds search covers, in the order a form offers them.
SEARCH_KINDS = (ItemKind.POST, ItemKind.DOCUMENT, ItemKind.REQUEST)
#: Item model and ``SearchEntry`` field of each kind.
MODELS = {ItemKind.POST: Post, ItemKind.DOCUMENT: Document, ItemKind.REQUEST: InformationRequest}
FIELDS = {ItemKind.POST: "post", ItemKind.DOCUMENT: "document", ItemKind.REQUEST: "request"}
#: URL names of the item pages (``exchange/urls.py``) and their keyword for the item's code.
URL_NAMES = {
    ItemKind.POST: "exchange:post",
    ItemKind.DOCUMENT: "exchange:document",
    ItemKind.REQUEST: "exchange:request",
}

MAX_TERMS = 8
MAX_TERM_LENGTH = 40
#: The last word matches as a prefix from this length on (a one-letter prefix matches nearly everything).
PREFIX_FROM = 3
MAX_LIMIT = 100
#: How many of the newest matches the searcher may see are ranked and paged (see the module docstring).
WINDOW = 1000
#: The PostgreSQL text search configuration (migration ``exchange.0002_search``).
PG_CONFIG = "safepact_search"
SNIPPET_CHARS = 220
WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class SearchResult:
    kind: str
    code: object
    partnership_code: object
    title: str
    #: Plain text around the first match (not HTML: templates escape it).
    snippet: str
    tlp: str
    created_at: datetime
    url: str = ""


@dataclass(frozen=True)
class SearchPage:
    results: list[SearchResult] = field(default_factory=list)
    has_more: bool = False


# Writing ----------------------------------------------------------------------------------------------


_MARKUP = re.compile(r"[\\`*_\[\]#>|~<&!]|^\s*(?:[-+=]|\d+[.)])(?:\s|$)", re.MULTILINE)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def plain_text(markdown: str) -> str:
    """The words of a Markdown text, without its markup, on one line."""
    text = markdown or ""
    if _MARKUP.search(text):
        text = html.unescape(_TAG.sub(" ", md.render(text)))
    return _SPACE.sub(" ", text).strip()


def _entry_fields(item) -> dict:
    if isinstance(item, Post):
        kind, title, parts = ItemKind.POST, item.title, [plain_text(item.body)]
    elif isinstance(item, Document):
        versions = [(version.note, version.name) for version in item.versions.all()] if item.pk else []
        parts = [plain_text(item.description)]
        parts += [note for note, _name in versions if note]
        parts += [name for _note, name in versions]
        kind, title = ItemKind.DOCUMENT, item.title
    elif isinstance(item, InformationRequest):
        kind, title = ItemKind.REQUEST, item.title
        parts = [plain_text(item.question), plain_text(item.purpose)]
    else:
        raise TypeError(f"Not searchable: {type(item).__name__}")
    return {
        "kind": kind,
        "partnership_id": item.partnership_id,
        "title": _SPACE.sub(" ", title or "").strip()[:200],
        "text": "\n".join(part for part in parts if part),
    }


def index_item(item) -> SearchEntry:
    """Create or refresh the search entry of a post, document or information request.

    Call it inside the transaction that wrote the item (after its versions or attachments, for a
    document), so the entry and the item commit together.
    """
    fields = _entry_fields(item)
    with transaction.atomic():
        entry, _created = SearchEntry.objects.update_or_create(
            **{FIELDS[fields["kind"]]: item}, defaults={**fields, "updated_at": clock.now()}
        )
    return entry


def unindex_item(item) -> None:
    """Remove the entry of ``item`` (deleting the item removes it as well, by cascade)."""
    kind = _kind_of(item)
    if item.pk is None:
        # Already deleted, and its entry with it. (Filtering on "no post" would match every other entry.)
        return
    SearchEntry.objects.filter(**{FIELDS[kind]: item.pk}).delete()


def _kind_of(item) -> str:
    for kind, model in MODELS.items():
        if isinstance(item, model):
            return kind
    raise TypeError(f"Not searchable: {type(item).__name__}")


def reindex_all(*, batch_size: int = 1000) -> dict[str, int]:
    """Rebuild every entry from the items (``manage.py exchange_reindex``). Returns counts per kind.

    Entries are written in the order the items were created, whatever their kind, so a newer entry
    means a newer item (``search`` ranks the newest matches).
    """
    order = sorted(
        (created_at, kind, pk)
        for kind, model in MODELS.items()
        for pk, created_at in model.objects.values_list("pk", "created_at").iterator(chunk_size=5000)
    )
    counts = {kind.value: 0 for kind in MODELS}
    now = clock.now()
    with transaction.atomic():
        SearchEntry.objects.all().delete()
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            items = {}
            for kind, model in MODELS.items():
                pks = [pk for _created, k, pk in batch if k == kind]
                if pks:
                    queryset = model.objects.filter(pk__in=pks)
                    if model is Document:
                        queryset = queryset.prefetch_related("versions")
                    items[kind] = {item.pk: item for item in queryset}
            entries = []
            for _created, kind, pk in batch:
                item = items[kind][pk]
                entries.append(SearchEntry(**_entry_fields(item), **{FIELDS[kind]: item}, updated_at=now))
                counts[kind] += 1
            SearchEntry.objects.bulk_create(entries)
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO exchange_search_fts(exchange_search_fts) VALUES ('optimize')")
    return counts


# Reading ----------------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lower case without accents, as both engines compare words."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def query_terms(query: str) -> list[str]:
    """The words of what someone typed: letters and digits only, at most ``MAX_TERMS``, lower case."""
    terms = []
    for word in WORD.findall((query or "").lower()):
        word = word[:MAX_TERM_LENGTH]
        if word not in terms:
            terms.append(word)
    return terms[:MAX_TERMS]


def _sqlite_match(terms: list[str], prefix: bool) -> str:
    quoted = [f'"{term}"' for term in terms]  # terms hold letters and digits only: no quote to escape
    if prefix:
        quoted[-1] += "*"
    return " ".join(quoted)


def _postgres_tsquery(terms: list[str], prefix: bool) -> str:
    quoted = [f"'{term}'" for term in terms]
    if prefix:
        quoted[-1] += ":*"
    return " & ".join(quoted)


def _visible_items_sql(user, kind, partnership_ids) -> tuple[str, list]:
    """SQL and parameters of the items of ``kind`` in ``partnership_ids`` that ``user`` may see
    (``visible_to`` on the item's own model, compiled): columns ``search_item_id``, ``search_created_at``."""
    items = MODELS[kind].objects.filter(partnership_id__in=partnership_ids)
    if kind == ItemKind.REQUEST:
        # Only requests that went out are found: a draft (or one awaiting its assessment) is not addressed to
        # anyone yet, even if a label change indexed it.
        items = items.exclude(status__in=[RequestStatus.DRAFT, RequestStatus.AWAITING_ASSESSMENT])
    items = visible_to(user, items).order_by()
    sql, params = items.values(
        search_item_id=F("pk"), search_created_at=F("created_at")
    ).query.sql_with_params()
    return sql, list(params)


def _candidates(user, *, match: str, kinds, partnership_ids, window: int) -> list[tuple]:
    """``(entry id, score, item created)`` of the ``window`` newest matches ``user`` may see, newest entry
    first (entries are written as items are made). Lower scores are better.

    One statement: the matching entries of the partnerships, each LEFT JOINed to the visible items of each
    kind (the compiled ``visible_to`` query, which both databases merge into the join: a look-up of the one
    item by its key, with the TLP rule as the join's condition); an entry counts when its item came
    through. Ordered by entry id alone, SQLite's FTS5 hands out the matches newest first and PostgreSQL
    walks the primary key backwards (or, for a rare word, sorts the few matches the GIN index finds), so
    the statement stops after ``window`` rows; the score is computed for those rows only.
    """
    q = connection.ops.quote_name
    entry = q(SearchEntry._meta.db_table)
    joins, created, came_through, params = [], [], [], []
    for kind in kinds:
        alias = q("search_" + kind)
        items_sql, items_params = _visible_items_sql(user, kind, partnership_ids)
        # Only names from the models' metadata and SQL that Django compiled go into the text; values are
        # parameters.
        on = f"{alias}.{q('search_item_id')} = {entry}.{q(FIELDS[kind] + '_id')}"
        joins.append(f"LEFT JOIN ({items_sql}) {alias} ON {on}")
        created.append(f"{alias}.{q('search_created_at')}")
        came_through.append(f"{alias}.{q('search_item_id')} IS NOT NULL")
        params += items_params
    if connection.vendor == "postgresql":
        vector = f"{entry}.{q('search_vector')}"
        score = f"-ts_rank({vector}, to_tsquery('{PG_CONFIG}', %s))"
        source, matches = entry, f"{vector} @@ to_tsquery('{PG_CONFIG}', %s)"
        order, head = f"{entry}.{q('id')} DESC", [match]
    else:
        score = "bm25(exchange_search_fts, 2.0, 1.0)"
        source = f"exchange_search_fts JOIN {entry} ON {entry}.{q('id')} = exchange_search_fts.rowid"
        matches, order, head = "exchange_search_fts MATCH %s", "exchange_search_fts.rowid DESC", []
    created_at = created[0] if len(created) == 1 else f"COALESCE({', '.join(created)})"
    in_partnerships = ", ".join(["%s"] * len(partnership_ids))
    statement = " ".join(
        [
            f"SELECT {entry}.{q('id')}, {score}, {created_at}",
            f"FROM {source}",
            *joins,
            f"WHERE {matches} AND {entry}.{q('partnership_id')} IN ({in_partnerships})",
            f"AND ({' OR '.join(came_through)})",
            f"ORDER BY {order} LIMIT %s",
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*head, *params, match, *partnership_ids, window])
        return cursor.fetchall()


def search(*, user, query: str, partnership=None, kinds=None, limit: int = 20, offset: int = 0) -> SearchPage:
    """One page of the items ``user`` may see that match ``query``, best first (then newest).

    ``partnership`` narrows to one partnership (one the user is in; any other gives an empty page);
    ``kinds`` to some of ``SEARCH_KINDS``. Never raises on what was typed: an empty or unusable query
    gives an empty page. Three queries whatever it finds: the searcher's partnerships, the candidates,
    the page's items.

    Ranked: the ``WINDOW`` newest matches the user may see (see the module's docstring); an ``offset``
    beyond them gives an empty page.
    """
    terms = query_terms(query)
    wanted = [kind for kind in SEARCH_KINDS if kinds is None or kind in kinds]
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    if not terms or not wanted or offset >= WINDOW:
        return SearchPage()
    partnership_ids = list(partnerships_for(user).values_list("pk", flat=True))
    if partnership is not None:
        partnership_ids = [pk for pk in partnership_ids if pk == partnership.pk]
    if not partnership_ids:
        return SearchPage()
    prefix = len(terms[-1]) >= PREFIX_FROM
    match = (
        _postgres_tsquery(terms, prefix)
        if connection.vendor == "postgresql"
        else _sqlite_match(terms, prefix)
    )
    candidates = _candidates(
        user,
        match=match,
        kinds=wanted,
        partnership_ids=partnership_ids,
        window=WINDOW,
    )
    # Best score first, then the newest item, then the newest entry (stable sorts, last key first; the
    # creation times come as text from SQLite, which sorts as the times do).
    candidates.sort(key=lambda row: row[0], reverse=True)
    candidates.sort(key=lambda row: row[2], reverse=True)
    candidates.sort(key=lambda row: row[1])
    page_ids = [row[0] for row in candidates[offset : offset + limit]]
    if not page_ids:
        return SearchPage()
    related = [FIELDS[kind] for kind in wanted]
    entries = (
        SearchEntry.objects.filter(pk__in=page_ids)
        .select_related("partnership", *related)
        .only(
            "kind",
            "text",
            "partnership__code",
            *(f"{name}__{column}" for name in related for column in ("code", "title", "tlp", "created_at")),
        )
    )
    by_id = {entry.pk: entry for entry in entries}
    results = [_result(by_id[pk], terms, prefix) for pk in page_ids if pk in by_id]
    return SearchPage(results=results, has_more=len(candidates) > offset + limit)


def _result(entry: SearchEntry, terms: list[str], prefix: bool) -> SearchResult:
    item = getattr(entry, FIELDS[entry.kind])
    partnership_code = entry.partnership.code
    try:
        url = reverse(URL_NAMES[entry.kind], kwargs={"code": partnership_code, FIELDS[entry.kind]: item.code})
    except NoReverseMatch:  # the page is not wired (yet): the result still shows, without a link
        url = ""
    return SearchResult(
        kind=entry.kind,
        code=item.code,
        partnership_code=partnership_code,
        title=item.title,
        snippet=snippet(entry.text, terms, prefix=prefix),
        tlp=item.tlp,
        created_at=item.created_at,
        url=url,
    )


def snippet(text: str, terms: list[str], *, prefix: bool = True, chars: int = SNIPPET_CHARS) -> str:
    """Plain text of about ``chars`` characters around the first word of ``text`` that matches."""
    text = _SPACE.sub(" ", text or "").strip()
    if len(text) <= chars:
        return text
    folded_terms = [_fold(term) for term in terms]
    last = len(folded_terms) - 1
    start = 0
    for word in WORD.finditer(text):
        folded = _fold(word.group())
        if any(
            folded == term or (prefix and i == last and folded.startswith(term))
            for i, term in enumerate(folded_terms)
        ):
            start = word.start()
            break
    begin = max(0, start - chars // 3)
    if begin:
        space = text.find(" ", begin)
        begin = space + 1 if 0 <= space < start else begin
    end = min(len(text), begin + chars)
    if end < len(text):
        space = text.rfind(" ", begin, end)
        end = space if space > start else end
    return ("… " if begin else "") + text[begin:end].strip() + (" …" if end < len(text) else "")
