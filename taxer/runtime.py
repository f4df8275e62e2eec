"""Process-level settings for bulk work (a million ledger rows in one command), and one call run in a forked
child while this process goes on with other work (a big report's PDF while its CSV files are written)."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from taxer.errors import TaxerError


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a command builds millions of long-lived objects.

    Each full collection walks every live object, and a report allocates millions of them that all stay alive
    until it ends: measured on a million transactions, the collector was a fifth of a report's time. What a
    report frees is freed by reference counting as usual; only reference cycles wait until the block ends.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def gc_running() -> Iterator[None]:
    """Run the cyclic collector inside a `gc_paused` block: for work whose garbage is cyclic, which would
    otherwise pile up until the block ends."""
    was_enabled = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        if not was_enabled:
            gc.disable()


# --- One call in a forked child ----------------------------------------------------------------------------------

class ChildError(TaxerError):
    """The child process ended without its answer (killed, or out of memory): nothing of its work was written."""


class Forked:
    """`function(*args, progress=...)` running in a forked child (see `fork_call`); `result` waits for it.

    The child inherits this process's memory as it is (no pickling of the arguments) and sends back, through a
    pipe, its progress calls and then its return value or exception, pickled. It never touches what the parent
    has open (database connections, files): it leaves with os._exit, running no exit handlers, and it is killed
    when the parent dies, so a killed command leaves no child writing on.
    """

    def __init__(self, pid: int, answers: int, what: str) -> None:
        self.pid, self._answers, self.what = pid, answers, what

    def result(self, progress: Callable[[int, int], None] | None = None):
        """The call's return value (its exception raised here); `progress(done, total)` as the child reports."""
        import pickle

        answered = False
        try:
            while True:
                data = _receive(self._answers)
                if data is None:
                    break
                kind, value = pickle.loads(data)
                if kind == "progress":
                    if progress is not None:
                        progress(*value)
                    continue
                answered = True
                if kind == "ok":
                    return value
                raise value
        finally:
            status = self.close(stop=not answered)  # an answered child is exiting: reaped, not killed
        how = f"killed by signal {-status}" if status is not None and status < 0 else f"exit status {status}"
        raise ChildError(f"the process making {self.what} (pid {self.pid}) ended without it ({how}; out of memory?). "
                         "Nothing was written: run the command again.")

    def close(self, stop: bool = True) -> int | None:
        """Reap the child, stopping it first if it still runs (`stop`; else wait for it to end); its exit status
        (negative: the signal), None if unknown."""
        import signal

        if self._answers >= 0:
            os.close(self._answers)
            self._answers = -1
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG if stop else 0)
            if pid == 0:
                os.kill(self.pid, signal.SIGKILL)
                pid, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            return None
        return os.waitstatus_to_exitcode(status)


def fork_call(what: str, function: Callable, *args) -> Forked | None:
    """Start `function(*args, progress=...)` in a forked child (`what` names its work in an error); None where
    that cannot be done safely: no fork on this system, or other threads alive (a lock one of them holds would
    stay held in the child forever). The caller then does the work itself."""
    import threading

    if not hasattr(os, "fork") or threading.active_count() > 1:
        return None
    answers, to_parent = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(answers)
        _child(parent, to_parent, function, args)
    os.close(to_parent)
    return Forked(pid, answers, what)


def _child(parent: int, answers: int, function: Callable, args: tuple) -> None:
    import pickle

    status = 1
    try:
        _die_with(parent)
        # What the parent left for its collector (it may pause it) is not this child's to collect: a database
        # connection finalized here would talk to the server over the socket the parent still uses.
        gc.freeze()

        def progress(done: int, total: int) -> None:
            _send(answers, pickle.dumps(("progress", (done, total))))

        try:
            answer = ("ok", function(*args, progress=progress))
        except Exception as exc:  # raised again in the parent
            answer = ("error", exc)
        try:
            payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # an exception that cannot be pickled: its text still reaches the parent
            payload = pickle.dumps(("error", RuntimeError(f"{type(answer[1]).__name__}: {answer[1]}")))
        _send(answers, payload)
        status = 0
    except BaseException:  # Ctrl-C, a broken pipe: the parent is gone or going
        pass
    finally:
        os._exit(status)


def _die_with(parent: int) -> None:
    """On Linux, have the kernel kill this child when its parent dies (PR_SET_PDEATHSIG); leave if it already did."""
    import sys

    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:
        os._exit(1)


def _send(fd: int, data: bytes) -> None:
    view = memoryview(len(data).to_bytes(8, "big") + data)
    while view:
        view = view[os.write(fd, view):]


def _receive(fd: int) -> bytes | None:
    """One message, or None at end-of-file (the child is gone)."""
    head = _read_exactly(fd, 8)
    return None if head is None else _read_exactly(fd, int.from_bytes(head, "big"))


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
