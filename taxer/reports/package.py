"""Writing the year's filing package: CSV and JSON files (byte-identical on re-runs), the PDF, and the manifest."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from taxer import __version__
from taxer.countries import country
from taxer.errors import ConfigError
from taxer.files import csv_bytes, json_bytes, sha256
from taxer.money import money, number, quantity
from taxer.reports import folder
from taxer.reports.summary_text import Taxpayer, summary_text
from taxer.reports.view import ReportView

FORMATS = ("csv", "pdf", "html", "txf", "turbotax", "taxact")  # every --format name (html: portfolio.html)
DEFAULT_FORMATS = ("csv", "pdf")
EXPORTS = ("txf", "turbotax", "taxact")  # files for tax software, which a country may offer (Country.exports)


class Fingerprint(Protocol):
    """What a package says of the ledger it was computed from (taxer.fingerprint makes it)."""

    @property
    def transactions(self) -> int: ...

    @property
    def sha256(self) -> str: ...


@dataclass(frozen=True)
class Package:
    folder: Path
    summary: dict
    files: tuple[Path, ...]
    notes: tuple[str, ...] = ()   # what the user should hear once (no taxpayer name set)


NO_TAXPAYER = ("no taxpayer name is set, so the report's cover and summary.txt name nobody: set it with "
               "`taxer config set taxpayer NAME` (and taxpayer_tin, preparer) and run the report again.")


def _opt(value: Decimal | None, fmt=money) -> str:
    return "" if value is None else fmt(value)


def _id(value: int | None) -> str:
    return "" if value is None else str(value)


def other_gain(o) -> str:
    """Only a transfer fee is a disposal with a gain; a gift, donation or loss shows its basis, not a 'loss'."""
    return money(o.gain) if o.category == "transfer_fee" else ""


def income_rows(view: ReportView) -> list[tuple]:
    cur = view.params.currency
    rows = [("event", i.date, i.timestamp.isoformat(), i.asset, quantity(i.amount), _opt(i.fair_value), cur, i.type,
             i.account, _id(i.tx_id)) for i in view.income]
    rows += [("total", "", "", "", "", money(v), cur, t, "", "") for t, v in view.income_by_type.items()]
    rows.append(("total", "", "", "", "", money(view.income_total), cur, "all", "", ""))
    return rows


def _ref(refs: Mapping[int, tuple[str, str, str, str]], tx_id: int | None) -> tuple[str, str, str, str]:
    return refs.get(tx_id, ("", "", "", "")) if tx_id is not None else ("", "", "", "")


def audit_rows(view: ReportView, refs: Mapping[int, tuple[str, str, str, str]]) -> Iterator[tuple]:
    """Every disposal piece with both transactions' account, source, external id and origin (file:line or API)."""
    for r in view.form8949:
        yield ("form8949", f"{r.part}/{r.box}", r.description, r.date_acquired, r.date_sold, money(r.proceeds),
               money(r.cost_basis), money(r.gain), r.account, _id(r.disposal_tx_id), *_ref(refs, r.disposal_tx_id),
               _id(r.acquisition_tx_id), *_ref(refs, r.acquisition_tx_id))
    for o in view.other_disposals:
        yield ("other", o.category, o.description, o.date_acquired, o.date_disposed, money(o.proceeds),
               money(o.cost_basis), other_gain(o), o.account, _id(o.disposal_tx_id), *_ref(refs, o.disposal_tx_id),
               _id(o.acquisition_tx_id), *_ref(refs, o.acquisition_tx_id))


def correction_audit_rows(view: ReportView, refs: Mapping[int, tuple[str, str, str, str]]) -> Iterator[tuple]:
    """One audit row per record a correction touched: the correction, its author and date, and the record."""
    for c in view.corrections:
        what = f"correction {c.id}: {c.change} ({c.status}); by {c.author} on {c.created_at:%Y-%m-%d}: {c.note}"
        for tx_id in c.tx_ids or (None,):
            yield ("correction", c.kind, what, "", "", "", "", "", c.target.split("/", 1)[0], _id(tx_id),
                   *_ref(refs, tx_id), "", "", "", "", "")


def correction_rows(view: ReportView) -> Iterator[tuple]:
    for c in view.corrections:
        yield (c.id, c.created_at.isoformat(), c.author, c.kind, c.target, c.other, c.change, c.status,
               " ".join(map(str, c.tx_ids)), c.note)


HEADERS = {
    "income.csv": ("row", "date", "timestamp", "asset", "amount", "fair_value", "currency", "type", "account",
                   "tx_id"),
    "holdings.csv": ("asset", "amount", "acquired", "cost_basis", "account", "acquisition_tx_id", "basis_missing",
                     "market_value", "unrealized_gain"),
    "other_disposals.csv": ("category", "date_acquired", "date_disposed", "description", "asset", "amount",
                            "proceeds", "cost_basis", "gain_loss", "term", "account", "disposal_tx_id",
                            "acquisition_tx_id"),
    "audit.csv": ("section", "part_box_or_category", "description", "date_acquired", "date_sold", "proceeds",
                  "cost_basis", "gain_loss", "account", "disposal_tx_id", "disposal_account", "disposal_source",
                  "disposal_external_id", "disposal_origin", "acquisition_tx_id", "acquisition_account",
                  "acquisition_source", "acquisition_external_id", "acquisition_origin"),
    "warnings.csv": ("code", "account", "asset", "amount", "transaction_ids", "message", "action"),
    "prices.csv": ("timestamp", "asset", "quote", "price", "found"),
    "corrections.csv": ("id", "created_at", "by", "kind", "target", "other", "change", "status", "transaction_ids",
                        "note"),
}


def csv_outputs(view: ReportView, refs: Mapping[int, tuple[str, str, str, str]]) -> dict[str, bytes]:
    """Every CSV and JSON file of the package, as bytes, in a fixed order."""
    return {
        "summary.json": json_bytes(view.summary()),
        "income.csv": csv_bytes(HEADERS["income.csv"], income_rows(view)),
        "holdings.csv": csv_bytes(HEADERS["holdings.csv"], (
            (h.asset, quantity(h.amount), h.acquired, money(h.cost_basis), h.account, _id(h.acquire_tx_id),
             "yes" if h.basis_missing else "", _opt(h.market_value), _opt(h.unrealized_gain)) for h in view.holdings)),
        "other_disposals.csv": csv_bytes(HEADERS["other_disposals.csv"], (
            (o.category, o.date_acquired, o.date_disposed, o.description, o.asset, quantity(o.amount),
             money(o.proceeds), money(o.cost_basis), other_gain(o), o.term, o.account, _id(o.disposal_tx_id),
             _id(o.acquisition_tx_id)) for o in view.other_disposals)),
        "audit.csv": csv_bytes(HEADERS["audit.csv"], (*audit_rows(view, refs), *correction_audit_rows(view, refs))),
        "warnings.csv": csv_bytes(HEADERS["warnings.csv"], (
            (w.code, w.account, w.asset, _opt(w.amount, quantity), " ".join(map(str, w.tx_ids)), w.message, w.action)
            for w in view.warnings)),
        "prices.csv": csv_bytes(HEADERS["prices.csv"], (
            (u.at.isoformat(), u.asset, u.quote, number(u.price), u.found) for u in view.prices_used)),
        "corrections.csv": csv_bytes(HEADERS["corrections.csv"], correction_rows(view)),
        **country(view.params.country).extra_csv(view),
    }


PdfRenderer = Callable[[ReportView, Path], None]

# package.zip's fixed timestamp (the earliest a zip can store) and file mode, so equal packages zip to equal bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def check_exports(code: str, formats: Iterable[str]) -> list[str]:
    """The tax-software formats asked for (txf, turbotax, taxact) in order; ConfigError naming the country when it
    has no such file (they are US Form 8949 exports)."""
    rules = country(code)
    offered = dict(rules.exports)
    wanted = [f for f in EXPORTS if f in set(formats)]
    missing = [f for f in wanted if f not in offered]
    if missing:
        has = f"; it offers {', '.join(offered)}" if offered else ""
        raise ConfigError(f"--format {','.join(missing)}: {rules.name} has no such tax-software file (they are US "
                          f"Form 8949 exports){has}. Leave {'it' if len(missing) == 1 else 'them'} out, or report "
                          "with --country us.")
    return wanted


def export_outputs(view: ReportView, formats: Iterable[str]) -> dict[str, bytes]:
    """The tax-software files asked for, from the country's exports (`check_exports` says which)."""
    offered = dict(country(view.params.country).exports)
    out: dict[str, bytes] = {}
    for name in check_exports(view.params.country, formats):
        out.update(offered[name](view))
    return out


def write_package(out: Path, view: ReportView, refs: Mapping[int, tuple[str, str, str, str]],
                  fingerprint: Fingerprint, *, formats: Iterable[str] = DEFAULT_FORMATS,
                  render_pdf: PdfRenderer | None = None, force: bool = False, archive: bool = False,
                  taxpayer: Taxpayer | None = None, extra: Mapping[str, bytes] | None = None) -> Package:
    """Write the package into `out` whole: afterwards `out` holds exactly the files manifest.json lists (plus
    package.zip of all of them when `archive`), from this run alone (taxer.reports.folder says how).

    A folder holding files that no earlier taxer report wrote is refused unless `force`; TaxerError, and nothing
    changed, for any folder taxer cannot use. summary.txt (in every package) names the `taxpayer`, the TIN
    masked; `formats` may add the country's tax-software files (txf, turbotax, taxact: `export_outputs`). `extra`
    are more files of the package (portfolio.html), listed in the manifest like the others."""
    formats = set(formats)
    exports = export_outputs(view, formats)
    outputs = csv_outputs(view, refs) if "csv" in formats else {"summary.json": json_bytes(view.summary())}
    outputs["summary.txt"] = summary_text(view, taxpayer).encode("utf-8")
    outputs.update(exports)
    outputs.update(extra or {})
    pdf = "pdf" in formats and render_pdf is not None
    names = [*outputs, *(["report.pdf"] if pdf else []), folder.MANIFEST, *([folder.ARCHIVE] if archive else [])]
    target = folder.prepare(out, names, force=force)
    with folder.staging(target) as stage:
        for name, data in outputs.items():
            folder.write_file(stage, name, data)
        listed = {name: data for name, data in outputs.items()}
        if pdf:
            render_pdf(view, stage / "report.pdf")
            listed["report.pdf"] = (stage / "report.pdf").read_bytes()
        manifest = {
            "taxer_version": __version__,
            "parameters": view.params.manifest(),
            "ledger": {"transactions": fingerprint.transactions, "sha256": fingerprint.sha256},
            "files": {name: {"sha256": sha256(data), "bytes": len(data)} for name, data in listed.items()},
        }
        if archive:
            manifest["archive"] = folder.ARCHIVE
        listed[folder.MANIFEST] = json_bytes(manifest)
        folder.write_file(stage, folder.MANIFEST, listed[folder.MANIFEST])
        if archive:
            folder.write_file(stage, folder.ARCHIVE, zip_bytes(target.out.name, listed))
        folder.commit(target, stage, names)
    notes = () if taxpayer is not None and taxpayer.name else (NO_TAXPAYER,)
    return Package(target.out, view.summary(), tuple(target.out / name for name in names), notes)


def zip_bytes(top: str, files: Mapping[str, bytes]) -> bytes:
    """A zip of `files` under folder `top`: sorted names, fixed timestamps and modes, so re-runs give equal bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(f"{top}/{name}", date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3          # Unix, whatever system wrote it
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()
