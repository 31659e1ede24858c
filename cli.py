"""Mentorbot's command line: `mentorbot serve | migrate | manifest | pair | match`.

The offline commands (`pair`, `match`) need no settings and no bot: they load only
their algorithm and the JSON reader, so `mentorbot pair` on 100,000 members does not
pay for aiohttp, botbuilder or SQLAlchemy at start-up. `serve`, `migrate` and
`manifest` load the app (app.py, the composition root) when they run.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def pair(args: argparse.Namespace) -> int:
    """`mentorbot pair`: the pairing algorithm on JSON files, for planning and review."""
    # Reading 100,000 members and 12 rounds makes millions of lists and strings, and no
    # cycles: the cyclic collector would only walk them again and again (a third of the
    # time). Off for the command, back on after (tests call it inside their own process).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _pair(args)
    finally:
        if collecting:
            gc.enable()


def _pair(args: argparse.Namespace) -> int:
    from dialogs.coffee import grouping as pairing

    try:
        members = pairing.parse_members(_read_json(args.members, "members"))
        history = pairing.parse_history(
            _read_json(args.history, "history") if args.history else [], members
        )
        result = pairing.make_groups(
            members,
            history,
            group_size=args.group_size,
            seed=args.seed,
            window=args.window,
            prefer_cross_department=args.cross_department,
        )
    except ValueError as exc:
        print(f"mentorbot pair: {exc}", file=sys.stderr)
        return 2
    text = groups_json(result.groups, result.summary.to_dict())
    try:
        if args.out:
            args.out.write_text(text + "\n")
        else:
            print(text)
    except OSError as exc:
        print(f"mentorbot pair: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0


def groups_json(groups: Sequence[Sequence[str]], summary: dict[str, Any]) -> str:
    """`json.dumps({"groups": groups, "summary": summary}, indent=1)`, the same text,
    but the groups (100,000 ids) written in one join instead of the pure-Python
    encoder that `indent` selects. Strings go through json's own (C) ASCII escaper."""
    if not groups or not all(groups):
        return json.dumps({"groups": groups, "summary": summary}, indent=1)
    quote = json.encoder.encode_basestring_ascii
    body = "\n  ],\n  [\n   ".join(",\n   ".join(map(quote, group)) for group in groups)
    rest = json.dumps(summary, indent=1).replace("\n", "\n ")
    return f'{{\n "groups": [\n  [\n   {body}\n  ]\n ],\n "summary": {rest}\n}}'


def match_mentors(args: argparse.Namespace) -> int:
    """`mentorbot match`: mentor matching on JSON files, for planning and review."""
    from dialogs.mentoring import matching

    try:
        mentors = matching.parse_people(
            _read_json(args.mentors, "mentors"), "mentors", default_capacity=args.default_capacity
        )
        mentees = matching.parse_people(_read_json(args.mentees, "mentees"), "mentees")
        weights = matching.parse_weights(
            _read_json(args.weights, "weights") if args.weights else None
        )
        result = matching.match(mentors, mentees, weights, at=_instant(args.at))
    except ValueError as exc:
        print(f"mentorbot match: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(result.to_dict(), indent=1, ensure_ascii=False)
    try:
        if args.out:
            args.out.write_text(text + "\n", encoding="utf-8")
        else:
            print(text)
    except OSError as exc:
        print(f"mentorbot match: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0


def _instant(text: str | None) -> datetime:
    """--at: an ISO 8601 date or time (UTC unless it says otherwise); default now."""
    if text is None:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"--at must be an ISO 8601 date or time, e.g. 2025-03-01T09:00Z ({text!r})"
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _read_json(path: Path, what: str) -> object:
    """The decoded file: orjson first (several times faster on large files); anything it
    refuses goes through json exactly as before, so what is accepted (NaN, lone
    surrogates) and every error message stay json's. (orjson reads an integer past 64
    bits as a float: neither is a string, list or null, which is all the checks take.)"""
    import orjson

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the {what} file {path}: {exc.strerror}") from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:  # what path.read_text(encoding="utf-8") gave: universal newlines
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        return json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the {what} file {path} is not valid JSON: {exc}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mentorbot", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    serve_cmd = sub.add_parser("serve", help="run the bot (default)")
    serve_cmd.add_argument("--port", type=int)
    sub.add_parser("migrate", help="apply database migrations and exit")
    manifest_cmd = sub.add_parser("manifest", help="write the Teams app package (zip)")
    manifest_cmd.add_argument("--app-id", help="Microsoft app id (default: MicrosoftAppId)")
    manifest_cmd.add_argument("--out", type=Path, default=Path("mentorbot-app.zip"))
    manifest_cmd.add_argument("--base-url", help="public https URL of the bot's website")
    pair_cmd = sub.add_parser("pair", help="make coffee-chat groups offline (JSON in and out)")
    pair_cmd.add_argument("--members", type=Path, required=True, help="JSON list of members")
    pair_cmd.add_argument("--history", type=Path, help="JSON list of past rounds, oldest first")
    pair_cmd.add_argument("--group-size", type=int, default=2, help="2 to 4 (default 2)")
    pair_cmd.add_argument("--seed", type=int, default=0, help="same seed, same groups")
    pair_cmd.add_argument("--window", type=int, default=12, help="rounds that count as recent")
    pair_cmd.add_argument("--cross-department", action="store_true", help="prefer mixing")
    pair_cmd.add_argument("--out", type=Path, help="write here instead of stdout")
    match_cmd = sub.add_parser("match", help="match mentees with mentors offline (JSON in and out)")
    match_cmd.add_argument("--mentors", type=Path, required=True, help="JSON list of mentors")
    match_cmd.add_argument("--mentees", type=Path, required=True, help="JSON list of mentees")
    match_cmd.add_argument("--weights", type=Path, help="JSON object: criterion -> 0 to 10")
    match_cmd.add_argument(
        "--default-capacity", type=int, default=2, help="mentees per mentor without one (1-5)"
    )
    match_cmd.add_argument("--at", help="instant for time-zone offsets, ISO 8601 (default: now)")
    match_cmd.add_argument("--out", type=Path, help="write here instead of stdout")
    args = parser.parse_args(argv)
    if args.command == "pair":  # offline: needs no settings
        return pair(args)
    if args.command == "match":  # offline: needs no settings
        return match_mentors(args)
    from settings import Settings, SettingsError

    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"mentorbot: configuration error: {exc}", file=sys.stderr)
        return 2
    import app  # the bot: aiohttp, botbuilder, SQLAlchemy and the features

    if args.command == "migrate":
        app.migrate(settings)
    elif args.command == "manifest":
        try:
            app.build_manifest(settings, args.app_id, args.out, args.base_url)
        except ValueError as exc:
            print(f"mentorbot: {exc}", file=sys.stderr)
            return 2
    else:
        port = getattr(args, "port", None)
        app.serve(settings.with_(port=port) if port else settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
