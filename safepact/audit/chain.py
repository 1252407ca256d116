"""The hash chain of the audit trail, in plain Python (standard library only).

This module is deliberately free of Django so an auditor can verify an exported
trail offline: ``python safepact/audit/chain.py export.json``.

Each event belongs to a chain (one per partnership, plus ``platform``) and carries
its sequence number in that chain, the hash of the previous event in the chain and
its own hash: SHA-256 over the canonical JSON of all its fields.
"""

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GENESIS = "0" * 64
HASHED_FIELDS = (
    "chain",
    "seq",
    "occurred_at",
    "actor_code",
    "actor_label",
    "action",
    "partnership_code",
    "target_type",
    "target_code",
    "target_label",
    "before",
    "after",
    "reason",
    "ip",
    "prev_hash",
)


def canonical(fields: Mapping) -> bytes:
    payload = {name: fields.get(name) for name in HASHED_FIELDS}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_hash(fields: Mapping) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()


@dataclass(frozen=True)
class Break:
    chain: str
    seq: int
    code: str
    problem: str

    def __str__(self) -> str:
        return f"chain {self.chain}, event #{self.seq} ({self.code}): {self.problem}"


def verify(events: Iterable[Mapping]) -> list[Break]:
    """Check events (dicts with the hashed fields plus ``hash`` and ``code``), in any order.

    Returns the first break of every chain; an empty list means every chain is intact.
    """
    by_chain: dict[str, list[Mapping]] = {}
    for event in events:
        by_chain.setdefault(str(event["chain"]), []).append(event)
    breaks: list[Break] = []
    for chain, chain_events in sorted(by_chain.items()):
        chain_events.sort(key=lambda e: int(e["seq"]))
        expected_prev, expected_seq = GENESIS, 1
        for event in chain_events:
            seq, code = int(event["seq"]), str(event.get("code", ""))
            problem = None
            if seq != expected_seq:
                problem = f"expected event #{expected_seq} here: events are missing before it"
            elif event["prev_hash"] != expected_prev:
                problem = "its previous-hash does not match the event before it"
            elif event_hash(event) != event["hash"]:
                problem = "its content does not match its hash: the event was changed"
            if problem:
                breaks.append(Break(chain, seq, code, problem))
                break
            expected_prev, expected_seq = event["hash"], seq + 1
    return breaks


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python chain.py EXPORT.json", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as handle:
        data = json.load(handle)
    events = data["events"] if isinstance(data, dict) else data
    breaks = verify(events)
    for item in breaks:
        print(f"BROKEN: {item}")
    if not breaks:
        print(f"OK: {len(events)} events, every chain intact")
    return 1 if breaks else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
