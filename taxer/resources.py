"""Where taxer's bundled files are: inside the installed package (wheel) or at the top of a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    # A wheel carries templates/ and sample_data/ inside the package (pyproject force-include); an editable
    # install or a checkout has them at the repository's top level.
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"taxer's {name}/ folder is missing from this installation; reinstall taxer")


def templates_dir() -> Path:
    return _find("templates")


def sample_data_dir() -> Path:
    return _find("sample_data")
