"""What real accounts hold beyond spot trades and coin transfers: converts, dust, card buys, fiat moves, earn yield.

`with_extras(history)` adds a seeded, deterministic set of them to a History; every exchange module serves the ones
its exchange has, in that exchange's documented shape (the shapes are cited where each module serves them). They
stay apart from `History.events` and `History.ledger()`, so the core sync tests keep comparing the same ledger; a
test of the new streams compares what arrived with `history.extras`.

Some records moved nothing (a card buy that failed, a fiat deposit that expired, coins moved between the user's
own wallets): they are served too, and a sync must not book them as trades or income.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, Decimal

EXTRA_ID_BASE = 1_700_000_000_000_000_000
CONVERT_ID_BASE = 1_800_000_000_000_000_000
FIAT = "EUR"
STEP = Decimal("1E-8")


@dataclass(frozen=True, slots=True)
class Conversion:
    """An exchange of one asset for another outside the order book.

    kind: "convert" (binance Convert, coinbase convert), "dust" (small balances to BNB), "card_buy" (binance
    fiat/payments), "buy" / "sell" (coinbase retail). `fee` is charged in `fee_asset` on top of `sold_amount`
    (card buys: in the fiat; dust: in BNB, out of the gross `bought_amount`).
    """

    id: str
    timestamp: int
    kind: str
    sold: str
    sold_amount: Decimal
    bought: str
    bought_amount: Decimal
    fee: Decimal = Decimal(0)
    fee_asset: str = ""
    ok: bool = True       # False: failed / expired; moved nothing


@dataclass(frozen=True, slots=True)
class Earning:
    """Yield credited by an exchange's earn products.

    kind: "flexible" / "locked" (binance Simple Earn), "staking" / "mining" (okx funding bills 83 / 85),
    "earn" (kraken earn/reward), "airdrop", "inflation" (coinbase inflation_reward).
    """

    id: str
    timestamp: int
    asset: str
    amount: Decimal
    kind: str
    label: str            # the ledger label taxer must give it: "interest", "staking", "mining", "airdrop"


@dataclass(frozen=True, slots=True)
class FiatMove:
    """A bank deposit or withdrawal of fiat (binance fiat/orders)."""

    id: str
    timestamp: int
    currency: str
    amount: Decimal       # what reached the account (deposit) or left it before the fee (withdrawal)
    fee: Decimal
    kind: str             # "deposit" | "withdrawal"
    ok: bool = True


@dataclass(frozen=True, slots=True)
class OwnMove:
    """Coins moved between the user's own wallets (kraken spot <-> earn, coinbase <-> Coinbase Pro): no tax event
    on the kraken side; on coinbase, a move to or from another account of the user (Pro)."""

    id: str
    timestamp: int
    asset: str
    amount: Decimal       # signed: negative left the wallet
    kind: str             # "autoallocation" | "spottostaking" | "pro_deposit" | "pro_withdrawal"


@dataclass(frozen=True)
class Extras:
    conversions: tuple[Conversion, ...] = ()
    earnings: tuple[Earning, ...] = ()
    fiat: tuple[FiatMove, ...] = ()
    own_moves: tuple[OwnMove, ...] = ()
    kfee_trades: frozenset[str] = frozenset()   # kraken: trades whose fee was paid in KFEE fee credits

    def of(self, kind: str) -> tuple[Conversion, ...]:
        return tuple(c for c in self.conversions if c.kind == kind)

    def earned(self, *kinds: str) -> tuple[Earning, ...]:
        return tuple(e for e in self.earnings if e.kind in kinds)


def _amount(rng: random.Random, lo: float, hi: float, places: int = 8) -> Decimal:
    return Decimal(f"{rng.uniform(lo, hi):.{places}f}").quantize(Decimal(1).scaleb(-places), ROUND_DOWN)


def generate_extras(history, seed: int = 0, per_kind: int = 12) -> Extras:
    """`per_kind` records of each kind, spread over the history's range; amounts priced from its price paths."""
    rng = random.Random(f"extras-{history.seed}-{seed}")
    next_id = [EXTRA_ID_BASE]
    span = history.end - history.start - 3_600_000

    def ident() -> str:
        next_id[0] += 1 + rng.randrange(50_000)
        return str(next_id[0])

    def times(n: int) -> list[int]:
        # whole seconds: coinbase and kraken state times in seconds, binance ms (whole seconds are both)
        return sorted((history.start + 60_000 + rng.randrange(span)) // 1000 * 1000 for _ in range(n))

    coins = [a for a in history.assets if a != history.quote] or [history.quote]
    quote = history.quote

    def usd_of(asset: str, usd: float, ts: int) -> Decimal:
        price = history.prices.usd(asset, ts) if asset in history.currencies else 1.0
        return Decimal(f"{usd / price:.8f}")

    conversions: list[Conversion] = []
    for kind in ("convert", "dust", "card_buy", "buy", "sell"):
        for i, ts in enumerate(times(per_kind)):
            coin = rng.choice(coins)
            usd = rng.uniform(5, 800) if kind != "dust" else rng.uniform(0.01, 2)
            ok = not (kind == "card_buy" and i % 5 == 4)     # now and then a card is declined
            if kind == "convert":
                a, b = rng.sample([quote, *coins], 2) if len(coins) > 1 else (quote, coin)
                conversions.append(Conversion(ident(), ts, kind, a, usd_of(a, usd, ts), b, usd_of(b, usd, ts)))
            elif kind == "dust":
                small = rng.choice([c for c in [quote, *coins] if c != "BNB"] or [quote])
                gross = usd_of("BNB", usd, ts)
                fee = (gross * Decimal("0.02")).quantize(STEP, ROUND_DOWN)
                conversions.append(Conversion(ident(), ts, kind, small, usd_of(small, usd, ts), "BNB", gross, fee,
                                              "BNB"))
            elif kind in ("card_buy", "buy"):
                paid = Decimal(f"{usd:.2f}")
                fee = (paid * Decimal("0.0199")).quantize(Decimal("0.01"))
                conversions.append(Conversion(ident(), ts, kind, FIAT, paid, coin, usd_of(coin, usd, ts), fee,
                                              FIAT, ok))
            else:
                got = Decimal(f"{usd:.2f}")
                conversions.append(Conversion(ident(), ts, kind, coin, usd_of(coin, usd, ts), FIAT, got))
    earnings: list[Earning] = []
    for kind, label in (("flexible", "interest"), ("locked", "staking"), ("staking", "staking"),
                        ("mining", "mining"), ("earn", "staking"), ("airdrop", "airdrop"),
                        ("inflation", "staking")):
        for ts in times(per_kind):
            coin = rng.choice(coins)
            earnings.append(Earning(ident(), ts, coin, usd_of(coin, rng.uniform(0.01, 15), ts), kind, label))
    fiat = []
    for i, ts in enumerate(times(per_kind)):
        kind = "withdrawal" if i % 3 == 2 else "deposit"
        amount = _amount(rng, 50, 5000, 2)
        fee = Decimal("0.00") if kind == "deposit" else Decimal("1.50")
        fiat.append(FiatMove(ident(), ts, FIAT, amount, fee, kind, ok=i % 4 != 3))
    own = []
    for kind in ("autoallocation", "spottostaking", "pro_deposit", "pro_withdrawal"):
        for ts in times(max(per_kind // 3, 1)):
            coin = rng.choice(coins)
            sign = 1 if kind in ("autoallocation", "pro_withdrawal") else -1
            own.append(OwnMove(ident(), ts, coin, sign * usd_of(coin, rng.uniform(10, 500), ts), kind))
    kfee = frozenset(t.id for t in history.trades[::max(len(history.trades) // per_kind, 1)][:per_kind])
    # conversion ids grow with time, as exchanges that page converts by id (bitget's idLessThan) number them
    by_time = sorted(conversions, key=lambda c: c.timestamp)
    conversions = []
    for c in by_time:
        next_id[0] += 1 + rng.randrange(50_000)
        conversions.append(replace(c, id=str(CONVERT_ID_BASE + next_id[0] - EXTRA_ID_BASE)))
    return Extras(tuple(conversions),
                  tuple(sorted(earnings, key=lambda e: e.timestamp)), tuple(fiat),
                  tuple(sorted(own, key=lambda o: o.timestamp)), kfee)


def with_extras(history, seed: int = 0, per_kind: int = 12):
    """The same history, plus converts, dust, card buys, fiat moves, earn yield and own-wallet moves."""
    return replace(history, extras=generate_extras(history, seed, per_kind))
