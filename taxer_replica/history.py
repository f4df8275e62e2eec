"""The replica's ground truth: a seeded, deterministic multi-year account history.

`generate_history` simulates one account: deposits of the quote currency (and now and then of a coin), trades on
several markets, withdrawals and staking/airdrop rewards, never spending more than it holds. Every exchange module
serves the same `History` in its own shapes, so a sync test can compare what arrived with what is here, exactly.

Amount conventions (what each exchange's ccxt parser turns back into these numbers):
- a trade's `fee` is charged in `fee_currency`: the base coin on buys (received amount minus fee), the quote on sells;
- a withdrawal's `amount` is what reaches the address; `fee` is charged on top (the balance drops by both);
- a deposit's `amount` is what was credited (`fee` 0).
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from itertools import accumulate
from types import MappingProxyType

from taxer_replica.extras import Extras
from taxer_replica.prices import DAY, HOUR, TIMEFRAMES, Candle, PricePaths

FEE_RATE = Decimal("0.001")
FEE_STEP = Decimal("1E-8")
COST_STEP = Decimal("1E-8")   # exchanges report a trade's cost rounded to the quote's precision
LOG_MIN_TRADE, LOG_MAX_TRADE = math.log(20), math.log(3000)   # trade sizes in USD, log-uniform
AMOUNT_STEP = Decimal("1E-8")
WITHDRAWAL_FEES = {"BTC": Decimal("0.0002"), "ETH": Decimal("0.0015"), "SOL": Decimal("0.008"),
                   "BNB": Decimal("0.0005"), "USDT": Decimal(1), "USDC": Decimal(1)}
NETWORKS = {"BTC": "BTC", "ETH": "ERC20", "SOL": "SOL", "BNB": "BEP20", "USDT": "TRC20", "USDC": "ERC20"}
NOT_STAKED = frozenset({"BTC", "USDT", "USDC"})
# Id spaces: 19-digit numbers like bitget's, increasing with time, with gaps (a user's ids are never contiguous).
ID_BASE = {"trade": 1_100_000_000_000_000_000, "order": 1_200_000_000_000_000_000,
           "deposit": 1_300_000_000_000_000_000, "withdrawal": 1_400_000_000_000_000_000,
           "reward": 1_500_000_000_000_000_000, "ledger": 1_600_000_000_000_000_000}


@dataclass(frozen=True, slots=True)
class Market:
    symbol: str           # unified, "ETH/BTC"
    base: str
    quote: str
    price_decimals: int
    amount_decimals: int

    @property
    def id(self) -> str:
        """The concatenated id binance and bitget use ("ETHBTC")."""
        return self.base + self.quote


@dataclass(frozen=True, slots=True)
class Trade:
    id: str
    order_id: str
    symbol: str
    side: str             # "buy" | "sell"
    price: Decimal
    amount: Decimal       # base quantity
    cost: Decimal         # price * amount, in the quote currency
    fee: Decimal
    fee_currency: str
    timestamp: int        # ms UTC
    taker: bool


@dataclass(frozen=True, slots=True)
class Transfer:
    """A deposit or a withdrawal."""

    id: str
    currency: str
    amount: Decimal
    fee: Decimal
    txid: str
    address: str
    network: str          # ccxt-style network code: BTC, ERC20, TRC20, BEP20, SOL
    timestamp: int        # ms UTC; withdrawals fall on whole seconds (binance reports them as "YYYY-MM-DD HH:MM:SS")
    kind: str = "deposit"  # "deposit" | "withdrawal"
    status: str = "ok"


@dataclass(frozen=True, slots=True)
class Reward:
    """Income credited by the exchange: staking/earn interest or an airdrop."""

    id: str
    currency: str
    amount: Decimal
    timestamp: int
    label: str            # "staking" | "airdrop"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One balance change of one currency, as an exchange's ledger (bills) lists it."""

    id: str
    timestamp: int
    currency: str
    change: Decimal       # signed, fee included: balance_after - balance_before
    fee: Decimal          # the part of `change` that was a fee (>= 0)
    balance: Decimal      # after the change
    kind: str             # "trade" | "deposit" | "withdrawal" | "reward"
    detail: str           # trade: "buy"/"sell"; reward: its label; else the kind
    ref: str              # id of the trade/transfer/reward


@dataclass(frozen=True)
class History:
    """A frozen account history: the truth every replica serves."""

    seed: int
    start: int            # ms UTC, inclusive
    end: int              # ms UTC, exclusive
    quote: str
    assets: tuple[str, ...]
    markets: tuple[Market, ...]
    trades: tuple[Trade, ...]
    deposits: tuple[Transfer, ...]
    withdrawals: tuple[Transfer, ...]
    rewards: tuple[Reward, ...]
    balances: Mapping[str, Decimal]
    events: tuple[Trade | Transfer | Reward, ...] = field(repr=False)   # all records in simulation order
    prices: PricePaths = field(repr=False, compare=False)
    extras: Extras = field(default_factory=Extras, repr=False)   # converts, earn yield, ... (extras.py)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def currencies(self) -> tuple[str, ...]:
        """Every currency the account can hold: the quote first, then the assets."""
        return tuple(dict.fromkeys((self.quote, *self.assets)))

    def market(self, symbol: str) -> Market:
        for m in self.markets:
            if m.symbol == symbol:
                return m
        raise KeyError(symbol)

    def trades_of(self, symbol: str) -> tuple[Trade, ...]:
        """The market's trades in time (and id) order."""
        by = self._cache.get("by_symbol")
        if by is None:
            by = {m.symbol: [] for m in self.markets}
            for t in self.trades:
                by[t.symbol].append(t)
            by = self._cache["by_symbol"] = {k: tuple(v) for k, v in by.items()}
        return by.get(symbol, ())

    @property
    def candles(self) -> Mapping[tuple[str, str], tuple[Candle, ...]]:
        """1d and 1h candles of every market over the whole range, keyed (symbol, timeframe), built on first use."""
        return _Candles(self)

    def ohlcv(self, symbol: str, timeframe: str, since: int | None = None, until: int | None = None,
              limit: int | None = None, newest: bool = False) -> list[Candle]:
        """Candles ('1m', '1h', '1d') opening in [since, until], at most `limit`: the oldest ones, or the newest."""
        tf = TIMEFRAMES[timeframe]
        m = self.market(symbol)
        first = self.start - self.start % tf
        last = self.end - 1 - (self.end - 1) % tf
        lo = first if since is None else max(first, since + (-since) % tf)
        hi = last if until is None else min(last, until - until % tf)
        if hi < lo:
            return []
        count = (hi - lo) // tf + 1
        if limit is not None and count > limit:
            if newest:
                lo = hi - (limit - 1) * tf
            else:
                hi = lo + (limit - 1) * tf
        return [self.prices.candle(m.base, m.quote, m.price_decimals, tf, t) for t in range(lo, hi + 1, tf)]

    def ledger(self) -> tuple[LedgerEntry, ...]:
        """Every balance change in time order, with running balances (an exchange's bills)."""
        cached = self._cache.get("ledger")
        if cached is None:
            cached = self._cache["ledger"] = tuple(_ledger(self))
        return cached


class _Candles(Mapping):
    def __init__(self, history: History) -> None:
        self._h = history

    def __getitem__(self, key: tuple[str, str]) -> tuple[Candle, ...]:
        symbol, timeframe = key
        if timeframe not in ("1d", "1h"):
            raise KeyError(key)
        cache = self._h._cache.setdefault("candles", {})
        if key not in cache:
            self._h.market(symbol)
            cache[key] = tuple(self._h.ohlcv(symbol, timeframe))
        return cache[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((m.symbol, tf) for m in self._h.markets for tf in ("1d", "1h"))

    def __len__(self) -> int:
        return 2 * len(self._h.markets)


def _ledger(h: History) -> Iterator[LedgerEntry]:
    bal: dict[str, Decimal] = {}
    next_id = ID_BASE["ledger"]
    zero = Decimal(0)

    def entry(ts: int, cur: str, change: Decimal, fee: Decimal, kind: str, detail: str, ref: str) -> LedgerEntry:
        nonlocal next_id
        next_id += 1 + (next_id * 7) % 13
        bal[cur] = b = bal.get(cur, zero) + change
        return LedgerEntry(str(next_id), ts, cur, change, fee, b, kind, detail, ref)

    markets = {m.symbol: m for m in h.markets}
    for ev in h.events:
        if isinstance(ev, Trade):
            m = markets[ev.symbol]
            if ev.side == "buy":
                yield entry(ev.timestamp, m.quote, -ev.cost, zero, "trade", "buy", ev.id)
                yield entry(ev.timestamp, m.base, ev.amount - ev.fee, ev.fee, "trade", "buy", ev.id)
            else:
                yield entry(ev.timestamp, m.base, -ev.amount, zero, "trade", "sell", ev.id)
                yield entry(ev.timestamp, m.quote, ev.cost - ev.fee, ev.fee, "trade", "sell", ev.id)
        elif isinstance(ev, Reward):
            yield entry(ev.timestamp, ev.currency, ev.amount, zero, "reward", ev.label, ev.id)
        elif ev.kind == "withdrawal":
            yield entry(ev.timestamp, ev.currency, -(ev.amount + ev.fee), ev.fee, "withdrawal", "withdrawal", ev.id)
        else:
            yield entry(ev.timestamp, ev.currency, ev.amount, zero, "deposit", "deposit", ev.id)


def to_ms(value: str | date | datetime | int, *, end_of_day: bool = False) -> int:
    """ms UTC of an ISO date/datetime string, a date, an aware datetime or ms.

    A bare date's end is the next midnight."""
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give a timezone")
        return int(value.timestamp() * 1000)
    ms = int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp() * 1000)
    return ms + DAY if end_of_day else ms


def build_markets(assets: tuple[str, ...], quote: str, prices: PricePaths, start: int) -> tuple[Market, ...]:
    """asset/quote for every asset, plus asset/BTC crosses when BTC is traded."""
    pairs = [(a, quote) for a in assets if a != quote]
    if "BTC" in assets and quote != "BTC":
        pairs += [(a, "BTC") for a in assets if a not in ("BTC", quote)]
    out = []
    for base, q in pairs:
        px = prices.pair(base, q, start)
        usd = prices.usd(base, start)
        out.append(Market(f"{base}/{q}", base, q,
                          price_decimals=min(max(6 - math.floor(math.log10(px)), 0), 8),
                          amount_decimals=min(max(math.floor(math.log10(usd)) + 2, 0), 8)))
    return tuple(out)


def generate_history(seed: int = 1, trades: int = 6000, start: str | date | datetime | int = "2022-01-01",
                     end: str | date | datetime | int = "2025-12-31",
                     assets: tuple[str, ...] = ("BTC", "ETH", "SOL", "BNB"), quote: str = "USDT", *,
                     deposits: int | None = None, withdrawals: int | None = None,
                     rewards: int | None = None) -> History:
    """A deterministic account history for `seed`: `trades` trades spread over [start, end] (end date inclusive).

    Deposits, withdrawals and rewards default to counts proportional to `trades`. Extra quote (or BTC) deposits are
    inserted where the account could not otherwise trade, so `len(history.deposits)` may exceed `deposits`; a
    withdrawal that finds nothing to withdraw is skipped.
    """
    start_ms, end_ms = to_ms(start), to_ms(end, end_of_day=True)
    if end_ms <= start_ms + HOUR:
        raise ValueError("end must be after start")
    assets = tuple(a for a in dict.fromkeys(assets) if a != quote)
    rng = random.Random(seed)
    prices = PricePaths(seed, (quote, *assets), start_ms, end_ms)
    markets = build_markets(assets, quote, prices, start_ms)
    sim = _Simulation(rng, prices, markets, quote, assets)
    plan = _schedule(rng, start_ms, end_ms, trades,
                     max(3, trades // 60) if deposits is None else deposits,
                     max(2, trades // 150) if withdrawals is None else withdrawals,
                     max(10, trades // 12) if rewards is None else rewards)
    sim.deposit(start_ms, quote, Decimal(10_000 + 1000 * (trades // 100)))
    for ts, kind in plan:
        getattr(sim, kind)(ts)
    events = tuple(sim.events)
    return History(
        seed=seed, start=start_ms, end=end_ms, quote=quote, assets=assets, markets=markets,
        trades=tuple(e for e in events if isinstance(e, Trade)),
        deposits=tuple(e for e in events if isinstance(e, Transfer) and e.kind == "deposit"),
        withdrawals=tuple(e for e in events if isinstance(e, Transfer) and e.kind == "withdrawal"),
        rewards=tuple(e for e in events if isinstance(e, Reward)),
        balances=MappingProxyType({k: v for k, v in sim.balances.items() if v}),
        events=events, prices=prices)


def _schedule(rng: random.Random, start: int, end: int, trades: int, deposits: int, withdrawals: int,
              rewards: int) -> list[tuple[int, str]]:
    """(timestamp, kind) of every event, strictly increasing; withdrawals on whole seconds."""
    span = end - start - 60_000
    first = start + 1000
    raw = [(first + int(rng.random() * span), "trade") for _ in range(trades)]
    raw += [(first + int(rng.random() * span), "deposit_event") for _ in range(deposits - 1)]
    raw += [(first + int(rng.random() * span), "withdrawal") for _ in range(withdrawals)]
    raw += [(first + int(rng.random() * span), "reward") for _ in range(rewards)]
    raw.sort()
    out, prev = [], start
    for ts, kind in raw:
        ts = max(ts, prev + 1)
        if kind == "withdrawal":
            ts += -ts % 1000
        out.append((ts, kind))
        prev = ts
    return out


class _Simulation:
    """Walks the schedule, keeping balances; each method appends the records one event produces."""

    def __init__(self, rng: random.Random, prices: PricePaths, markets: tuple[Market, ...], quote: str,
                 assets: tuple[str, ...]) -> None:
        self.rng, self.prices, self.markets, self.quote, self.assets = rng, prices, markets, quote, assets
        # quote markets are traded 4x as often as crosses; (market, amount step, price format, amount format)
        self.specs = [(m, Decimal(1).scaleb(-m.amount_decimals), f"%.{m.price_decimals}f", f"%.{m.amount_decimals}f")
                      for m in markets]
        self.cum_weights = list(accumulate(4 if m.quote == quote else 1 for m in markets))
        self.total_weight = self.cum_weights[-1]
        self.balances: defaultdict[str, Decimal] = defaultdict(Decimal)
        self.events: list = []
        self.ids = dict(ID_BASE)
        self.staked = [a for a in assets if a not in NOT_STAKED] or list(assets)

    def _id(self, kind: str) -> str:
        self.ids[kind] += 1 + int(self.rng.random() * 40_000)
        return str(self.ids[kind])

    def _bal(self, cur: str) -> Decimal:
        return self.balances.get(cur, Decimal(0))

    def _hex(self, bits: int = 256) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    def _address(self, cur: str) -> str:
        net = NETWORKS.get(cur, "ERC20")
        if net == "BTC":
            return "bc1q" + self._hex(160)[:38]
        if net == "TRC20":
            return "T" + "".join(self.rng.choice("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
                                 for _ in range(33))
        if net == "SOL":
            return "".join(self.rng.choice("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
                           for _ in range(44))
        return "0x" + self._hex(160)

    def deposit(self, ts: int, cur: str, amount: Decimal) -> None:
        self.balances[cur] = self._bal(cur) + amount
        self.events.append(Transfer(self._id("deposit"), cur, amount, Decimal(0), self._hex(),
                                    self._address(cur), NETWORKS.get(cur, "ERC20"), ts))

    def deposit_event(self, ts: int) -> None:
        rng = self.rng
        if rng.random() < 0.7 or not self.assets:
            amount = Decimal(f"{math.exp(rng.uniform(math.log(200), math.log(20_000))):.2f}")
            self.deposit(ts, self.quote, amount)
        else:
            cur = rng.choice(self.assets)
            usd = math.exp(rng.uniform(math.log(100), math.log(5000)))
            self.deposit(ts, cur, Decimal(f"{usd / self.prices.usd(cur, ts):.6f}"))

    def withdrawal(self, ts: int) -> None:
        rng = self.rng
        candidates = [c for c in (self.quote, *self.assets)
                      if self._bal(c) > 3 * WITHDRAWAL_FEES.get(c, Decimal("0.01"))]
        if not candidates:
            return
        cur = rng.choice(candidates)
        fee = WITHDRAWAL_FEES.get(cur, Decimal("0.01"))
        amount = ((self._bal(cur) - fee) * Decimal(f"{rng.uniform(0.05, 0.5):.4f}")).quantize(
            Decimal("1E-6"), ROUND_DOWN)
        if amount <= 0:
            return
        self.balances[cur] = self._bal(cur) - amount - fee
        self.events.append(Transfer(self._id("withdrawal"), cur, amount, fee, self._hex(), self._address(cur),
                                    NETWORKS.get(cur, "ERC20"), ts, kind="withdrawal"))

    def reward(self, ts: int) -> None:
        rng = self.rng
        cur = rng.choice(self.staked)
        usd = math.exp(rng.uniform(math.log(0.05), math.log(20)))
        amount = Decimal(f"{usd / self.prices.usd(cur, ts):.8f}")
        if amount <= 0:
            amount = AMOUNT_STEP
        self.balances[cur] = self._bal(cur) + amount
        label = "airdrop" if rng.random() < 0.1 else "staking"
        self.events.append(Reward(self._id("reward"), cur, amount, ts, label))

    def trade(self, ts: int) -> None:
        rng, prices = self.rng, self.prices
        m, step, fmt_price, fmt_amount = self.specs[bisect(self.cum_weights, rng.random() * self.total_weight)]
        base_usd = prices.usd(m.base, ts)
        price = Decimal(fmt_price % (base_usd / prices.usd(m.quote, ts)))
        min_amount = max(step, Decimal(fmt_amount % (5 / base_usd)))
        usd = math.exp(rng.uniform(LOG_MIN_TRADE, LOG_MAX_TRADE))
        amount = max(Decimal(fmt_amount % (usd / base_usd)), min_amount)
        bal = self.balances
        have_base, have_quote = bal[m.base], bal[m.quote]
        side = "buy" if rng.random() < 0.52 or have_base < min_amount else "sell"
        if side == "sell":
            amount = max(min(amount, (have_base * _fraction(rng, 0.3, 1)).quantize(step, ROUND_DOWN)), min_amount)
        else:
            if price * amount > have_quote:
                amount = (have_quote * _fraction(rng, 0.3, 0.95) / price).quantize(step, ROUND_DOWN)
            if amount < min_amount:
                if have_base >= min_amount * 2:
                    side, amount = "sell", (have_base / 2).quantize(step, ROUND_DOWN)
                else:   # nothing to trade with: the user tops up first
                    amount = max(Decimal(fmt_amount % (usd / base_usd)), min_amount)
                    top_up = (price * amount * _fraction(rng, 2, 10)).quantize(COST_STEP)
                    self.deposit(ts, m.quote, top_up)
        cost = (price * amount).quantize(COST_STEP, ROUND_HALF_UP)
        if side == "buy":
            fee, fee_cur = (amount * FEE_RATE).quantize(FEE_STEP, ROUND_HALF_UP), m.base
            bal[m.quote] -= cost
            bal[m.base] += amount - fee
        else:
            fee, fee_cur = (cost * FEE_RATE).quantize(FEE_STEP, ROUND_HALF_UP), m.quote
            bal[m.base] -= amount
            bal[m.quote] += cost - fee
        self.events.append(Trade(self._id("trade"), self._id("order"), m.symbol, side, price, amount, cost, fee,
                                 fee_cur, ts, rng.random() < 0.7))


def _fraction(rng: random.Random, lo: float, hi: float) -> Decimal:
    """A random factor in [lo, hi) with 4 decimals."""
    return Decimal(int((lo + (hi - lo) * rng.random()) * 10_000)).scaleb(-4)
