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


def cache_dir(name: str) -> Path | None:
    """A folder for `name`'s cache between runs (compiled templates), or None when there is no safe one.

    $TAXER_CACHE_DIR, else $XDG_CACHE_HOME/taxer, else ~/.cache/taxer; `name` is a folder inside it. What a cache
    holds is loaded as code, so the folder is used only when it is a real folder (not a link) owned by this user
    and writable by nobody else; TAXER_CACHE_DIR set to an empty string turns caching off. Nothing in it matters:
    removing it only costs the time to rebuild it.
    """
    import os
    import stat

    base = os.environ.get("TAXER_CACHE_DIR")
    if base == "":
        return None
    if base is None:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = os.path.join(xdg, "taxer") if xdg and os.path.isabs(xdg) else os.path.expanduser("~/.cache/taxer")
    folder = Path(base) / name
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        return None
    return folder
