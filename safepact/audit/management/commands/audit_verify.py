"""Verify the audit trail: every hash chain, one partnership's chain, or an exported file.

Exit status 0 when intact, 1 when a chain is broken (each broken chain is named with its first
broken event). The head hash of each chain is printed so it can be anchored elsewhere (a ticket,
an e-mail to the partners, a notary): deleting the newest events cannot be seen from inside the
chain, only by comparing its head with an anchored one.
"""

import itertools
import json
from operator import itemgetter
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError

from safepact.audit import chain
from safepact.audit.models import AuditEvent


class Command(BaseCommand):
    help = "Verify the hash chains of the audit trail (or of an exported JSON file)."

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group()
        source.add_argument("--partnership", metavar="CODE", help="Verify only this partnership's chain.")
        source.add_argument("--file", metavar="EXPORT.json", help="Verify an exported trail, offline.")
        parser.add_argument(
            "--chunk-size", type=int, default=2000, help="Events read from the database per round trip."
        )

    def handle(self, *args, **options):
        if options["file"]:
            events = self._read_file(options["file"])
            chains = [
                (name, list(group))
                for name, group in itertools.groupby(
                    sorted(events, key=lambda e: (str(e["chain"]), int(e["seq"]))),
                    key=lambda e: str(e["chain"]),
                )
            ]
        else:
            chains = self._database_chains(options["partnership"], options["chunk_size"])
        self._report(chains)

    def _read_file(self, path: str) -> list[dict]:
        try:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        except ValueError as exc:
            raise CommandError(f"{path} is not JSON: {exc}") from exc
        events = data.get("events") if isinstance(data, dict) else data
        if not isinstance(events, list) or not all(
            isinstance(e, dict) and {"chain", "seq", "prev_hash", "hash"} <= e.keys() for e in events
        ):
            raise CommandError(
                f"{path} is not an audit trail export: expected a list of events with chain, seq and hashes."
            )
        try:
            for event in events:
                int(event["seq"])
        except (TypeError, ValueError) as exc:
            raise CommandError(f"{path} has an event whose seq is not a number.") from exc
        return events

    def _database_chains(self, partnership: str | None, chunk_size: int):
        """Stream the events ordered by chain and seq; hold one chain at a time in memory."""
        events = AuditEvent.objects.order_by("chain", "seq")
        if partnership:
            try:
                code = str(UUID(partnership))
            except ValueError as exc:
                raise CommandError(
                    f"--partnership must be a partnership code (a UUID), not {partnership!r}."
                ) from exc
            events = events.filter(chain=code)
            if not events.exists():
                raise CommandError(f"No audit events for partnership {code}.")
        fields = (event.chain_fields() for event in events.iterator(chunk_size=chunk_size))
        for name, group in itertools.groupby(fields, key=itemgetter("chain")):
            yield name, list(group)

    def _report(self, chains) -> None:
        total_events = total_chains = 0
        broken: list[chain.Break] = []
        heads = []
        for name, events in chains:
            total_chains += 1
            total_events += len(events)
            breaks = chain.verify(events)
            broken.extend(breaks)
            last = events[-1]
            heads.append((name, len(events), last["seq"], last["hash"], bool(breaks)))
        for name, count, seq, head, is_broken in heads:
            state = "BROKEN" if is_broken else "ok"
            self.stdout.write(f"chain {name}: {count} events, head #{seq} {head} [{state}]")
        self.stdout.write(f"Checked {total_events} events in {total_chains} chain(s).")
        for item in broken:
            self.stdout.write(f"BROKEN: {item}")
        if broken:
            raise CommandError(
                f"The audit trail is broken in {len(broken)} chain(s); see the BROKEN lines above.",
                returncode=1,
            )
        self.stdout.write(self.style.SUCCESS("OK: every chain is intact."))
