"""taxer.runtime.fork_call: one call in a forked child, its progress and its answer (or exception) back here.

The calls run in a fresh interpreter (`python -c`): fork_call declines to fork a process with other threads, and a
pytest-xdist worker has one (its channel to the controller).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_answer_and_the_progress_come_back_in_order():
    out = _run(
        "import os\n"
        "from taxer.runtime import fork_call\n"
        "def work(n, progress):\n"
        "    for k in range(n):\n"
        "        progress(k + 1, n)\n"
        "    return ('done in', os.getpid(), b'x' * 3_000_000)\n"  # bigger than a pipe's buffer
        "child = fork_call('the test', work, 3)\n"
        "seen = []\n"
        "word, pid, data = child.result(lambda done, total: seen.append((done, total)))\n"
        "print(word, pid != os.getpid(), len(data), seen)\n")
    assert out.strip() == "done in True 3000000 [(1, 3), (2, 3), (3, 3)]"


def test_an_exception_in_the_child_is_raised_here_and_the_child_is_reaped():
    out = _run(
        "import os\n"
        "from taxer.errors import ConfigError\n"
        "from taxer.runtime import fork_call\n"
        "def work(progress):\n"
        "    raise ConfigError('no such font: DejaVu Sans')\n"
        "child = fork_call('the test', work)\n"
        "try:\n"
        "    child.result()\n"
        "except ConfigError as exc:\n"
        "    print('raised', exc)\n"
        "try:\n"
        "    os.waitpid(child.pid, 0)\n"
        "except ChildProcessError:\n"
        "    print('reaped')\n")
    assert out.splitlines() == ["raised no such font: DejaVu Sans", "reaped"]


def test_a_child_killed_midway_is_a_clear_error():
    out = _run(
        "import os, signal\n"
        "from taxer.runtime import ChildError, fork_call\n"
        "def work(progress):\n"
        "    progress(1, 2)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "child = fork_call('report.pdf', work)\n"
        "try:\n"
        "    child.result()\n"
        "except ChildError as exc:\n"
        "    print(exc)\n")
    assert "the process making report.pdf" in out and "killed by signal 9" in out
    assert "Nothing was written: run the command again." in out


def test_no_fork_while_other_threads_run():
    out = _run(
        "import threading\n"
        "from taxer.runtime import fork_call\n"
        "stop = threading.Event()\n"
        "thread = threading.Thread(target=stop.wait)\n"
        "thread.start()\n"
        "print(fork_call('the test', lambda progress: 1))\n"
        "stop.set()\n"
        "thread.join()\n"
        "print(fork_call('the test', lambda progress: 1).result())\n")
    assert out.splitlines() == ["None", "1"]
