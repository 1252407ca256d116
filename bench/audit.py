"""Audit trail: cost of the hash chain on writes, and verification speed.

    uv run python bench/audit.py [--events 5000]

Baseline, measured in the same run: the same rows inserted with a plain ORM insert
(no chain lookup, no hashing, no lock). Prints events/s for both and the ratio.
"""

import argparse

from _setup import setup_django, timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    vendor = setup_django()

    from django.db import transaction

    from safepact.accounts.services import organisation_create, user_create
    from safepact.audit.chain import verify
    from safepact.audit.models import AuditEvent
    from safepact.audit.services import audit_record
    from safepact.lib import clock
    from safepact.partnerships.services import partnership_create

    with transaction.atomic():
        user = user_create(email="bench@example.org", full_name="Bench", password=None)
        org = organisation_create(actor=user, name="Bench org", kind="ngo", country="NL")
        partnership = partnership_create(
            actor=user, organisation=org, name="Bench", purpose="b", country="NL"
        )

    n = args.events

    def chained():
        for i in range(n):
            with transaction.atomic():
                audit_record(
                    actor=user,
                    action="bench.event",
                    target=partnership,
                    partnership=partnership,
                    after={"i": i},
                )

    def plain():
        for i in range(n):
            with transaction.atomic():
                AuditEvent.objects.create(
                    chain="baseline",
                    seq=i + 1,
                    occurred_at=clock.now(),
                    action="bench.event",
                    actor_code=str(user.code),
                    after={"i": i},
                    prev_hash="0" * 64,
                    hash=f"{i:064x}",
                )

    t_plain, _ = timed(plain)
    t_chain, _ = timed(chained)
    t_verify, breaks = timed(
        lambda: verify(
            e.chain_fields()
            for e in AuditEvent.objects.filter(chain=str(partnership.code)).iterator(chunk_size=2000)
        )
    )
    assert not breaks
    print(f"database: {vendor}; events: {n}")
    print(f"baseline plain insert (one transaction each): {n / t_plain:,.0f} events/s")
    print(
        f"audit_record with hash chain:                 {n / t_chain:,.0f} events/s "
        f"(ratio {t_chain / t_plain:.2f}x the baseline time)"
    )
    print(f"verify chain:                                 {n / t_verify:,.0f} events/s")


if __name__ == "__main__":
    main()
