"""The route table's parsing, matching and suggestions, without a bot."""

from __future__ import annotations

import pytest

from dialogs.core.router import Command, RouteTable
from dialogs.routes import build_table

TABLE = build_table()


@pytest.mark.parametrize(
    ("text", "name", "args", "rest"),
    [
        ("help", "help", {}, ""),
        ("  HELP  ", "help", {}, ""),
        ("delete my data", "delete my data", {}, ""),
        ("my data", "my data", {}, ""),
        ("pause until 2026-12-31", "pause", {}, "until 2026-12-31"),
        ("/admin add @Ana Lee", "/admin add", {}, "@Ana Lee"),
        (
            '/admin add user=ana@contoso.com team="Data Guild"',
            "/admin add",
            {"user": "ana@contoso.com", "team": "Data Guild"},
            "",
        ),
        ("/TEAM", "/team", {}, ""),
        ('/admin list team="unbalanced', "/admin list", {"team": "unbalanced"}, ""),
    ],
)
def test_parse(text, name, args, rest):
    parsed = TABLE.parse(text)
    assert parsed is not None and parsed.command.name == name
    assert parsed.args == args and parsed.rest == rest


@pytest.mark.parametrize("text", ["", "admin add", "/profile", "helpme", "/admin"])
def test_no_match(text):
    assert TABLE.parse(text) is None


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("hlep", "help"),
        ("/admn list", "/admin list"),
        ("opt-out", "opt out"),
        ("/tema", "/team"),
        ("banana bread recipe", None),
    ],
)
def test_suggest(typed, expected):
    assert TABLE.suggest(typed) == expected


def test_every_command_has_help_and_a_handler():
    for command in TABLE.commands:
        assert command.summary and callable(command.handler)
        assert TABLE.parse(command.name).command is command


def test_duplicate_commands_are_refused():
    async def noop(turn):
        return None

    with pytest.raises(ValueError):
        RouteTable([Command("help", "a", noop), Command("help", "b", noop)], [])
