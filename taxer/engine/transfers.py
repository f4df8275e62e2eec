"""Pairing withdrawals with deposits in the user's other accounts, so moving coins is not taxed as a sale."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal

from taxer.engine.ordering import crypto
from taxer.model import Kind, Transaction

# Bounds that keep a pathological ledger (thousands of deposits of one coin a day) linear: deposits looked at
# per withdrawal and receiving account, and deposits one augmenting search may visit.
_SCAN_LIMIT = 256
_SEARCH_LIMIT = 64


def match_transfers(ledger: Sequence[Transaction], times: Sequence[int], window_us: int,
                    forced: Mapping[int, int] | None = None, excluded: Collection[int] = frozenset()) -> dict[int, int]:
    """Pairs {withdrawal index: deposit index} of the same asset between two different accounts.

    `forced` pairs (the user's decisions) are taken as they are, and neither their transactions nor the
    `excluded` indices are matched otherwise.

    A pair shares a non-empty tx hash; failing that, the deposit comes within `window_us` microseconds after
    the withdrawal and receives no more than was sent, the closest in time preferred, then the closest amount.
    Each deposit is used once. `ledger` is in processing order and `times` holds its timestamps in
    microseconds, so the result does not depend on input order. Deposits are indexed by (asset, hash) and by
    asset, account and time: no two transactions are compared unless they could match.
    """
    by_hash: dict[tuple[str, str], list[int]] = defaultdict(list)
    # asset -> receiving account -> (deposit times, deposit indices), in time order
    by_place: dict[str, dict[str, tuple[list[int], list[int]]]] = defaultdict(dict)
    withdrawals: list[int] = []
    forced = dict(forced or {})
    taken = set(excluded) | set(forced) | set(forced.values())
    for i, tx in enumerate(ledger):
        if i in taken:
            continue
        if tx.kind is Kind.DEPOSIT and (leg := crypto(tx.received)) is not None:
            if tx.tx_hash:
                by_hash[leg.asset, tx.tx_hash].append(i)
            at, idx = by_place[leg.asset].setdefault(tx.account, ([], []))
            at.append(times[i])
            idx.append(i)
        elif tx.kind is Kind.WITHDRAWAL and crypto(tx.sent) is not None:
            withdrawals.append(i)

    pairs: dict[int, int] = dict(forced)
    owner: dict[int, int] = {d: w for w, d in forced.items()}  # deposit -> withdrawal

    # Only withdrawals that send crypto and deposits that receive it are indexed: their legs are not None.
    def fits(w: Transaction, d: Transaction) -> bool:
        assert w.sent is not None and d.received is not None
        return d.account != w.account and d.received.amount <= w.sent.amount

    def preference(w: int, d: int) -> tuple[int, Decimal, int]:
        sent, received = ledger[w].sent, ledger[d].received
        assert sent is not None and received is not None
        return (abs(times[d] - times[w]), sent.amount - received.amount, d)

    for w in withdrawals:
        tx = ledger[w]
        if tx.tx_hash:
            assert tx.sent is not None
            found = [d for d in by_hash.get((tx.sent.asset, tx.tx_hash), ())
                     if d not in owner and fits(tx, ledger[d])]
            if found:
                # A shared hash is proof enough: exchange clocks may even put the deposit slightly first.
                d = min(found, key=lambda d: preference(w, d))
                pairs[w], owner[d] = d, w
    final = set(owner)  # pairs proven by a hash (or forced) are not reconsidered

    def candidates(w: int) -> list[int]:
        tx = ledger[w]
        assert tx.sent is not None
        start = times[w]
        found = []
        for account, (at, idx) in by_place.get(tx.sent.asset, {}).items():
            if account == tx.account:
                continue
            first = bisect_left(at, start)
            for k in range(first, min(bisect_right(at, start + window_us), first + _SCAN_LIMIT)):
                d = idx[k]
                dep = ledger[d]
                other_hash = tx.tx_hash and dep.tx_hash and tx.tx_hash != dep.tx_hash
                if d not in final and fits(tx, dep) and not other_hash:
                    found.append(d)
        found.sort(key=lambda d: preference(w, d))
        return found

    options: dict[int, list[int]] = {}

    def augment(w: int, seen: set[int]) -> bool:
        # Can `w` get a deposit if earlier withdrawals move to other candidates of theirs? (An augmenting
        # path, as in bipartite matching.)
        for d in options[w]:
            if len(seen) >= _SEARCH_LIMIT:
                return False
            if d in seen:
                continue
            seen.add(d)
            other = owner.get(d)
            if other is None or augment(other, seen):
                pairs[w], owner[d] = d, w
                return True
        return False

    # Each withdrawal, in time order, takes its preferred free deposit. One left without a free deposit may
    # take one from an earlier withdrawal that can move to another of its candidates: overlapping transfers of
    # one asset would otherwise pair crosswise and leave a withdrawal and a deposit unmatched.
    for w in withdrawals:
        if w in pairs:
            continue
        options[w] = candidates(w)
        free = next((d for d in options[w] if d not in owner), None)
        if free is not None:
            pairs[w], owner[free] = free, w
        elif options[w]:
            augment(w, set())
    return pairs
