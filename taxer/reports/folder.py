"""Putting a package into `--out` whole: the folder is always exactly one run's package, never a mix of two.

The new package is written into a fresh folder beside `--out` (same parent, a unique name `mkdir` creates or
fails on, so nothing planted is reused) and swapped in at the end: on Linux with one atomic
`renameat2(RENAME_EXCHANGE)`, elsewhere by renaming the old folder aside and the new one in (a crash between the
two renames leaves `--out` missing and both packages beside it, which the next report removes). Then the old
package is removed.

What `--out` may hold: nothing, or an earlier taxer package (the files its manifest.json lists, the manifest and
the archive it names). Anything else is refused unless `force`; then the package is written beside those files in
place (each file whole, the old manifest removed first and the new one written last, so a crash leaves a folder
without a manifest rather than one whose manifest lies), and files the old manifest listed that the new one does
not are removed. A folder that cannot be swapped (the current folder, a mount point, one whose parent taxer may
not write) is filled in place the same way.

Links: `--out` itself must not be a symbolic link (taxer would replace the link with a folder, or write where
the link points: it refuses and names the real folder); folders above it are the user's path and are followed.
A link inside `--out` is never written through: files are created new (taxer.files) and renamed over a name.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import secrets
import shutil
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from taxer.errors import TaxerError
from taxer.files import create_new, sync_folder

MANIFEST = "manifest.json"
ARCHIVE = "package.zip"
NEW = "taxer-new"      # staging folders: .<out>.taxer-new-<pid>-<hex> beside it, .taxer-new-<pid>-<hex> inside
OLD = "taxer-old"


@dataclass(frozen=True)
class Target:
    """Where a package goes and how: swapped in whole, or written in place (see the module docstring)."""

    out: Path
    in_place: bool
    old_files: frozenset[str]      # what the earlier taxer package in `out` consists of (manifest included)


def _fail(out: Path, what: str, exc: OSError | None = None) -> TaxerError:
    reason = f": {exc.strerror}" if exc is not None and exc.strerror else ""
    return TaxerError(f"cannot write the report into {out}: {what}{reason}. Pass --out with a folder you may write "
                      "to; nothing was changed.")


def old_package(out: Path) -> frozenset[str] | None:
    """The names of the earlier taxer package in `out` (from its manifest.json), or None without a readable one."""
    try:
        fd = os.open(out / MANIFEST, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            manifest = json.loads(handle.read(1 << 24))
        files = set(manifest["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    archive = manifest.get("archive")
    names = {*files, MANIFEST, *([archive] if isinstance(archive, str) else [])}
    return frozenset(n for n in names if isinstance(n, str) and _plain(n))


def _plain(name: str) -> bool:
    """A file name, not a path (a crafted manifest must not make taxer remove files elsewhere)."""
    return name not in ("", ".", "..") and "/" not in name and "\\" not in name and "\0" not in name


def _ours(name: str) -> bool:
    """A staging folder a taxer report made inside `out` (left by a killed run when its process is gone)."""
    return name.startswith(f".{NEW}-")


def prepare(out: str | Path, names: Iterable[str], *, force: bool = False) -> Target:
    """Check `out` before anything is written and decide how the package goes in; TaxerError names what is wrong."""
    out = Path(os.path.abspath(out))
    names = set(names)
    if out.is_symlink():
        raise TaxerError(f"--out {out} is a symbolic link (to {os.readlink(out)}); taxer does not write through "
                         f"links it did not create. Pass the real folder ({out.resolve()}) as --out; nothing was "
                         "changed.")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _fail(out, f"cannot create its parent folder {out.parent}", exc) from None
    if not out.exists():
        if not os.access(out.parent, os.W_OK):
            raise _fail(out, f"the folder {out.parent} is not writable")
        return Target(out, False, frozenset())
    if not out.is_dir():
        raise TaxerError(f"--out {out} is a file, not a folder. Pass a folder for the report (it is created if "
                         "new); nothing was changed.")
    old = old_package(out) or frozenset()
    foreign, blocking = [], []
    for entry in sorted(os.scandir(out), key=lambda e: e.name):
        if _ours(entry.name) and entry.is_dir(follow_symlinks=False):
            continue
        regular = entry.is_file(follow_symlinks=False)
        if entry.name not in old or not regular:
            foreign.append(entry.name + ("/" if entry.is_dir(follow_symlinks=False) else ""))
        if entry.name in names and entry.is_dir(follow_symlinks=False):
            blocking.append(entry.name)
    if foreign and not force:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise TaxerError(f"--out {out} holds {len(foreign)} {'entry' if len(foreign) == 1 else 'entries'} that are "
                         f"not an earlier taxer report ({shown}). taxer writes a report into a new or empty "
                         "folder, or over an earlier report (the files its manifest.json lists), so the folder "
                         "holds exactly one package. Move them away, pick another --out, or pass --force to write "
                         "the package beside them (they are left as they are); nothing was changed.")
    if blocking:
        raise TaxerError(f"--out {out} holds a folder named {', '.join(blocking)}, where the report writes a "
                         "file. Move it away or pick another --out; nothing was changed.")
    if not os.access(out, os.W_OK):
        raise _fail(out, "the folder is not writable")
    cwd = Path(os.path.abspath(os.getcwd()))
    unswappable = bool(foreign) or cwd == out or out in cwd.parents or os.path.ismount(out) \
        or not os.access(out.parent, os.W_OK)
    return Target(out, unswappable, old)


@contextmanager
def staging(target: Target) -> Iterator[Path]:
    """A new, empty folder to write the package into (removed again if anything fails before `commit`)."""
    _remove_stale(target.out)
    parent, prefix = (target.out, f".{NEW}-") if target.in_place else (target.out.parent, f".{target.out.name}.{NEW}-")
    folder = _new_folder(parent, prefix)
    if not target.in_place and target.out.is_dir():
        os.chmod(folder, stat.S_IMODE(os.stat(target.out).st_mode))  # keep the folder's permissions
    try:
        yield folder
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _new_folder(parent: Path, prefix: str) -> Path:
    for _ in range(100):
        folder = parent / f"{prefix}{os.getpid()}-{secrets.token_hex(6)}"
        try:
            os.mkdir(folder, 0o777)  # fails on any existing name, a planted link included
            return folder
        except FileExistsError:
            continue
        except OSError as exc:
            raise _fail(parent, "cannot create a folder there", exc) from None
    raise _fail(parent, "no free name for a new folder")  # pragma: no cover


def _remove_stale(out: Path) -> None:
    """Remove staging folders of reports into `out` that were killed (their process is gone)."""
    places = [(out.parent, f".{out.name}.{NEW}-"), (out.parent, f".{out.name}.{OLD}-"), (out, f".{NEW}-")]
    for parent, prefix in places:
        try:
            entries = [e for e in os.scandir(parent) if e.name.startswith(prefix) and e.is_dir(follow_symlinks=False)]
        except OSError:
            continue
        for entry in entries:
            pid = entry.name[len(prefix):].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


def commit(target: Target, folder: Path, names: Iterable[str]) -> None:
    """Make the package staged in `folder` the content of `target.out` (manifest.json among `names`)."""
    sync_folder(folder)
    if target.in_place:
        _fill_in_place(target, folder, list(names))
    else:
        _swap(target.out, folder)


def _fill_in_place(target: Target, folder: Path, names: list[str]) -> None:
    out = target.out
    try:
        (out / MANIFEST).unlink(missing_ok=True)  # no manifest while the folder is a mix
        for name in names:
            if name != MANIFEST:
                os.replace(folder / name, out / name)
        for name in sorted(target.old_files - set(names)):
            path = out / name
            if path.is_symlink() or path.is_file():
                path.unlink()
        os.replace(folder / MANIFEST, out / MANIFEST)
    except OSError as exc:
        raise _fail(out, f"writing {exc.filename or 'a file'} failed", exc) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    sync_folder(out)


def _swap(out: Path, folder: Path) -> None:
    try:
        if not out.exists():
            _rename_new(folder, out)
        elif _exchange(folder, out):
            shutil.rmtree(folder, ignore_errors=True)  # now the old package
        else:
            aside = out.with_name(f".{out.name}.{OLD}-{os.getpid()}-{secrets.token_hex(6)}")
            os.rename(out, aside)
            try:
                os.rename(folder, out)
            except BaseException:
                os.rename(aside, out)
                raise
            shutil.rmtree(aside, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(folder, ignore_errors=True)
        raise _fail(out, "putting the new package in place failed", exc) from None
    sync_folder(out.parent)


RENAME_NOREPLACE, RENAME_EXCHANGE, AT_FDCWD = 1, 2, -100


def _renameat2(source: Path, dest: Path, flags: int) -> bool:
    """Linux renameat2(2); False where the system or the file system does not offer it."""
    try:
        call = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    call.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    if call(AT_FDCWD, os.fsencode(source), AT_FDCWD, os.fsencode(dest), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(source), None, str(dest))


def _exchange(folder: Path, out: Path) -> bool:
    """Atomically swap the two folders' names where the system can."""
    return _renameat2(folder, out, RENAME_EXCHANGE)


def _rename_new(folder: Path, out: Path) -> None:
    """Rename `folder` to `out`, which must still not exist (another report may have made it meanwhile)."""
    if not _renameat2(folder, out, RENAME_NOREPLACE):
        os.rename(folder, out)  # replaces at most an empty folder made meanwhile


def write_file(folder: Path, name: str, data: bytes) -> Path:
    """A new file in the staging folder (created with O_EXCL|O_NOFOLLOW: never an existing name)."""
    path = folder / name
    fd = create_new(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return path
