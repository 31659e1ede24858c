"""The message catalogs, kept with Babel: extract, update, compile, check.

    python infra/catalogs.py extract   # <domain>/locale/messages.pot from code, cards, templates
    python infra/catalogs.py update    # each language's messages.po follows the .pot
    python infra/catalogs.py compile   # messages.mo beside each .po (what the app reads)
    python infra/catalogs.py check     # what tests/test_catalogs.py fails on

One catalog per domain (dialogs/core/i18n.py DOMAINS): its Python modules (`_()`,
`N_()`, `_.ngettext()`), its Adaptive Card templates (`cards/*.json`, the strings of
dialogs/core/cards.py TEXT_KEYS) and its Jinja templates (`templates/*.html`). A module
of a nested package that is not a domain itself (bot/graph/) belongs to the nearest one.

Adding a language: add it to i18n.LANGUAGES, run `update` (a new .po per domain), write
its translations, run `compile`; `check` must say nothing.
"""

from __future__ import annotations

import ast
import io
import json
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dialogs.core import cards, i18n  # noqa: E402

# Fixed, so that extracting twice writes the same files (no diff without a change).
STAMP = datetime(2026, 12, 3, tzinfo=UTC)
HEADER = {
    "project": "Mentorbot",
    "version": "1",
    "copyright_holder": "Mentorbot",
    "msgid_bugs_address": "",
    "last_translator": "Mentorbot",
    "language_team": "Mentorbot",
    "creation_date": STAMP,
    "revision_date": STAMP,
    "fuzzy": False,
}
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "in_language": (2,)}
TARGETS = [lang for lang in i18n.LANGUAGES if lang != i18n.SOURCE]
# {name} (str.format), ${name} (card placeholders), %(name)s (Jinja's trans blocks).
_PLACEHOLDERS = re.compile(r"\$\{\w+\}|\{\w*(?:[:!][^{}]*)?\}|%\(\w+\)[sd]")


def folder(domain: str) -> Path:
    return ROOT.joinpath(*domain.split("."))


def owned_files(domain: str) -> Iterator[Path]:
    """The files of a domain: its folder without the folders of nested domains."""
    base = folder(domain)
    nested = [folder(d) for d in i18n.DOMAINS if d != domain and d.startswith(domain + ".")]
    for path in sorted(base.rglob("*")):
        if not path.is_file() or any(n in path.parents for n in nested):
            continue
        if ".venv" in path.parts or "node_modules" in path.parts or "locale" in path.parts:
            continue
        kinds = {".py": None, ".json": "cards", ".html": "templates"}
        if path.suffix in kinds and kinds[path.suffix] in (None, path.parent.name):
            yield path


def extract(domain: str) -> Catalog:
    template = Catalog(domain=i18n.DOMAIN, **HEADER)  # type: ignore[arg-type]
    for path in owned_files(domain):
        where = str(path.relative_to(ROOT))
        if path.suffix == ".json":
            for text in cards.texts(json.loads(path.read_text("utf-8"))):
                template.add(text, locations=[(where, 0)])
            continue
        method = "python" if path.suffix == ".py" else "jinja2.ext:babel_extract"
        for line, message, comments, _context in extract_from_file(
            method, str(path), keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            template.add(message, locations=[(where, line)], auto_comments=comments)
    if domain == "manifest":  # the app's names and descriptions in the template
        path = folder(domain) / "manifest.template.json"
        manifest = json.loads(path.read_text("utf-8"))
        for part in ("name", "description"):
            for size in ("short", "full"):
                template.add(manifest[part][size], locations=[(path.name, 0)])
    return template


def pot_path(domain: str) -> Path:
    return folder(domain) / "locale" / f"{i18n.DOMAIN}.pot"


def po_path(domain: str, language: str) -> Path:
    return folder(domain) / "locale" / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def _write_po(path: Path, catalog: Catalog, **options: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, omit_header=False, **options)  # type: ignore[arg-type]
    path.write_bytes(buffer.getvalue())


def _read_po(path: Path, language: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def command_extract() -> None:
    for domain in i18n.DOMAINS:
        _write_po(pot_path(domain), extract(domain), sort_output=True, no_location=False)


def command_update() -> None:
    for domain in i18n.DOMAINS:
        template = extract(domain)
        for language in TARGETS:
            path = po_path(domain, language)
            catalog = (
                _read_po(path, language)
                if path.exists()
                else Catalog(locale=language, domain=i18n.DOMAIN, **HEADER)  # type: ignore[arg-type]
            )
            catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
            catalog.obsolete.clear()
            catalog.fuzzy = False
            catalog.revision_date = STAMP
            _write_po(path, catalog, sort_output=True, no_location=True)


def command_compile() -> None:
    for domain in i18n.DOMAINS:
        for language in TARGETS:
            path = po_path(domain, language)
            if path.exists():
                with path.with_suffix(".mo").open("wb") as handle:
                    write_mo(handle, _read_po(path, language))


def placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDERS.findall(text))


def problems(domains: tuple[str, ...] = i18n.DOMAINS) -> list[str]:
    """Everything that makes a catalog wrong: a message the code says and a language
    lacks, an empty or fuzzy translation, a placeholder the English does not have (or the
    other way round), a compiled file behind its .po."""
    found: list[str] = []
    for domain in domains:
        template = extract(domain)
        for language in TARGETS:
            path = po_path(domain, language)
            if not path.exists():
                if len(template):
                    found.append(f"{domain}: no {language} catalog ({path.relative_to(ROOT)})")
                continue
            catalog = _read_po(path, language)
            found += _catalog_problems(domain, language, template, catalog)
            found += _compiled_problems(domain, language, path, catalog)
    return found


def _catalog_problems(domain: str, language: str, template: Catalog, po: Catalog) -> list[str]:
    found = []
    where = f"{domain} [{language}]"
    for message in template:
        if not message.id:
            continue
        key = message.id
        entry = po.get(key if isinstance(key, str) else key[0])
        if entry is None:
            found.append(f"{where}: not in the catalog: {_short(key)}")
            continue
        if entry.fuzzy:
            found.append(f"{where}: fuzzy: {_short(key)}")
        strings = entry.string if isinstance(entry.string, tuple | list) else (entry.string,)
        if not all(strings):
            found.append(f"{where}: untranslated: {_short(key)}")
            continue
        sources = key if isinstance(key, tuple | list) else (key,)
        wanted = placeholders(sources[-1])
        for text in strings:
            # A plural form may leave the count out ("one goal"), never add one.
            have = placeholders(text)
            if have != wanted and not (len(sources) > 1 and set(have) <= set(wanted)):
                found.append(
                    f"{where}: placeholders {have} differ from the English {wanted}: {_short(key)}"
                )
    return found


def _compiled_problems(domain: str, language: str, path: Path, po: Catalog) -> list[str]:
    mo = path.with_suffix(".mo")
    if not mo.exists():
        return [f"{domain} [{language}]: not compiled (python infra/catalogs.py compile)"]
    with mo.open("rb") as handle:
        compiled = read_mo(handle)
    want = {_key(m.id): _forms(m.string) for m in po if m.id}
    have = {_key(m.id): _forms(m.string) for m in compiled if m.id}
    if {k: v for k, v in want.items() if v and not po[k].fuzzy} != {
        k: v for k, v in have.items() if v
    }:
        return [f"{domain} [{language}]: messages.mo is older than messages.po (compile)"]
    return []


def _key(message_id: object) -> str:
    return message_id if isinstance(message_id, str) else str(message_id[0])  # type: ignore[index]


def _forms(string: object) -> object:
    """A translation as one value: a plural's forms as a tuple (a .po gives a tuple, a
    .mo a list); an entry without any translation as empty."""
    if isinstance(string, tuple | list):
        return tuple(string) if any(string) else ""
    return string


def _short(key: object) -> str:
    text = key if isinstance(key, str) else " | ".join(key)  # type: ignore[call-overload]
    return repr(text if len(text) <= 70 else text[:69] + "…")


# --- what is said but not in the catalogs -------------------------------------------------

# Calls whose string arguments are for logs, SQL or code, never for people.
_NOT_FOR_PEOPLE = {
    "debug",
    "info",
    "warning",
    "error",
    "exception",
    "critical",
    "getLogger",
    "when",  # i18n.when(value, "%d %b %Y"): the pattern is code
}


def unmarked(domain: str) -> list[str]:
    """Prose in a domain's Python modules that does not go through the catalogs: a string
    or f-string with a space and three letters outside `_()`, docstrings, log calls and
    exceptions raised for programmers (ValueError, AssertionError, ...) and lines waived
    with `# i18n: not said`."""
    found = []
    for path in owned_files(domain):
        if path.suffix != ".py":
            continue
        source = path.read_text("utf-8")
        lines = source.splitlines()
        if MODULE_WAIVER in lines:
            continue
        tree = ast.parse(source)
        skip = _skipped_nodes(tree)
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.JoinedStr):
                skip.update(id(part) for part in node.values)
            text = _prose(node)
            line = getattr(node, "lineno", 0)
            if text is not None and not _waived(lines, line, getattr(node, "end_lineno", line)):
                where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
                found.append(f"{where}: {_short(text)}")
    return found


# A string people never read (a command's English name, a key, a pattern) says so on
# its line(s): `# i18n: not said`; a module that says nothing to people (HTTP answers for
# the Bot Framework, probes, metric help) says so once, on a line of its own.
WAIVER = "# i18n: not said"
MODULE_WAIVER = "# i18n: this module says nothing to people"


def _waived(lines: list[str], first: int, last: int | None) -> bool:
    return any(WAIVER in lines[n - 1] for n in range(first, (last or first) + 1) if n <= len(lines))


def _prose(node: ast.AST) -> str | None:
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    else:
        return None
    letters = sum(c.isalpha() for c in text)
    return text if " " in text.strip() and letters >= 3 else None


def _skipped_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()

    def drop(node: ast.AST) -> None:
        for child in ast.walk(node):
            skip.add(id(child))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        said = first.value if isinstance(first, ast.Expr) else None
        if isinstance(said, ast.Constant) and isinstance(said.value, str):
            drop(first)  # a docstring
        if isinstance(node, ast.Call):
            name = _call_name(node.func)
            if name in KEYWORDS or name in _NOT_FOR_PEOPLE:
                drop(node)
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if _call_name(exc) in {"ValueError", "TypeError", "AssertionError", "RuntimeError"}:
                drop(node)
        if isinstance(node, ast.Assert):
            drop(node)
    return skip


def _call_name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "extract":
        command_extract()
    elif command == "update":
        command_update()
    elif command == "compile":
        command_compile()
    elif command == "check":
        found = problems()
        print("\n".join(found) or "catalogs: all translated")
        return 1 if found else 0
    elif command == "unmarked":
        domains = argv[1:] or list(i18n.DOMAINS)
        found = [line for d in domains for line in unmarked(d)]
        print("\n".join(found) or "nothing unmarked")
        print(f"{len(found)} unmarked", file=sys.stderr)
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
