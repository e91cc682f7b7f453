"""docs/commands.md names every command of `anlaufstelle` and, in that command's row, every
option it takes: an admin reading it must not need `--help` to learn that an option exists
(`--recovery-key-file` was missing once). The rows are compared with the real parser."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from bot.cli.main import _parser, subcommands

COMMANDS_DOC = Path(__file__).resolve().parents[2] / "docs" / "commands.md"
ROW = re.compile(r"^\| `anlaufstelle (?P<usage>[^`]*)` \|.*$", re.MULTILINE)
WORD = re.compile(r"[a-z][a-z-]*")


def _rows() -> dict[str, list[str]]:
    """The table's rows by command: the leading lower-case words of the first cell's usage
    (`anlaufstelle counsellor add NAME` is "counsellor add")."""
    rows: dict[str, list[str]] = {}
    for match in ROW.finditer(COMMANDS_DOC.read_text(encoding="utf-8")):
        words = []
        for word in match.group("usage").split():
            if not WORD.fullmatch(word):
                break
            words.append(word)
        rows.setdefault(" ".join(words), []).append(match.group(0))
    return rows


def _leaves() -> dict[str, argparse.ArgumentParser]:
    """Every command an admin runs: the subcommands that have no subcommands of their own."""
    return {
        " ".join(words): parser
        for words, parser in subcommands(_parser())
        if not any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)
    }


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [
        option
        for action in parser._actions  # argparse offers no public list of a parser's options
        if action.help != argparse.SUPPRESS and action.dest not in ("help", "config")
        for option in action.option_strings
        if option.startswith("--")
    ]


def test_every_command_has_one_row_naming_each_of_its_options() -> None:
    rows = _rows()
    for command, parser in _leaves().items():
        assert len(rows.get(command, [])) == 1, f"`anlaufstelle {command}`: one row expected"
        (row,) = rows[command]
        for option in _options(parser):
            assert re.search(rf"`{option}[ `]", row), f"`anlaufstelle {command}`: {option}"


def test_every_row_is_a_command_there_is() -> None:
    assert set(_rows()) <= set(_leaves())


def test_the_option_every_command_takes_is_named_once_for_all() -> None:
    intro = COMMANDS_DOC.read_text(encoding="utf-8").split("| command |")[0]
    assert "`--config FILE`" in intro
