"""Partner directory search with 10,000 published profiles.

    uv run python bench/directory.py [--organisations 10000] [--searches 300]

Measures p50/p95 of the search as the directory page runs it (``directory_page``: the keys of the
first 25 with the total, ``COUNT(*) OVER ()``, in one scan; then those 25 rows by key), over searches
with varied text and filters, next to a baseline measured in the same run: the same SQL written by hand
(``SELECT id, COUNT(*) OVER () ... WHERE published AND search_text LIKE ... AND <the same filters>
ORDER BY name LIMIT 25``, then those 25 rows by key). Then the whole directory page request through
Django's test Client (logged in, 25 results, the filter form).
Target: p95 under 100 ms for the selector and the page.
"""

import argparse
import json
import random
import time

from _setup import percentile, setup_django

WORDS = [
    "safe",
    "secure",
    "veilig",
    "city",
    "harbour",
    "retail",
    "night",
    "youth",
    "camera",
    "shop",
    "street",
    "centre",
    "north",
    "south",
    "metro",
    "bright",
    "guard",
    "watch",
    "bridge",
    "market",
    "park",
    "river",
]
REGIONS = [
    "Skåne",
    "Malmö",
    "Stockholm",
    "Göteborg",
    "Utrecht",
    "Amsterdam",
    "Rotterdam",
    "Limburg",
    "Parkstad",
    "Brabant",
    "Antwerpen",
    "Gent",
    "Brussels",
    "Hamburg",
    "Berlin",
    "Köln",
    "Oslo",
    "København",
]
PHRASES = [
    "We prevent burglary in residential areas",
    "Our members run shops in the city centre",
    "We train staff to recognise fraud",
    "Camera surveillance of business parks",
    "Youth work and street coaching in the evenings",
    "Research on organised crime and money laundering",
    "We light up dark streets and parks",
    "Registration and marking of bicycles and tools",
    "A network of entrepreneurs sharing alerts",
    "Private security patrols at night",
    "Campaigns against online fraud and phishing",
    "Support for victims of human trafficking",
]
OFFERS = [
    "Data on incidents",
    "Funding for pilots",
    "Meeting rooms",
    "Training sessions",
    "Guards",
    "Cameras",
    "Expertise",
    "A members' newsletter",
    "Legal advice",
    "Volunteers",
]
SEARCH_TERMS = [
    "burglary",
    "fraud",
    "camera",
    "youth",
    "malmö",
    "utrecht",
    "security",
    "shop",
    "training",
    "network",
    "woninginbraak",
    "winkelcriminaliteit",
    "patrols",
    "lighting",
    "veilig",
    "harbour",
    "brabant",
    "night",
    "funding",
    "zzzz-no-match",
]


def build(n: int, rng: random.Random) -> None:
    from safepact.accounts.models import Organisation, OrganisationKind, Sector
    from safepact.formation.models import Capability, DirectoryProfile
    from safepact.formation.services.directory import build_search_text
    from safepact.partnerships.models import CrimeArea

    kinds = OrganisationKind.values
    kind_weights = [
        8,
        6,
        4,
        50,
        8,
        16,
        8,
    ]  # municipality, police, authority, business, umbrella, ngo, knowledge
    sectors = Sector.values
    countries = ["NL"] * 35 + ["SE"] * 20 + ["BE"] * 15 + ["DE"] * 15 + ["NO"] * 5 + ["DK"] * 5 + ["FR"] * 5
    orgs = []
    for i in range(n):
        name = (
            " ".join(rng.sample(WORDS, 2)).title()
            + f" {rng.choice(['BV', 'AB', 'Foundation', 'NV', 'GmbH'])} {i}"
        )
        orgs.append(
            Organisation(
                name=name,
                kind=rng.choices(kinds, kind_weights)[0],
                sector=rng.choice(sectors),
                country=rng.choice(countries),
            )
        )
    orgs = Organisation.objects.bulk_create(orgs, batch_size=1000)
    profiles = []
    for org in orgs:
        profile = DirectoryProfile(
            organisation=org,
            published=rng.random() < 0.95,
            summary=". ".join(rng.sample(PHRASES, 3)) + ".",
            regions=", ".join(rng.sample(REGIONS, rng.randint(1, 3))),
            crime_areas=rng.sample(CrimeArea.values, rng.randint(1, 4)),
            capabilities=rng.sample(Capability.values, rng.randint(1, 5)),
            offers=", ".join(rng.sample(OFFERS, 3)),
            contact_role="Prevention officer",
        )
        profile.search_text = build_search_text(organisation=org, profile=profile)
        profiles.append(profile)
    DirectoryProfile.objects.bulk_create(profiles, batch_size=1000)


def searches(count: int, rng: random.Random) -> list[dict]:
    from safepact.accounts.models import OrganisationKind, Sector
    from safepact.formation.models import Capability
    from safepact.partnerships.models import CrimeArea

    out = []
    for _ in range(count):
        filters = {}
        if rng.random() < 0.8:
            filters["text"] = " ".join(rng.sample(SEARCH_TERMS, rng.choice([1, 1, 2])))
        if rng.random() < 0.3:
            filters["kind"] = rng.choice(OrganisationKind.values)
        if rng.random() < 0.3:
            filters["sector"] = rng.choice(Sector.values)
        if rng.random() < 0.4:
            filters["country"] = rng.choice(["NL", "SE", "BE", "DE"])
        if rng.random() < 0.3:
            filters["crime_area"] = rng.choice(CrimeArea.values)
        if rng.random() < 0.3:
            filters["capability"] = rng.choice(Capability.values)
        out.append(filters)
    return out


def raw_search(cursor, filters: dict, vendor: str) -> None:
    """The baseline: the same two statements as plain SQL, no ORM: the keys of the first 25 with the
    total, then those 25 rows."""
    where = ["p.published"]
    params: list = []
    for word in (filters.get("text") or "").lower().split():
        where.append("p.search_text LIKE %s")
        params.append(f"%{word}%")
    for name, column in (("kind", "o.kind"), ("sector", "o.sector"), ("country", "o.country")):
        if filters.get(name):
            where.append(f"{column} = %s")
            params.append(filters[name])
    for name, column in (("crime_area", "p.crime_areas"), ("capability", "p.capabilities")):
        if filters.get(name) and vendor == "postgresql":
            where.append(f"{column} @> %s::jsonb")  # what the selector does on PostgreSQL
            params.append(json.dumps([filters[name]]))
        elif filters.get(name):
            where.append(f"UPPER(CAST({column} AS TEXT)) LIKE UPPER(%s)")
            params.append(f'%"{filters[name]}"%')
    sql_from = (
        " FROM formation_directoryprofile p JOIN accounts_organisation o ON o.id = p.organisation_id WHERE "
        + " AND ".join(where)
    )
    cursor.execute("SELECT p.id, COUNT(*) OVER ()" + sql_from + " ORDER BY o.name, p.id LIMIT 25", params)
    keys = [row[0] for row in cursor.fetchall()]
    if keys:
        marks = ", ".join(["%s"] * len(keys))
        cursor.execute(
            "SELECT p.*, o.* FROM formation_directoryprofile p JOIN accounts_organisation o "
            f"ON o.id = p.organisation_id WHERE p.id IN ({marks})",
            keys,
        )
        cursor.fetchall()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--organisations", type=int, default=10_000)
    parser.add_argument("--searches", type=int, default=300)
    args = parser.parse_args()
    vendor = setup_django()

    from django.core.paginator import Paginator
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from safepact.accounts.models import User
    from safepact.formation.selectors.directory import directory_page, directory_search

    rng = random.Random(7)
    start = time.perf_counter()
    build(args.organisations, rng)
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    built = time.perf_counter() - start
    me = User.objects.create_user("me@example.org", None, full_name="Me")
    plan = searches(args.searches, rng)

    def measure(fn):
        fn(plan[0])  # warm up
        samples = []
        for filters in plan:
            t0 = time.perf_counter()
            fn(filters)
            samples.append((time.perf_counter() - t0) * 1000)
        return percentile(samples, 50), percentile(samples, 95)

    def selector(filters):
        page = directory_page(user=me, number=1, per_page=25, **filters)
        page.paginator.count  # noqa: B018 - the total the page shows
        list(page.object_list)

    def raw(filters):
        with connection.cursor() as cursor:
            raw_search(cursor, filters, vendor)

    client = Client()
    client.force_login(me)
    url = reverse("formation:directory")

    def page(filters):
        query = {("q" if k == "text" else k): v for k, v in filters.items()}
        response = client.get(url, query)
        assert response.status_code == 200

    hits = [Paginator(directory_search(user=me, **f), 25).count for f in plan]
    base = measure(raw)
    sel = measure(selector)
    whole = measure(page)
    print(
        f"database: {vendor}; organisations: {args.organisations} (built in {built:.1f} s); "
        f"searches: {len(plan)}; hits per search: median {percentile(hits, 50)}, max {max(hits)}"
    )
    print(f"baseline raw SQL (same two statements):       p50 {base[0]:.2f} ms, p95 {base[1]:.2f} ms")
    print(
        f"directory_page (selector):                    p50 {sel[0]:.2f} ms, p95 {sel[1]:.2f} ms "
        f"({sel[1] / base[1]:.1f}x baseline p95)"
    )
    print(f"directory page, whole request:                p50 {whole[0]:.2f} ms, p95 {whole[1]:.2f} ms")
    ok = sel[1] < 100 and whole[1] < 100
    print("target p95 < 100 ms:", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
