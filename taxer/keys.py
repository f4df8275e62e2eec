"""Whether taxer uses an API key, and how healthy it is: one decision shared by `taxer sync` and `taxer account check`.

The rule: a key is used only when the exchange's answer positively says it cannot trade or move funds. A key
that can withdraw or transfer is refused whatever the options; one that can trade needs `--allow-trading-key`; an
answer taxer cannot read (missing, malformed, unknown names) needs `--allow-unknown-key`, and is warned about on
every sync.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from taxer.exchanges.spec import ExchangeSpec, KeyPermissions

CAN_WITHDRAW, CAN_TRADE, UNKNOWN = "can_withdraw", "can_trade", "permissions_unknown"
NO_IP, KEY_OLD, KEY_EXPIRING = "no_ip_allowlist", "key_old", "key_expiring"
DEFAULT_MAX_AGE_DAYS = 90
EXPIRING_DAYS = 14


@dataclass(frozen=True)
class Decision:
    """What taxer does with a key: use it (with warnings) or refuse it (with the reason)."""

    use: bool
    refusal: str = ""
    warnings: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()      # can_withdraw, can_trade, permissions_unknown


def said(perms: KeyPermissions) -> str:
    """What the exchange answered, in its words, and what taxer could not read in it."""
    text = perms.detail or "nothing readable"
    if perms.unreadable:
        text += "; taxer cannot read: " + "; ".join(perms.unreadable)
    return text


def how_to_fix(spec: ExchangeSpec) -> str:
    if spec.key_help is None:
        return "Create a read-only key on the exchange and set it again."
    return "Create a read-only key: " + " ".join(spec.key_help.steps) + f" ({spec.key_help.docs})"


def decide(spec: ExchangeSpec, account: str, perms: KeyPermissions, *, allow_trading: bool = False,
           allow_unknown: bool = False) -> Decision:
    """Use or refuse the key, per the rule in this module's docstring."""
    where = f"account {account!r}: this {spec.id} API key"
    problems = [code for code, on in ((CAN_WITHDRAW, perms.withdraw is True), (CAN_TRADE, perms.trade is True),
                                      (UNKNOWN, not perms.known)) if on]
    if perms.withdraw is True:
        return Decision(False, f"{where} can withdraw or transfer funds ({said(perms)}). taxer refuses such keys "
                               f"before reading anything, and no option changes that. {how_to_fix(spec)}",
                        problems=tuple(problems))
    warnings = []
    if not perms.known:
        if not allow_unknown:
            return Decision(False, f"{where}: {spec.id} did not say plainly that it cannot trade or move funds "
                                   f"({said(perms)}). taxer uses a key only when the exchange says it is read-only. "
                                   f"{how_to_fix(spec)} If you are sure this key is read-only, pass "
                                   "--allow-unknown-key.", problems=tuple(problems))
        warnings.append(f"{where} may be able to do more than read: {spec.id} did not say ({said(perms)}); "
                        "syncing anyway because of --allow-unknown-key. Replace it with a read-only key.")
    if perms.read is False:
        return Decision(False, f"{where} cannot read account data ({said(perms)}). {how_to_fix(spec)}",
                        problems=tuple(problems))
    if perms.trade is True:
        if not allow_trading:
            return Decision(False, f"{where} can trade ({said(perms)}). {how_to_fix(spec)} Or pass "
                                   "--allow-trading-key to sync with it anyway.", problems=tuple(problems))
        warnings.append(f"account {account!r}: syncing with a {spec.id} key that can TRADE ({said(perms)}); replace "
                        "it with a read-only key.")
    return Decision(True, warnings=tuple(warnings), problems=tuple(problems))


def fingerprint(api_key: str) -> str:
    """SHA-256 of the public key id, to recognise a key again (never the secret)."""
    return hashlib.sha256(api_key.encode()).hexdigest()


@dataclass(frozen=True)
class Health:
    """One account's key, as `taxer account check` shows it."""

    account: str
    exchange: str
    perms: KeyPermissions | None
    decision: Decision | None
    created: datetime | None          # from the exchange, else when taxer first saw the key
    created_by_exchange: bool
    age_days: int | None
    problems: tuple[str, ...]
    advice: tuple[str, ...]
    error: str | None = None          # the key could not be checked (no key, refused by the exchange)
    skipped: bool = False             # no key yet, and none was asked for by name (as a plain sync skips it)

    @property
    def refused(self) -> bool:
        if self.skipped:
            return False
        return self.error is not None or self.decision is None or not self.decision.use

    def as_json(self) -> dict:
        p = self.perms
        return {"account": self.account, "exchange": self.exchange,
                "read": p.read if p else None, "trade": p.trade if p else None,
                "withdraw": p.withdraw if p else None, "ip_restricted": p.ip_restricted if p else None,
                "key_created": self.created.isoformat() if self.created else None,
                "key_age_days": self.age_days, "expires": p.expires.isoformat() if p and p.expires else None,
                "problems": list(self.problems), "error": self.error}

    def summary(self) -> str:
        """The one line a sync prints per account."""
        if self.error:
            return f"{self.account} ({self.exchange}) key: NOT CHECKED: {self.error}"
        p = self.perms
        rights = "read-only" if p.known and not p.trade and not p.withdraw else \
            ", ".join(name for name, on in (("trade", p.trade), ("withdraw", p.withdraw)) if on) or "unknown rights"
        ip = {True: "IP-bound", False: "no IP allow-list", None: "IP allow-list unknown"}[p.ip_restricted]
        age = f"{self.age_days} days old" + ("" if self.created_by_exchange else " (since taxer first saw it)") \
            if self.age_days is not None else "age unknown"
        expiry = f", expires {p.expires:%Y-%m-%d}" if p.expires else ""
        if p.query_from or p.query_to:
            expiry += f", sees history {window(p)}"
        issues = f"; problems: {', '.join(self.problems)}" if self.problems else ""
        return f"{self.account} ({self.exchange}) key: {rights}, {ip}, {age}{expiry}{issues}"


def window(perms: KeyPermissions) -> str:
    """A kraken key's query window in words."""
    start = f"from {perms.query_from:%Y-%m-%d}" if perms.query_from else ""
    end = f"until {perms.query_to:%Y-%m-%d}" if perms.query_to else ""
    return " ".join(part for part in (start, end) if part)


def health(spec: ExchangeSpec, account: str, perms: KeyPermissions, decision: Decision, *, now: datetime,
           first_seen: datetime | None, max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> Health:
    """The problems of a key and what to do about each, in plain words."""
    problems = list(decision.problems)
    advice = []
    allowlist = spec.key_help.allowlist if spec.key_help else "the exchange's API key page"
    if CAN_WITHDRAW in problems:
        advice.append(f"delete this key on {spec.id} now and create a read-only one: it can move your funds")
    if CAN_TRADE in problems:
        advice.append(f"replace this key with a read-only one: it can place orders on {spec.id}")
    if UNKNOWN in problems:
        advice.append(f"{spec.id} did not say plainly what this key may do ({said(perms)}); create a read-only key")
    if perms.read is False:
        advice.append(f"this key cannot read account data on {spec.id}; create one that can")
    if perms.ip_restricted is False:
        problems.append(NO_IP)
        advice.append(f"bind this key to your IP address in {allowlist}")
    created = perms.created or first_seen
    age = (now - created).days if created else None
    if age is not None and age > max_age_days:
        problems.append(KEY_OLD)
        advice.append(f"this key is {age} days old (more than {max_age_days}): create a new read-only key, set it "
                      f"with `taxer account set-key {account}` and delete the old one on {spec.id}")
    if perms.query_from or perms.query_to:
        advice.append(f"this key sees history only {window(perms)}: what lies outside is invisible to taxer, so "
                      "the ledger is complete only for those dates")
    if perms.expires is not None and perms.expires - now <= timedelta(days=EXPIRING_DAYS):
        problems.append(KEY_EXPIRING)
        advice.append(f"this key expires on {perms.expires:%Y-%m-%d}: create a new one before then")
    return Health(account, spec.id, perms, decision, created, perms.created is not None, age, tuple(problems),
                  tuple(advice))


def max_age_days(conn) -> int:
    """The `key_max_age_days` setting (default 90)."""
    from taxer.store import settings as stored

    return int(stored.load(conn).get("key_max_age_days") or DEFAULT_MAX_AGE_DAYS)


def account_health(engine, account, spec: ExchangeSpec, gateway, perms: KeyPermissions, decision: Decision, *,
                   now: datetime) -> Health:
    """The key's health, remembering when taxer first saw it (by the fingerprint of its public id)."""
    from taxer.store import accounts

    with engine.begin() as conn:
        seen = accounts.first_seen(conn, account.id, fingerprint(gateway.creds.api_key), now) if gateway.creds \
            else None
        limit = max_age_days(conn)
    return health(spec, account.name, perms, decision, now=now, first_seen=seen, max_age_days=limit)


def check_account(engine, account, *, creds=None, gateway_factory=None, now: datetime | None = None) -> Health:
    """Ask the account's exchange what its key may do, without reading history (`taxer account check`).

    `creds`: a key to check instead of the stored one (set-key checks a new key before keeping it)."""
    from taxer.errors import TaxerError
    from taxer.exchanges import credentials
    from taxer.exchanges.gateway import Gateway, is_loopback
    from taxer.exchanges.registry import spec_for
    from taxer.model import UTC

    now = now or datetime.now(UTC)
    exchange = account.exchange_id or "file"
    try:
        spec = spec_for(account.exchange_id or "")
        creds = creds or credentials.load(account.name)
        if spec.needs_password and not creds.password:
            raise TaxerError(f"{spec.id} keys have a passphrase; set {credentials.env_prefix(account.name)}"
                             "PASSWORD too")
        gateway = (gateway_factory or Gateway)(spec.id, creds, account=account.name, api_url=account.api_url,
                                               options=spec.options, rate_limit=not is_loopback(account.api_url),
                                               key_errors=spec.key_errors, lockouts=spec.lockouts)
        try:
            perms = spec.permissions(gateway)
        finally:
            gateway.close()
    except TaxerError as exc:
        return Health(account.name, exchange, None, None, None, False, None, (), (), error=str(exc))
    decision = decide(spec, account.name, perms)
    return account_health(engine, account, spec, gateway, perms, decision, now=now)
