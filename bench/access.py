"""Access helpers under load: a person in 50 partnerships, among many others.

    uv run python bench/access.py [--partnerships 2000] [--mine 50] [--repeat 300]

Measures p50/p95 of ``get_partnership_for_user`` (the 404/403 helper every page and endpoint
calls) and of the dashboard selector, next to a baseline measured in the same run: one raw
indexed SQL lookup of the membership row.
"""

import argparse
import random
import time

from _setup import percentile, setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partnerships", type=int, default=2000)
    parser.add_argument("--mine", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    vendor = setup_django()

    from django.db import connection

    from safepact.accounts.models import Organisation, User
    from safepact.partnerships.models import Membership, Partner, Partnership
    from safepact.partnerships.selectors import dashboard_for, get_partnership_for_user

    # Bulk data (benchmark fixtures, not the audited services: we measure reads here).
    me = User.objects.create_user("me@example.org", None, full_name="Me")
    others = User.objects.bulk_create(
        [User(email=f"p{i}@example.org", full_name=f"P {i}") for i in range(200)]
    )
    orgs = Organisation.objects.bulk_create(
        [Organisation(name=f"Org {i}", kind="business", country="NL") for i in range(500)]
    )
    partnerships = Partnership.objects.bulk_create(
        [Partnership(name=f"P {i}", purpose="x", country="NL") for i in range(args.partnerships)]
    )
    partners = Partner.objects.bulk_create(
        [
            Partner(partnership=p, organisation=orgs[(i * 7 + k) % len(orgs)], status="active")
            for i, p in enumerate(partnerships)
            for k in range(5)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(partner=partner, user=others[(i * 3) % len(others)], role="member")
            for i, partner in enumerate(partners)
        ]
    )
    mine = random.Random(1).sample(range(len(partnerships)), args.mine)
    Membership.objects.bulk_create(
        [
            Membership(partner=partners[i * 5], user=me, role="coordinator" if n % 3 == 0 else "member")
            for n, i in enumerate(mine)
        ]
    )
    codes = [partnerships[i].code for i in mine]

    def measure(fn):
        samples = []
        for n in range(args.repeat):
            start = time.perf_counter()
            fn(n)
            samples.append((time.perf_counter() - start) * 1000)
        return percentile(samples, 50), percentile(samples, 95)

    def raw(n):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT m.role FROM partnerships_membership m JOIN partnerships_partner p ON p.id = m.partner_id "
                "WHERE m.user_id = %s AND p.partnership_id = %s",
                [me.pk, partnerships[mine[n % len(mine)]].pk],
            )
            cursor.fetchone()

    base = measure(raw)
    helper = measure(lambda n: get_partnership_for_user(me, codes[n % len(codes)]))
    dash = measure(lambda n: dashboard_for(user=me))
    from django.test import Client

    client = Client()
    client.force_login(me)
    assert client.get("/").status_code == 200
    page = measure(lambda n: client.get("/"))
    print(f"database: {vendor}; partnerships: {args.partnerships}; mine: {args.mine}; repeat: {args.repeat}")
    print(f"baseline raw membership lookup: p50 {base[0]:.3f} ms, p95 {base[1]:.3f} ms")
    print(
        f"get_partnership_for_user:       p50 {helper[0]:.3f} ms, p95 {helper[1]:.3f} ms "
        f"({helper[1] / base[1]:.1f}x baseline p95)"
    )
    print(
        f"dashboard_for (50 partnerships): p50 {dash[0]:.3f} ms, p95 {dash[1]:.3f} ms "
        f"({dash[1] / base[1]:.1f}x baseline p95)"
    )
    print(f"dashboard page, full request:    p50 {page[0]:.3f} ms, p95 {page[1]:.3f} ms")


if __name__ == "__main__":
    main()
