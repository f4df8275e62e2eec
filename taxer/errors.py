"""The one family of exceptions that stops taxer's work; the CLI turns them into one-paragraph errors."""

from __future__ import annotations


class TaxerError(Exception):
    """Something the user can act on: bad input, bad settings, an unreachable database or exchange."""


class InputError(TaxerError):
    """Bad data in a file, pointing at the exact place: file, line and column."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: str | None = None, hint: str | None = None) -> None:
        self.file, self.line, self.column, self.hint = file, line, column, hint
        where = []
        if file:
            where.append(str(file))
        if line is not None:
            where.append(f"line {line}")
        if column:
            where.append(f"column {column!r}")
        text = (", ".join(where) + ": " if where else "") + message
        if hint:
            text += f" {hint}"
        super().__init__(text)


class NotFoundError(TaxerError):
    """No such account, transaction, correction or file: the message names what exists instead."""


class DatabaseError(TaxerError):
    """The ledger database cannot be opened, migrated or written."""


class ConfigError(TaxerError):
    """A setting or option has a value taxer cannot use."""


class ExchangeError(TaxerError):
    """An exchange answered with an error taxer cannot work around (bad request, unsupported call)."""


class ExchangeAuthError(ExchangeError):
    """The exchange refused the API key: wrong key or secret, expired, or missing a permission."""


class EndpointUnavailable(ExchangeError):
    """One endpoint refused for good: unknown to the exchange, not authorized for this key, or not offered in the
    account's region. Retrying cannot help; the streams that use other endpoints still can run."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason    # "unknown endpoint" | "not authorized" | "not available in the account's region"


class EndpointNotAuthorized(EndpointUnavailable, ExchangeAuthError):
    """The key may not call this one endpoint: still a key refusal to code that handles those."""

    def __init__(self, message: str) -> None:
        super().__init__(message, reason="not authorized")


class ExchangeUnavailable(ExchangeError):
    """The exchange stayed down or kept refusing (rate limits, 5xx, timeouts) after every retry."""


class KeyPermissionError(TaxerError):
    """The API key may do more than read: taxer refuses keys that can withdraw or transfer funds."""
