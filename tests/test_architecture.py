"""The house runs one way: sources -> ledger -> engine -> reports, with the CLI a thin skin over a facade.

Each of taxer's packages may import only the packages below it (ALLOWED); nothing imports in a loop; ccxt,
the PDF writer (pydyf) and the replica have their owners; and `taxer --help` loads none of the heavy libraries. Imports
under `if TYPE_CHECKING:` are for the type checker only and are not counted.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "taxer"

VOCABULARY = {"errors", "model", "money", "words", "files", "resources", "runtime", "__version__"}
# What each of taxer's top-level packages and modules may import from taxer (besides itself and VOCABULARY).
ALLOWED: dict[str, set[str]] = {
    "model": set(),
    "money": set(),
    "words": set(),                                    # counts and identifiers as people read them
    "files": set(),
    "errors": set(),
    "resources": set(),
    "runtime": set(),
    "engine": set(),                                   # pure: the model only
    "countries": {"engine"},
    "corrections": {"engine"},
    "exchanges": set(),                                # sources ...
    "importers": {"exchanges"},                        # (an export shares its exchange's asset codes and ids)
    "store": {"corrections"},                          # ... the ledger (it stores correction records)
    "pricing": {"engine", "exchanges", "importers", "store"},
    "keys": {"exchanges", "store"},                    # the key check and its advice, at sync and on its own
    "sync": {"exchanges", "store", "keys"},
    "reports": {"engine", "countries", "corrections"},  # formats what the engine produced
    "fingerprint": {"store"},
    "config": {"engine", "countries", "exchanges", "pricing"},
    "year": {"engine", "countries", "corrections", "pricing", "reports", "store", "config", "fingerprint"},
    "review": {"engine", "corrections", "reports", "store", "year"},
    # holdings at a moment, like a tax year: loads the workspace, computes, assembles for the views and the page
    "portfolio": {"engine", "countries", "corrections", "pricing", "reports", "store", "config"},
    "views": {"store"},
    "docs": {"engine", "countries", "exchanges", "importers"},  # the README's tables, from the registries
    "api": {"engine", "countries", "corrections", "exchanges", "importers", "store", "pricing", "sync", "keys",
            "reports", "config", "year", "review", "portfolio"},
    "demo": {"api", "views"},
    "cli": {"api", "views", "demo", "countries", "engine", "exchanges", "portfolio"},  # portfolio.show: its views
}
# Third-party modules and their only users inside taxer (pydyf: the PDF writer and its fonts).
OWNERS = {"ccxt": {"taxer.exchanges.gateway"}, "pydyf": {"taxer.reports.pdf_text", "taxer.reports.pdf_fonts"},
          "taxer_replica": {"taxer.demo"}}


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


@cache
def imports() -> dict[str, frozenset[str]]:
    """module -> every module it imports (at the top or inside functions), TYPE_CHECKING blocks excepted.

    Parsed once per test process (each test used to parse every module again, once per library checked)."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        tree = ast.parse(path.read_text())
        skip = _type_checking_lines(tree)
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in skip:
                continue
            if isinstance(node, ast.Import):
                found[module].update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module == "taxer":
                    found[module].update(f"taxer.{a.name}" for a in node.names)
                else:
                    found[module].add(node.module)
    return {module: frozenset(targets) for module, targets in found.items()}


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "taxer" and len(parts) > 1 else None


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, targets in imports().items():
        src = _package(module)
        for target in targets:
            dst = _package(target)
            if src and dst and dst != src:
                graph[src].add(dst)
    return graph


def test_every_package_imports_only_what_is_below_it():
    graph = package_graph()
    assert set(graph) <= set(ALLOWED), f"a package the layering does not know: {sorted(set(graph) - set(ALLOWED))}"
    wrong = {src: sorted(dsts - ALLOWED[src] - VOCABULARY) for src, dsts in graph.items()
             if dsts - ALLOWED[src] - VOCABULARY}
    assert not wrong, f"imports against the one-way layering: {wrong}"


def test_no_loop_between_packages():
    graph = package_graph()
    seen, stack, loops = set(), [], []

    def visit(node: str) -> None:
        if node in stack:
            loops.append(stack[stack.index(node):] + [node])
            return
        if node in seen:
            return
        seen.add(node)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            visit(nxt)
        stack.pop()

    for node in sorted(graph):
        visit(node)
    assert not loops, f"import loops: {loops}"


def test_the_engine_imports_only_the_model():
    for module, targets in imports().items():
        if module.startswith("taxer.engine"):
            outside = {t for t in targets if t.startswith("taxer.") and not t.startswith("taxer.engine")}
            assert outside <= {"taxer.model", "taxer.errors"}, (module, outside)


def test_heavy_libraries_have_one_owner():
    for library, owners in OWNERS.items():
        users = {m for m, targets in imports().items()
                 if any(t == library or t.startswith(library + ".") for t in targets)}
        assert users == owners, f"{library} is imported by {sorted(users)}, only {sorted(owners)} may"


def test_taxer_help_loads_no_heavy_library():
    # Start-up speed (issue 17): `taxer --help` must not import ccxt, the PDF writer, pandas, SQLAlchemy or the
    # library behind the CLI. Checked by what is imported, not by a clock.
    code = ("import sys\nfrom taxer.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = sorted(m for m in ('ccxt', 'pydyf', 'pandas', 'sqlalchemy', 'sqlmodel', 'alembic', "
            "'taxer.api', 'taxer.store', 'taxer_replica') if m in sys.modules)\nprint('HEAVY', heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out, out


def test_taxer_accounts_on_a_current_ledger_loads_no_heavy_library(tmp_path):
    # Issue 17: `taxer accounts` (and the other read-only commands) open a ledger whose schema is current without
    # Alembic, and query it with SQLAlchemy Core: no SQLModel/pydantic, ccxt or the PDF writer, nor the engine's users.
    db = tmp_path / "ledger.db"
    subprocess.run([sys.executable, "-c", f"from taxer import api; api.workspace({str(db)!r})"], check=True)
    code = ("import sys\nfrom taxer.cli import main\ntry:\n    main(['--db', sys.argv[1], 'accounts'])\n"
            "except SystemExit:\n    pass\nheavy = sorted(m for m in ('ccxt', 'pydyf', 'pandas', 'sqlmodel', "
            "'pydantic', 'alembic', 'sqlalchemy.orm', 'taxer.year', 'taxer.importers', 'taxer.reports', "
            "'taxer.pricing', 'taxer_replica') if m in sys.modules)\nprint('HEAVY', heavy)\n")
    out = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, check=True).stdout
    assert "No accounts yet" in out and "HEAVY []" in out, out


def test_a_csv_report_on_sqlite_loads_no_postgresql_ccxt_or_pdf_writer(tmp_path):
    # Issue 17: `taxer report --format csv` of a SQLite ledger needs neither the PostgreSQL dialect (which imports
    # every PostgreSQL driver's dialect), nor ccxt (no prices are fetched), nor the PDF writer.
    db = tmp_path / "ledger.db"
    subprocess.run([sys.executable, "-m", "taxer.cli", "--db", str(db), "import", "csv",
                    str(ROOT / "sample_data" / "coinbase.csv"), "--account", "coinbase"],
                   check=True, capture_output=True)
    code = ("import sys\nfrom taxer.cli import main\ntry:\n    main(['--db', sys.argv[1], 'report', '--year', '2024', "
            "'--out', sys.argv[2], '--format', 'csv'])\nexcept SystemExit:\n    pass\n"
            "heavy = sorted(m for m in ('sqlalchemy.dialects.postgresql', 'psycopg', 'ccxt', 'pydyf', "
            "'taxer_replica') if m in sys.modules)\nprint('HEAVY', heavy)\n")
    out = subprocess.run([sys.executable, "-c", code, str(db), str(tmp_path / "out")], capture_output=True,
                         text=True, check=True).stdout
    assert (tmp_path / "out" / "form8949.csv").is_file() and "HEAVY []" in out, out
