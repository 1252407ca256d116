"""Information exchange (issue 6): search over 100,000 posts by a member who may see a part of them.

    uv run python bench/exchange_search.py [--posts 100000] [--documents 2000] [--searches 200]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test uv run python bench/exchange_search.py

World (bulk-inserted, seeded: every run builds the same): five partnerships of eight partner organisations
(one member each); the measured member takes part in two of them (through the same organisation), which
hold 45 % of the posts. Posts are written from a Zipf-distributed vocabulary (English, Dutch and Swedish
words of the trade, with accents, place names and thousands of rarer names and serial numbers), titles
of 4-10 words and texts of 2-6 sentences, some with Markdown. Labels: 10 % CLEAR, 50 % GREEN, 25 % AMBER
and 8 % AMBER+STRICT (to 1-3 organisations of the partnership, the author's among them), 7 % RED (to 1-2
people). The member sees about 70 % of the posts of their two partnerships (CLEAR and GREEN, AMBER
addressed to their organisation, RED naming them, their own). Every item is indexed with
``search.reindex_all()`` (timed).

Measured: ``--searches`` calls of ``search.search(user=member, query=...)`` (a page of 20, ``has_more``,
snippets and URLs) after a warm-up: common words, rare words, two-word queries, prefixes, and a
partnership filter; p50/p95 overall and per group, the number of queries per search. Then half of them
as whole requests of the search page (``exchange:search`` of one of the member's partnerships, through
Django's test Client, logged in). The load average is printed before and after: the figures are wall
clock times and only mean something on a quiet machine. Baseline, in the
same run: the naive search a first version would write, ``visible_to(member, posts of their
partnerships)`` filtered with ``icontains`` on title and text for every word, newest first, 21 rows.
Target (issue 6): p95 < 150 ms on SQLite.
"""

import argparse
import gc
import os
import random
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from _setup import percentile, setup_django

SEED = 6


def _words(text: str) -> list[str]:
    return text.split()


COMMON = _words("""the and of to in a for is on with at by from this was that are be police shop city night
theft stolen burglary warning update news report car engine boat bicycle camera store area street week
owner suspect vehicle marina harbour centre evening morning please contact partners""")
TRADE = _words("""outboard motor trailer jetski dealer serial number registration plate insurance claim alarm
shoplifting fraud phishing invoice scam pickpocket graffiti vandalism arson drugs dealing loitering youth
patrol guard surveillance footage witness victim break-in window door lock garage warehouse container
port logistics truck van scooter moped e-bike catalytic converter copper cable metal scrap recycling
pawn second-hand online marketplace advert listing seller buyer cash transfer bank card skimming atm
parking lot station platform tram bus school park playground bridge river canal quay pier shipyard
fishing sailing yacht tender dinghy propeller hull keel anchor mooring berth club member meeting minutes
covenant agreement coordinator municipality council prosecutor customs tax inspector fire brigade
ambulance hospital pharmacy supermarket jeweller electronics phone laptop tablet tools drill grinder
ladder construction site crane excavator diesel fuel theft tank siphon pallet forklift gps tracker
chip marking database check alert hit overlap blocklist screening evaluation continuity funding""")
DUTCH = _words("""diefstal inbraak winkeldiefstal fiets fietsendiefstal buitenboordmotor jachthaven haven politie
gemeente ondernemer winkelier bedrijventerrein beveiliging camera's toezicht melding aangifte verdachte
waarschuwing overlast jongeren nacht avond ochtend week eigenaar handelaar opkoper tweedehands
kentekenplaat verzekering schade oplichting phishing pinpas skimmen overval geweld bedreiging ramen
deuren sloten garage loods container vrachtwagen bestelbus scooter brommer samenwerking convenant
gegevens uitwisseling privacy grondslag doelbinding verwerking bewaartermijn""")
SWEDISH = _words("""stöld inbrott båt båtmotor utombordare hamn småbåtshamn polisen kommun butik handlare
fastighetsägare övervakning kamera anmälan misstänkt varning ungdomar natt kväll morgon vecka ägare
försäkring skada bedrägeri stulen cykel moped lastbil skåpbil garage förråd container samverkan
trygghet säkerhet brottsförebyggande områdesavtal fastighet tvättstuga källare trapphus gård""")
PLACES = _words("""Malmö Sofielund Rosengård Möllevången Göteborg Lund Helsingborg Ystad Trelleborg Limhamn
Heerlen Kerkrade Landgraaf Brunssum Parkstad Maastricht Sittard Roermond Venlo Eindhoven Utrecht
Rotterdam Amsterdam Antwerpen Gent Köln Aachen Düsseldorf København Øresund""")
SYLLABLES = _words("""berg ström lind qvist son sen de van der vel hof man dahl gren holm ek sjö al bo ka ri to
ve ni la mo su pe an er ik jo ha na li ma ro sa te vi""")


def vocabulary(rng: random.Random) -> list[str]:
    """Words in falling frequency: common words, the trade's words in three languages and places, then
    thousands of made-up names and serial numbers (the rare words a search for a person or object uses)."""
    names = set()
    while len(names) < 6000:
        names.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize())
    serials = {
        f"{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}{rng.randint(1000, 99999)}"
        for _ in range(6000)
    }
    middle = TRADE + DUTCH + SWEDISH + PLACES
    rng.shuffle(middle)
    tail = sorted(names) + sorted(serials)
    rng.shuffle(tail)
    return COMMON + middle + tail


class Writer:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.words = vocabulary(rng)
        weights = [1 / (rank + 1) ** 1.07 for rank in range(len(self.words))]
        total, self.cum = 0.0, []
        for w in weights:
            total += w
            self.cum.append(total)

    def words_(self, n: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=n)

    def title(self) -> str:
        return " ".join(self.words_(self.rng.randint(4, 10))).capitalize()

    def body(self) -> str:
        sentences = [
            " ".join(self.words_(self.rng.randint(8, 20))).capitalize() + "."
            for _ in range(self.rng.randint(2, 6))
        ]
        roll = self.rng.random()
        if roll < 0.15:
            sentences[0] = "**" + sentences[0] + "**"
        elif roll < 0.25:
            sentences = [f"- {s}" for s in sentences]
            return "\n".join(sentences)
        return " ".join(sentences)


def build(n_posts: int, n_documents: int):
    from safepact.accounts.models import Organisation, User
    from safepact.exchange.models import Document, Post
    from safepact.lib.tlp import TLP
    from safepact.partnerships.models import Membership, Partner, Partnership, PartnerStatus, Role

    rng = random.Random(SEED)
    writer = Writer(rng)
    shares = [0.30, 0.25, 0.20, 0.15, 0.10]
    partnerships = Partnership.objects.bulk_create(
        Partnership(name=f"Partnership {n}", purpose="Safety.") for n in range(len(shares))
    )
    orgs = Organisation.objects.bulk_create(
        Organisation(name=f"Organisation {n}-{k}", kind="business", country="SE")
        for n in range(len(shares))
        for k in range(8)
    )
    partners = Partner.objects.bulk_create(
        Partner(partnership=p, organisation=orgs[n * 8 + k], status=PartnerStatus.ACTIVE)
        for n, p in enumerate(partnerships)
        for k in range(8)
    )
    # The measured member's organisation is organisation 0-1, a partner of partnerships 0 and 3 as well.
    member_org = orgs[1]
    partners.append(
        Partner.objects.create(
            partnership=partnerships[3], organisation=member_org, status=PartnerStatus.ACTIVE
        )
    )
    member = User(email="member@bench.example", full_name="Mia Member", password="!")
    member.save()
    people = User.objects.bulk_create(
        User(email=f"p{partner.pk}@bench.example", full_name=f"Person {partner.pk}", password="!")
        for partner in partners
        if partner.organisation_id != member_org.pk
    )
    person = iter(people)
    memberships = []
    for partner in partners:
        user = member if partner.organisation_id == member_org.pk else next(person)
        memberships.append(Membership(partner=partner, user=user, role=Role.MEMBER))
    Membership.objects.bulk_create(memberships)
    by_partnership = defaultdict(list)  # partnership id -> [(user id, organisation id)]
    for partner, membership in zip(partners, memberships, strict=True):
        by_partnership[partner.partnership_id].append((membership.user_id, partner.organisation_id))

    labels = [TLP.CLEAR] * 10 + [TLP.GREEN] * 50 + [TLP.AMBER] * 25 + [TLP.AMBER_STRICT] * 8 + [TLP.RED] * 7
    start = datetime(2024, 1, 1, tzinfo=UTC)
    step = timedelta(days=700) / max(n_posts, 1)
    orgs_through = Post.recipient_organisations.through
    people_through = Post.recipient_people.through
    posts_made = 0
    for chunk_start in range(0, n_posts, 5000):
        posts, recipients = [], []
        for i in range(chunk_start, min(n_posts, chunk_start + 5000)):
            p = partnerships[rng.choices(range(len(shares)), weights=shares)[0]]
            members = by_partnership[p.pk]
            author, author_org = rng.choice(members)
            label = rng.choice(labels)
            posts.append(
                Post(
                    partnership=p,
                    kind=rng.choice(["news", "update", "warning", "good_practice"]),
                    title=writer.title()[:200],
                    body=writer.body(),
                    tlp=label,
                    created_by_id=author,
                    created_at=start + step * i,
                    updated_at=start + step * i,
                )
            )
            if label in (TLP.AMBER, TLP.AMBER_STRICT):
                chosen = {author_org} | {org for _u, org in rng.sample(members, rng.randint(1, 3))}
                recipients.append(("org", chosen))
            elif label == TLP.RED:
                recipients.append(("people", {u for u, _o in rng.sample(members, rng.randint(1, 2))}))
            else:
                recipients.append(None)
        posts = Post.objects.bulk_create(posts)
        org_rows, people_rows = [], []
        for post, chosen in zip(posts, recipients, strict=True):
            if chosen and chosen[0] == "org":
                org_rows += [orgs_through(post_id=post.pk, organisation_id=o) for o in chosen[1]]
            elif chosen:
                people_rows += [people_through(post_id=post.pk, user_id=u) for u in chosen[1]]
        orgs_through.objects.bulk_create(org_rows)
        people_through.objects.bulk_create(people_rows)
        posts_made += len(posts)
    documents = []
    for i in range(n_documents):
        p = partnerships[rng.choices(range(len(shares)), weights=shares)[0]]
        author, _org = rng.choice(by_partnership[p.pk])
        documents.append(
            Document(
                partnership=p,
                title=writer.title()[:200],
                description=writer.body(),
                tlp=rng.choice([TLP.CLEAR, TLP.GREEN, TLP.GREEN]),
                created_by_id=author,
                created_at=start + timedelta(hours=i),
                updated_at=start + timedelta(hours=i),
            )
        )
    Document.objects.bulk_create(documents)
    return member, partnerships, writer


def queries(writer: Writer, partnerships, n: int, rng: random.Random) -> list[tuple[str, str, object]]:
    """(group, text, partnership or None): ``n`` searches in five groups."""
    words = writer.words
    common = words[:60]
    middle = words[60:400]
    rare = words[2000:]
    out = []
    for i in range(n):
        group = ("common", "rare", "two words", "prefix", "partnership")[i % 5]
        if group == "common":
            text = rng.choice(common)
        elif group == "rare":
            text = rng.choice(rare)
        elif group == "two words":
            text = f"{rng.choice(common + middle)} {rng.choice(middle)}"
        elif group == "prefix":
            word = rng.choice([w for w in middle if len(w) >= 6])
            text = word[: rng.randint(3, 5)]
        else:
            text = rng.choice(common + middle)
        out.append(
            (
                group,
                text,
                rng.choice(partnerships[:1] + partnerships[3:4]) if group == "partnership" else None,
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--documents", type=int, default=2_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument(
        "--keep",
        metavar="PATH",
        help="SQLite only: build the world into PATH, or reuse it when PATH exists (for tuning runs)",
    )
    args = parser.parse_args()
    reuse = bool(args.keep) and os.path.exists(args.keep)
    if args.keep:
        os.environ["SQLITE_PATH"] = os.path.abspath(args.keep)
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safepact.settings")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        vendor = "sqlite"
    else:
        vendor = setup_django()

    from django.db import connection
    from django.db.models import Q
    from django.test.utils import CaptureQueriesContext

    from safepact.exchange import search as exchange_search
    from safepact.exchange.models import Post
    from safepact.partnerships.selectors import partnerships_for
    from safepact.partnerships.tlp import visible_to

    started = time.perf_counter()
    if reuse:
        from safepact.accounts.models import User
        from safepact.partnerships.models import Partnership

        member = User.objects.get(email="member@bench.example")
        partnerships = list(Partnership.objects.order_by("pk"))
        writer = Writer(random.Random(SEED))
    else:
        member, partnerships, writer = build(args.posts, args.documents)
    built = time.perf_counter() - started
    started = time.perf_counter()
    counts = exchange_search.reindex_all() if not reuse else {}
    indexed = time.perf_counter() - started
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    gc.collect()
    gc.freeze()
    mine = visible_to(member, Post.objects.filter(partnership__in=partnerships_for(member))).count()
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"exchange search benchmark on {vendor}: {args.posts:,} posts and {args.documents:,} documents in "
        f"{len(partnerships)} partnerships, the member sees {mine:,} posts; built in {built:.1f} s, "
        f"indexed in {indexed:.1f} s ({', '.join(f'{n:,} {kind}s' for kind, n in counts.items())})"
    )

    searches = queries(writer, partnerships, args.searches, random.Random(SEED + 1))

    def run(text, partnership):
        return exchange_search.search(user=member, query=text, partnership=partnership)

    def baseline(text, partnership):
        ids = [partnership.pk] if partnership else partnerships_for(member).values("pk")
        qs = visible_to(member, Post.objects.filter(partnership_id__in=ids))
        for term in exchange_search.query_terms(text):
            qs = qs.filter(Q(title__icontains=term) | Q(body__icontains=term))
        return list(qs.order_by("-created_at")[:21])

    for _group, text, partnership in searches[:10]:  # warm-up
        run(text, partnership)
        baseline(text, partnership)
    timings, base_timings, by_group, hits, query_counts = [], [], defaultdict(list), [], set()
    for group, text, partnership in searches:
        start = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            page = run(text, partnership)
        elapsed = (time.perf_counter() - start) * 1000
        query_counts.add(len(ctx.captured_queries))
        timings.append(elapsed)
        by_group[group].append(elapsed)
        hits.append(len(page.results) + (1 if page.has_more else 0))
        start = time.perf_counter()
        baseline(text, partnership)
        base_timings.append((time.perf_counter() - start) * 1000)

    # The whole search page, as a person uses it: GET exchange:search of one of the member's partnerships.
    from django.test import Client
    from django.urls import reverse

    client = Client(HTTP_HOST="localhost")
    client.force_login(member)
    own = partnerships[0]
    url = reverse("exchange:search", kwargs={"code": own.code})

    def get_page(text):
        response = client.get(url, {"q": text})
        assert response.status_code == 200, response.status_code
        return response

    page_searches = searches[: max(10, len(searches) // 2)]
    for _group, text, _partnership in page_searches[:5]:
        get_page(text)
    page_timings = []
    for _group, text, _partnership in page_searches:
        start = time.perf_counter()
        get_page(text)
        page_timings.append((time.perf_counter() - start) * 1000)

    def fig(values):
        return f"p50 {percentile(values, 50):7.1f} ms  p95 {percentile(values, 95):7.1f} ms"

    p95, base95 = percentile(timings, 95), percentile(base_timings, 95)
    print(
        f"\n{len(searches)} searches (queries per search: {sorted(query_counts)}; "
        f"{sum(1 for h in hits if h == 0)} found nothing, {sum(1 for h in hits if h > 20)} more than a page)"
    )
    print(f"  baseline: visible_to + icontains, newest 21   {fig(base_timings)}")
    print(
        f"  search.search (page of 20, snippets)         {fig(timings)}  ({p95 / base95:.2f}x baseline p95)"
    )
    for group, values in by_group.items():
        print(f"    {group:<12} n={len(values):<4}                    {fig(values)}")
    print(f"  GET exchange:search, whole request (n={len(page_timings)})  {fig(page_timings)}")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    verdict = "meets" if p95 < 150 else "MISSES"
    print(f"\nTarget p95 < 150 ms: {verdict} ({p95:.1f} ms)")


if __name__ == "__main__":
    main()
