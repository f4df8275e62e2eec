"""API credentials: from TAXER_<NAME>_API_KEY / _SECRET / _PASSWORD or the OS keyring, never from the ledger.

A `Credentials` object never shows its secret: not in repr, str, logs, or error messages (see `redact`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from taxer.errors import TaxerError

KEYRING_SERVICE = "taxer"
FIELDS = ("api_key", "secret", "password")
ENV_SUFFIX = {"api_key": "API_KEY", "secret": "SECRET", "password": "PASSWORD"}


def env_prefix(account: str) -> str:
    """TAXER_<NAME>_ with NAME upper-cased and every character outside A-Z, 0-9 turned into '_'."""
    return "TAXER_" + re.sub(r"[^A-Z0-9]", "_", account.upper()) + "_"


@dataclass(frozen=True)
class Credentials:
    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    password: str | None = field(default=None, repr=False)
    origin: str = "environment"

    def __repr__(self) -> str:
        return f"Credentials(api_key=<hidden>, secret=<hidden>, origin={self.origin!r})"

    __str__ = __repr__

    def secrets(self) -> tuple[str, ...]:
        """Every sensitive string, for redaction."""
        return tuple(s for s in (self.api_key, self.secret, self.password) if s)


def redact(text: str, creds: Credentials | None) -> str:
    """`text` with the key, secret, passphrase and request signatures replaced by <redacted>."""
    if creds is not None:
        for value in sorted(creds.secrets(), key=len, reverse=True):
            if len(value) >= 4:
                text = text.replace(value, "<redacted>")
    return re.sub(r"(signature=)[0-9a-fA-F]+", r"\1<redacted>", text)


def _keyring():
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None, Exception
    return keyring, KeyringError


def load(account: str) -> Credentials:
    """The account's credentials from the environment, else the keyring; TaxerError naming where to put them."""
    prefix = env_prefix(account)
    env = {f: os.environ.get(prefix + ENV_SUFFIX[f]) for f in FIELDS}
    if env["api_key"] and env["secret"]:
        return Credentials(env["api_key"], env["secret"], env["password"] or None, origin="environment")
    keyring, keyring_error = _keyring()
    if keyring is not None:
        try:
            stored = {f: keyring.get_password(KEYRING_SERVICE, f"{account}:{f}") for f in FIELDS}
        except keyring_error:
            stored = {}
        if stored.get("api_key") and stored.get("secret"):
            return Credentials(stored["api_key"], stored["secret"], stored.get("password") or None, origin="keyring")
    raise TaxerError(f"no API key for account {account!r}: set {prefix}API_KEY and {prefix}SECRET (and "
                     f"{prefix}PASSWORD if the exchange uses a passphrase), or run `taxer account set-key {account}` "
                     "to keep them in the operating system's keyring. Create a read-only key on the exchange.")


def store(account: str, creds: Credentials) -> None:
    """Keep the credentials in the OS keyring (never in the ledger)."""
    keyring, keyring_error = _keyring()
    if keyring is None:
        raise TaxerError("the keyring package is not available; use the TAXER_<NAME>_API_KEY variables instead")
    try:
        for f in FIELDS:
            value = getattr(creds, f)
            if value:
                keyring.set_password(KEYRING_SERVICE, f"{account}:{f}", value)
            elif keyring.get_password(KEYRING_SERVICE, f"{account}:{f}") is not None:
                keyring.delete_password(KEYRING_SERVICE, f"{account}:{f}")   # the old key's passphrase
    except keyring_error as exc:
        raise TaxerError(f"the operating system's keyring refused the key ({type(exc).__name__}); no usable "
                         f"keyring here? Use the environment variables {env_prefix(account)}API_KEY and "
                         f"{env_prefix(account)}SECRET instead.") from None


def has_key(account: str) -> bool:
    """Whether a key for the account is set (environment or keyring), without raising."""
    try:
        load(account)
    except TaxerError:
        return False
    return True


def check_keyring() -> None:
    """Raise a TaxerError saying what to do when no usable keyring backend is here (before asking for secrets)."""
    keyring, keyring_error = _keyring()
    problem = "the keyring package is not installed"
    if keyring is not None:
        try:
            backend = keyring.get_keyring()
            name = type(backend).__name__
            if "fail" in name.lower() or getattr(backend, "priority", 1) <= 0:
                problem = f"no usable keyring backend ({name})"
            else:
                keyring.get_password(KEYRING_SERVICE, "taxer:probe")
                return
        except keyring_error as exc:
            problem = f"the keyring does not answer ({type(exc).__name__})"
    raise TaxerError(f"cannot keep keys in the operating system's keyring: {problem}. Use the environment variables "
                     "TAXER_<NAME>_API_KEY, TAXER_<NAME>_SECRET and TAXER_<NAME>_PASSWORD instead.")


def forget(account: str) -> list[str]:
    """Delete the account's keyring entries; returns the fields that were there."""
    keyring, keyring_error = _keyring()
    removed = []
    if keyring is None:
        return removed
    for f in FIELDS:
        try:
            if keyring.get_password(KEYRING_SERVICE, f"{account}:{f}") is not None:
                keyring.delete_password(KEYRING_SERVICE, f"{account}:{f}")
                removed.append(f)
        except keyring_error:
            pass
    return removed


def move(old: str, new: str) -> None:
    """Keep a renamed account's keyring entries under its new name."""
    keyring, keyring_error = _keyring()
    if keyring is None:
        return
    try:
        values = {f: keyring.get_password(KEYRING_SERVICE, f"{old}:{f}") for f in FIELDS}
    except keyring_error:
        return
    if values.get("api_key") and values.get("secret"):
        store(new, Credentials(values["api_key"], values["secret"], values.get("password"), origin="keyring"))
        forget(old)


def pasted_secret(text: str) -> str:
    """A secret typed or pasted at a one-line prompt: a PEM block (Coinbase CDP keys) may come with its line breaks
    written as the two characters \\n, as the key file's JSON shows them; they become line breaks again."""
    text = text.strip()
    return text.replace("\\n", "\n") if "-----BEGIN" in text else text
