"""The registry of CSV formats: each format module registers itself by its header row."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from taxer.model.identity import CONTENT_PREFIX  # noqa: F401  (re-exported for the format modules)

# A row parser gets the row as {column: value} and returns the keyword arguments of a `Transaction` except
# account and source (the driver adds those, so each record is built once), or raises
# taxer.importers.rows.RowError. It may return `external_id` (e.g. the exchange API's id scheme, so a file and a
# sync of one account never hold a record twice); else `id_column` or a content hash gives it. It returns None for a
# row the ledger takes from elsewhere (e.g. a trade line of a statement whose trades come from the trade export).
RowParser = Callable[[Mapping[str, str]], "dict | None"]



@dataclass(frozen=True)
class CsvFormat:
    """One file layout: its name, the columns that identify it, and how a row becomes a transaction."""

    name: str                 # also the ledger `source` of its records, e.g. "koinly"
    title: str                # for messages: "Koinly universal"
    required: tuple[str, ...]  # header columns that must all be present (order free)
    parse_row: RowParser
    id_column: str | None = None  # a column holding the source's own stable id, if the file has one
    source: str | None = None     # the ledger `source` when it is not `name`: an exchange's export shares its
                                  # API's source ("bitget"), so records from both paths dedupe
    match_by_content: bool = False  # the file has no ids of the exchange: a row already in the ledger (same
                                    # account and source, same kind, second and legs) is not added again, and a
                                    # later sync recognizes the row (taxer.store.matching)
    file_hint: str | None = None    # two exports share one header (Binance's old deposit and withdrawal
                                    # histories): the word in the file's name that says which this is
    columns: tuple[str, ...] | None = None  # every column the layout has, where it is fixed: a header with a
                                    # column outside it (and `required`) is refused, since a damaged or edited
                                    # header can make one export look like its neighbour (a withdrawal history
                                    # whose "Fee" is garbled reads as a deposit history)
    repeated: tuple[str, ...] = ()  # header names the layout itself repeats (OKX's two `Unit` columns): the
                                    # k-th occurrence is read as "<name> <k>" ("Unit 2"); any other repeat is refused
    combine: Callable | None = None  # for rows a parser returns as rows.Part: consecutive parts with one key ->
                                     # [(lines, fields)] (a Binance statement trade spread over several rows)

    @property
    def ledger_source(self) -> str:
        return self.source or self.name


_FORMATS: dict[str, CsvFormat] = {}


def register(fmt: CsvFormat) -> CsvFormat:
    _FORMATS[fmt.name] = fmt
    return fmt


def by_name(name: str) -> CsvFormat:
    if not _FORMATS:
        import taxer.importers  # noqa: F401  (a fresh worker process: the format modules register on import)
    return _FORMATS[name]


def formats() -> tuple[CsvFormat, ...]:
    return tuple(_FORMATS.values())


def detect(header: list[str], filename: str | None = None) -> CsvFormat | None:
    """The format whose required columns are all in `header`; the most specific one wins. Formats sharing a
    header are told apart by a word of the file's name (`file_hint`); raises ValueError when it names none."""
    present = {h.strip() for h in header}
    matches = [f for f in _FORMATS.values() if set(f.required) <= present]
    if not matches:
        return None
    most = max(len(f.required) for f in matches)
    best = [f for f in matches if len(f.required) == most]
    if len(best) > 1 and all(f.file_hint for f in best):
        name = (filename or "").lower()
        named = [f for f in best if f.file_hint in name]
        if len(named) != 1:
            hints = " or ".join(repr(f.file_hint) for f in best)
            raise ValueError(f"this header is shared by {', '.join(f.title for f in best)}; the file's name must "
                             f"say which it is ({hints}), as Binance names its exports")
        return named[0]
    return best[0]
