"""The README says what the registries hold and documents every command (in the manner of sqlite-utils'
tests/test_docs.py): a registry entry or a command without docs fails here."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from taxer import docs
from taxer.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def _commands(group: click.Group, prefix: str = "taxer"):
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, path)


COMMANDS = list(_commands(main))


def test_the_readme_lists_what_the_registries_hold():
    assert docs.block() in README, "the README's registries block is out of date: run `python -m taxer.docs` " \
                                   "and paste its output over the block in README.md"


@pytest.mark.parametrize("path,command", COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_has_help_and_is_in_the_readme(path, command):
    assert (command.help or "").strip(), f"`{path}` has no help text"
    assert path in README, f"`{path}` is not mentioned in README.md"
    for param in command.params:
        if isinstance(param, click.Option):
            assert (param.help or "").strip(), f"`{path}` option {param.opts[0]} has no help text"
