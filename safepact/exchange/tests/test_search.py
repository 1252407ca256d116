"""Search (``safepact.exchange.search``): what is found, and that it is only ever what the searcher may see.

Items are made with the ORM (label and recipients set by hand) and indexed with ``index_item``, so these
tests exercise the search alone; ``test_search_services.py`` checks the services keep the index in step.
The same tests run on SQLite (FTS5) and PostgreSQL (tsvector), through ``DATABASE_URL``.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.urls import NoReverseMatch, reverse

from safepact.agreements.models import AgreementSettings
from safepact.exchange import search
from safepact.exchange.models import (
    Answer,
    Document,
    DocumentVersion,
    InformationRequest,
    LegalBasis,
    Post,
    RequestRecipient,
    RequestStatus,
    SearchEntry,
)
from safepact.lib import clock
from safepact.lib.tlp import TLP
from safepact.partnerships.models import MembershipStatus
from safepact.partnerships.selectors import membership_in

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def _label(item, tlp, orgs=(), people=()):
    item.recipient_organisations.set(orgs)
    item.recipient_people.set(people)
    return item


def make_post(world, author, *, title="Notice", body="Text.", tlp=TLP.GREEN, orgs=(), people=(), **extra):
    extra.setdefault("partnership", world.partnership_a)
    extra.setdefault("created_at", clock.now())
    post = Post.objects.create(title=title, body=body, tlp=tlp, created_by=author, **extra)
    _label(post, tlp, orgs, people)
    search.index_item(post)
    return post


def make_document(world, author, *, title="Document", description="", tlp=TLP.GREEN, files=(), **extra):
    extra.setdefault("partnership", world.partnership_a)
    document = Document.objects.create(
        title=title, description=description, tlp=tlp, created_by=author, **extra
    )
    for number, (name, note) in enumerate(files, start=1):
        DocumentVersion.objects.create(
            document=document,
            number=number,
            note=note,
            name=name,
            file=f"exchange/test-{document.pk}-{number}",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
            created_by=author,
        )
    search.index_item(document)
    return document


def make_request(world, author, *, title="Request", question="Question?", purpose="Purpose.", tlp=TLP.GREEN):
    partner = membership_in(author, world.partnership_a).partner
    request = InformationRequest.objects.create(
        partnership=world.partnership_a,
        requester_partner=partner,
        title=title,
        question=question,
        purpose=purpose,
        legal_basis=LegalBasis.PUBLIC_TASK,
        deadline=date(2026, 4, 1),
        status=RequestStatus.SENT,
        tlp=tlp,
        created_by=author,
    )
    search.index_item(request)
    return request


def found(user, query, **kwargs):
    return [(hit.kind, hit.code) for hit in search.search(user=user, query=query, **kwargs).results]


def codes(user, query, **kwargs):
    return {hit.code for hit in search.search(user=user, query=query, **kwargs).results}


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(T0):
        yield


# What is found -------------------------------------------------------------------------------------


def test_finds_words_of_title_and_text_case_insensitively(world):
    post = make_post(
        world, world.coordinator, title="Outboard engine stolen", body="From the marina at night."
    )
    make_post(world, world.coordinator, title="Bicycle theft", body="Near the station.")
    assert found(world.member, "outboard") == [("post", post.code)]
    assert found(world.member, "MARINA") == [("post", post.code)]
    assert found(world.member, "engine marina") == [("post", post.code)]  # every word must occur
    assert found(world.member, "engine station") == []
    assert found(world.member, "submarine") == []


def test_last_word_matches_as_a_prefix(world):
    post = make_post(world, world.coordinator, title="Burglary wave", body="Several garages were opened.")
    assert codes(world.member, "burg") == {post.code}
    assert codes(world.member, "garag") == {post.code}
    assert codes(world.member, "wave burg") == {post.code}
    assert codes(world.member, "burg wave") == set()  # only the last word is a prefix
    assert codes(world.member, "bu") == set()  # too short to be a prefix: a whole word "bu" is not there


def test_accents_and_case_are_folded_both_ways(world):
    swedish = make_post(
        world, world.coordinator, title="Stöld i Malmö", body="Båtmotor försvann från hamnen."
    )
    plain = make_post(world, world.coordinator, title="Cafe closed", body="Resume tomorrow.")
    assert codes(world.member, "malmo") == {swedish.code}
    assert codes(world.member, "MALMÖ stöld") == {swedish.code}
    assert codes(world.member, "batmotor") == {swedish.code}
    assert codes(world.member, "café") == {plain.code}
    assert codes(world.member, "résumé") == {plain.code}


def test_markdown_is_indexed_as_plain_text_and_the_snippet_is_plain(world):
    body = (
        "# Warning\n\n**Skimming devices** found at [the ATM](https://bank.example) in *Sofielund*.\n\n"
        + ("Filler words to make the text long. " * 12)
    )
    make_post(world, world.coordinator, title="Cards", body=body)
    (hit,) = search.search(user=world.member, query="skimming").results
    assert "Skimming devices found at the ATM in Sofielund" in hit.snippet
    for markup in ("**", "#", "](", "<", "https://"):
        assert markup not in hit.snippet
    entry = SearchEntry.objects.get()
    assert entry.text.startswith("Warning Skimming devices")


def test_snippet_is_cut_around_the_first_match(world):
    body = " ".join(f"word{n}" for n in range(200)) + " Lindqvist was seen there. " + "more " * 100
    make_post(world, world.coordinator, title="Sighting", body=body)
    (hit,) = search.search(user=world.member, query="lindqvist").results
    assert "Lindqvist was seen there" in hit.snippet
    assert hit.snippet.startswith("… ") and hit.snippet.endswith(" …")
    assert len(hit.snippet) <= search.SNIPPET_CHARS + 4


def test_result_fields(world):
    post = make_post(world, world.member, title="Shoplifting ring", body="Three shops.", tlp=TLP.GREEN)
    (hit,) = search.search(user=world.coordinator, query="shoplifting").results
    assert hit.kind == "post"
    assert hit.code == post.code
    assert hit.partnership_code == world.partnership_a.code
    assert hit.title == "Shoplifting ring"
    assert hit.snippet == "Three shops."
    assert hit.tlp == TLP.GREEN
    assert hit.created_at == T0
    try:
        expected = reverse("exchange:post", kwargs={"code": world.partnership_a.code, "post": post.code})
    except NoReverseMatch:  # the page is not wired yet
        expected = ""
    assert hit.url == expected


def test_documents_by_description_version_notes_and_file_names(world):
    document = make_document(
        world,
        world.coordinator,
        title="Checklist",
        description="What to check when buying a used *outboard*.",
        files=[("dealer-checklist-v1.pdf", "First draft"), ("dealer-checklist-v2.pdf", "Added hull numbers")],
    )
    for query in ("checklist", "outboard", "draft", "hull numbers", "dealer", "v2"):
        assert found(world.member, query) == [("document", document.code)], query


def test_requests_by_title_question_and_purpose_but_never_by_their_answers(world):
    request = make_request(
        world,
        world.coordinator,
        title="Stolen engine",
        question="Who bought a Yamaha outboard with serial 6AW-1024?",
        purpose="Find the last owner.",
    )
    recipient = RequestRecipient.objects.create(
        request=request, partner=membership_in(world.member, world.partnership_a).partner
    )
    answer = Answer.objects.create(
        partnership=world.partnership_a,
        request=request,
        recipient=recipient,
        text="Sold to Johansson in Ystad.",
        tlp=TLP.GREEN,
        created_by=world.member,
    )
    for query in ("stolen engine", "yamaha", "6aw 1024", "owner"):
        assert found(world.member, query) == [("request", request.code)], query
    assert found(world.member, "johansson") == []
    with pytest.raises(TypeError):
        search.index_item(answer)


@pytest.mark.parametrize("status", [RequestStatus.DRAFT, RequestStatus.AWAITING_ASSESSMENT])
def test_requests_that_did_not_go_out_are_not_found(world, status):
    request = make_request(world, world.coordinator, title="Unsent question about a jetski")
    request.status = status
    request.save()
    assert found(world.coordinator, "jetski") == []
    assert found(world.member, "jetski") == []
    request.status = RequestStatus.SENT
    request.save()
    assert found(world.member, "jetski") == [("request", request.code)]


def test_kinds_narrow_the_search(world):
    post = make_post(world, world.coordinator, title="Harbour patrol")
    document = make_document(world, world.coordinator, title="Harbour map")
    request = make_request(world, world.coordinator, title="Harbour cameras")
    assert codes(world.member, "harbour") == {post.code, document.code, request.code}
    assert codes(world.member, "harbour", kinds=["document"]) == {document.code}
    assert codes(world.member, "harbour", kinds=["post", "request"]) == {post.code, request.code}
    assert codes(world.member, "harbour", kinds=["answer", "nonsense"]) == set()


def test_title_matches_rank_first_then_newest(world):
    with clock.frozen(_at(0)):
        older_in_text = make_post(
            world, world.coordinator, title="Weekly update", body="A catalytic converter."
        )
    with clock.frozen(_at(10)):
        in_title = make_post(world, world.coordinator, title="Catalytic converters", body="Three cars.")
    with clock.frozen(_at(20)):
        newer_in_text = make_post(
            world, world.coordinator, title="Weekly update", body="A catalytic converter."
        )
    assert [hit.code for hit in search.search(user=world.member, query="catalytic").results] == [
        in_title.code,
        newer_in_text.code,
        older_in_text.code,
    ]


def test_pages_are_slices_of_one_ranking(world):
    posts = [make_post(world, world.coordinator, title=f"Graffiti {n}", created_at=_at(n)) for n in range(7)]
    first = search.search(user=world.member, query="graffiti", limit=3)
    second = search.search(user=world.member, query="graffiti", limit=3, offset=3)
    third = search.search(user=world.member, query="graffiti", limit=3, offset=6)
    assert first.has_more and second.has_more and not third.has_more
    seen = [hit.code for page in (first, second, third) for hit in page.results]
    assert seen == [post.code for post in reversed(posts)]  # same words: newest first


def test_the_ranked_window_bounds_paging(world, monkeypatch):
    monkeypatch.setattr(search, "WINDOW", 4)
    posts = [make_post(world, world.coordinator, title=f"Vandalism {n}", created_at=_at(n)) for n in range(6)]
    page = search.search(user=world.member, query="vandalism", limit=3, offset=0)
    assert page.has_more
    page = search.search(user=world.member, query="vandalism", limit=3, offset=3)
    assert [hit.code for hit in page.results] == [posts[2].code] and not page.has_more
    assert search.search(user=world.member, query="vandalism", limit=3, offset=4).results == []


def test_limit_and_offset_are_clamped(world):
    make_post(world, world.coordinator, title="Loitering")
    assert len(search.search(user=world.member, query="loitering", limit=0).results) == 1
    assert len(search.search(user=world.member, query="loitering", limit=10_000).results) == 1
    assert len(search.search(user=world.member, query="loitering", offset=-5).results) == 1


# Only what the searcher may see ----------------------------------------------------------------------


def test_never_another_partnerships_items_not_even_clear_ones(world):
    clear_b = make_post(
        world,
        world.coordinator_b,
        title="Parkstad pickpockets",
        tlp=TLP.CLEAR,
        partnership=world.partnership_b,
    )
    green_b = make_post(
        world, world.coordinator_b, title="Parkstad pickpockets again", partnership=world.partnership_b
    )
    mine = make_post(world, world.coordinator, title="Sofielund pickpockets")
    assert codes(world.member, "pickpockets") == {mine.code}
    assert codes(world.coordinator_b, "pickpockets") == {clear_b.code, green_b.code}
    assert codes(world.member, "pickpockets", partnership=world.partnership_b) == set()
    assert codes(world.coordinator_b, "pickpockets", partnership=world.partnership_a) == set()
    assert codes(world.coordinator_b, "pickpockets", partnership=world.partnership_b) == {
        clear_b.code,
        green_b.code,
    }


def test_outsiders_and_anonymous_find_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    make_post(world, world.coordinator, title="Fraud alert", tlp=TLP.CLEAR)
    assert found(world.outsider, "fraud") == []
    assert found(AnonymousUser(), "fraud") == []


@pytest.mark.parametrize("label", [TLP.AMBER, TLP.AMBER_STRICT])
def test_amber_only_for_the_recipient_organisations(world, label):
    post = make_post(
        world,
        world.coordinator,
        title="Dealer warning",
        tlp=label,
        orgs=[world.org_police_a, world.org_city_a],
    )
    assert codes(world.member, "dealer") == {post.code}  # Malmö stad is a recipient
    assert codes(world.viewer, "dealer") == set()  # the property owners are not
    assert codes(world.coordinator, "dealer") == {post.code}
    assert codes(world.coordinator_b, "dealer") == set()


def test_amber_for_an_organisation_counts_only_in_that_partnership(world):
    # The member's organisation is a recipient, but of an item of partnership B, where the member is not.
    post = make_post(
        world,
        world.coordinator_b,
        title="Cross border",
        tlp=TLP.AMBER,
        orgs=[world.org_city_a],
        partnership=world.partnership_b,
    )
    assert codes(world.member, "border") == set()
    assert codes(world.coordinator_b, "border") == {post.code}


def test_red_only_for_the_people_it_names_and_its_author(world):
    post = make_post(world, world.coordinator, title="Informant meeting", tlp=TLP.RED, people=[world.member])
    assert codes(world.member, "informant") == {post.code}
    assert codes(world.coordinator, "informant") == {post.code}  # the author
    assert codes(world.viewer, "informant") == set()


def test_documents_and_requests_follow_their_own_labels(world):
    document = make_document(world, world.coordinator, title="Camera plan", tlp=TLP.RED)
    document.recipient_people.set([world.viewer])
    request = make_request(world, world.coordinator, title="Camera footage", tlp=TLP.AMBER)
    request.recipient_organisations.set([world.org_city_a])
    assert codes(world.viewer, "camera") == {document.code}
    assert codes(world.member, "camera") == {request.code}
    assert codes(world.coordinator, "camera") == {document.code, request.code}


def test_a_relabelled_item_is_found_or_hidden_at_once(world):
    post = make_post(
        world, world.coordinator, title="Copper cable theft", tlp=TLP.AMBER, orgs=[world.org_police_a]
    )
    assert codes(world.member, "copper") == set()
    post.tlp = TLP.GREEN  # lowered
    post.save()
    search.index_item(post)
    assert codes(world.member, "copper") == {post.code}
    assert codes(world.viewer, "copper") == {post.code}
    post.tlp = TLP.RED  # raised, naming only the member
    post.save()
    post.recipient_people.set([world.member])
    search.index_item(post)
    assert codes(world.member, "copper") == {post.code}
    assert codes(world.viewer, "copper") == set()


def test_a_member_who_left_finds_nothing_any_more(world):
    post = make_post(world, world.coordinator, title="Night patrol roster")
    assert codes(world.member, "roster") == {post.code}
    world.membership_member.status = MembershipStatus.SUSPENDED
    world.membership_member.save()
    assert codes(world.member, "roster") == set()


def test_the_confidentiality_gate_withholds_restricted_items(world):
    amber = make_post(world, world.coordinator, title="Gate amber", tlp=TLP.AMBER, orgs=[world.org_city_a])
    green = make_post(world, world.coordinator, title="Gate green")
    assert codes(world.member, "gate") == {amber.code, green.code}
    AgreementSettings.objects.update_or_create(
        partnership=world.partnership_a, defaults={"require_confidentiality": True}
    )
    assert codes(world.member, "gate") == {green.code}  # Malmö stad signed no confidentiality agreement


# The index follows the items -------------------------------------------------------------------------


def test_reindexing_after_an_edit_replaces_the_old_words(world):
    post = make_post(world, world.coordinator, title="Arson in the park")
    post.title = "Fire in the playground"
    post.save()
    search.index_item(post)
    assert codes(world.member, "arson") == set()
    assert codes(world.member, "playground") == {post.code}
    assert SearchEntry.objects.count() == 1


def test_deleted_and_unindexed_items_are_gone(world):
    deleted = make_post(world, world.coordinator, title="Scooter theft")
    unindexed = make_post(world, world.coordinator, title="Scooter parts")
    deleted.delete()
    search.unindex_item(unindexed)
    assert codes(world.member, "scooter") == set()
    assert SearchEntry.objects.count() == 0
    search.unindex_item(unindexed)  # twice is harmless
    # The full-text index follows the entries (SQLite: triggers; PostgreSQL: the entry's own column).
    search.index_item(unindexed)
    assert codes(world.member, "scooter") == {unindexed.code}


def test_unindexing_an_item_already_deleted_touches_no_other_entry(world):
    post = make_post(world, world.coordinator, title="Drill stolen")
    document = make_document(world, world.coordinator, title="Drill register")
    post.delete()
    search.unindex_item(post)  # its primary key is None now
    assert codes(world.member, "drill") == {document.code}


def test_reindex_all_rebuilds_every_entry_in_order_of_creation(world):
    with clock.frozen(_at(5)):
        post = make_post(world, world.coordinator, title="Moped theft")
    with clock.frozen(_at(1)):
        document = make_document(world, world.coordinator, title="Moped register")
    with clock.frozen(_at(3)):
        request = make_request(world, world.coordinator, title="Moped owners")
    SearchEntry.objects.all().delete()
    assert codes(world.member, "moped") == set()
    assert search.reindex_all() == {"post": 1, "document": 1, "request": 1}
    assert codes(world.member, "moped") == {post.code, document.code, request.code}
    by_id = list(SearchEntry.objects.order_by("pk").values_list("kind", flat=True))
    assert by_id == ["document", "request", "post"]


def test_index_item_refuses_what_is_not_searchable(world):
    with pytest.raises(TypeError):
        search.index_item(world.partnership_a)
    with pytest.raises(TypeError):
        search.unindex_item(world.partnership_a)


# Whatever is typed ----------------------------------------------------------------------------------

ODD_QUERIES = [
    "",
    "   ",
    '"',
    '""',
    '"unbalanced',
    "*",
    "engine*",
    "AND",
    "OR",
    "NOT",
    "engine AND",
    "NEAR",
    "NEAR(engine boat)",
    "NEAR(engine boat, 2)",
    "(",
    ")",
    "((engine)",
    "title:engine",
    "^engine",
    "-engine",
    "+engine",
    "engine:*",
    "'; DROP TABLE exchange_post; --",
    "%_%",
    "\\",
    "!&|<->",
    "a" * 5000,
    "x" * 41,
    "🚤 engine",
    "\x00engine",
    "{engine}",
    "engine OR boat",
    "-",
    ":",
]


@pytest.mark.parametrize("query", ODD_QUERIES)
def test_nothing_typed_raises(world, query):
    post = make_post(world, world.coordinator, title="Engine and boat", body="NEAR the quay, OR not.")
    page = search.search(user=world.member, query=query)
    assert all(hit.code == post.code for hit in page.results)


def test_query_syntax_words_are_searched_as_words(world):
    post = make_post(world, world.coordinator, title="Engine and boat", body="NEAR the quay, OR not.")
    make_post(world, world.coordinator, title="Engine only")
    assert codes(world.member, "engine AND boat") == {post.code}
    assert codes(world.member, "near quay") == {post.code}
    assert codes(world.member, "engine OR nothing") == set()  # OR is a word here, and "nothing" is not there
    assert codes(world.member, '"engine" "boat"') == {post.code}
    assert codes(world.member, "engine*") == {post.code, Post.objects.get(title="Engine only").code}


def test_query_terms():
    assert search.query_terms("  Stöld, i MALMÖ!  ") == ["stöld", "i", "malmö"]
    assert search.query_terms('NEAR("a" b)*') == ["near", "a", "b"]
    assert search.query_terms("a_b-c") == ["a", "b", "c"]
    assert search.query_terms("one " * 3 + " ".join(f"w{n}" for n in range(20))) == [
        "one",
        *[f"w{n}" for n in range(7)],
    ]
    assert search.query_terms("x" * 100) == ["x" * search.MAX_TERM_LENGTH]
    assert search.query_terms("") == []


# Cost ----------------------------------------------------------------------------------------------


def test_query_count_is_constant(world, django_assert_num_queries):
    for n in range(2):
        make_post(world, world.coordinator, title=f"Pallet theft {n}")
    make_document(world, world.coordinator, title="Pallet register")
    with django_assert_num_queries(3):  # the partnerships, the ranked candidates, the page
        small = search.search(user=world.member, query="pallet")
    for n in range(2, 30):
        make_post(world, world.coordinator, title=f"Pallet theft {n}", tlp=TLP.AMBER, orgs=[world.org_city_a])
        make_request(world, world.coordinator, title=f"Pallet request {n}")
    with django_assert_num_queries(3):
        large = search.search(user=world.member, query="pallet", limit=50)
    assert len(small.results) == 3 and len(large.results) == 50 and large.has_more
    with django_assert_num_queries(0):
        search.search(user=world.member, query="  ")


def test_the_engine_in_use(world):
    """The migration made the vendor's full-text index: an entry written through the ORM is searchable
    without any further step."""
    make_post(world, world.coordinator, title="Ladder theft")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM exchange_search_fts WHERE exchange_search_fts MATCH 'ladder'"
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM exchange_searchentry WHERE search_vector @@ to_tsquery('safepact_search', 'ladder')"
            )
        assert cursor.fetchone()[0] == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 is SQLite's")
def test_the_fts5_index_stays_in_step_with_the_entries(world):
    """The triggers keep the external-content FTS5 table exactly in step through inserts, updates and
    deletes (FTS5's own integrity check compares it with the entries)."""
    posts = [
        make_post(world, world.coordinator, title=f"Trailer {n}", body="Boat trailer.") for n in range(5)
    ]
    posts[0].title = "Caravan"
    posts[0].save()
    search.index_item(posts[0])
    posts[1].delete()
    search.unindex_item(posts[2])
    search.reindex_all()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO exchange_search_fts(exchange_search_fts, rank) VALUES ('integrity-check', 1)"
        )
    assert codes(world.member, "trailer") == {posts[0].code, posts[2].code, posts[3].code, posts[4].code}
