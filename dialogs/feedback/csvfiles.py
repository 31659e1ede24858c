"""The CSV files of `/program export` and `/pair export`: UTF-8, a header row, one row
per pair, participant, metric or question aggregate. Only what admins may see: names of
pairs and participants (admins see those in Teams anyway), counts and dates, never an
answer next to a name, a private reason, or who answered an anonymous survey; answer
aggregates under k are withheld, written answers appear only in lists of at least k.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from dialogs.core import i18n
from dialogs.core.people import display
from dialogs.feedback import metrics, templates
from dialogs.feedback.metrics import Aggregate, Metric, Withheld
from storage.models import SurveyTemplate, User
from storage.repos.feedback import CoffeeFacts, ProgramFacts

# Headers, labels and wording are said in the reader's language (exports.download speaks
# the admin's); the values programs read (codes, dates, yes/no, numbers) stay as they are.
_ = i18n.catalog(__package__)
N_ = i18n.N_


def to_csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def _day(at: Any) -> str:
    return at.date().isoformat() if at is not None else ""


def _yes(flag: bool | None) -> str:
    return "" if flag is None else "yes" if flag else "no"


def pairs(f: ProgramFacts, people: dict[int, User]) -> str:
    header = [
        N_("pair"),
        N_("mentor"),
        N_("mentee"),
        N_("status"),
        N_("matched_on"),
        N_("started_on"),
        N_("ended_on"),
        N_("ended_how"),
        N_("sessions_in_window"),
        N_("sessions_to_window_end"),
        N_("agendas_in_window"),
        N_("at_cadence_in_window"),
    ]
    sessions = {s.mentorship_id: s for s in f.sessions}
    rows = []
    for p in f.pairs:
        row = sessions.get(p.id)
        rows.append(
            [
                p.id,
                display(people.get(p.mentor_id)),
                display(people.get(p.mentee_id)),
                p.status,
                _day(p.created_at),
                _day(p.started_at),
                _day(p.ended_at),
                p.end_kind or "",
                row.in_window if row else 0,
                row.until_end if row else 0,
                row.agendas if row else 0,
                _yes(metrics.pair_at_cadence(f, p, sessions)),
            ]
        )
    return to_csv(header, rows)


def participants(f: ProgramFacts, people: dict[int, User]) -> str:
    header = [
        N_("participant"),
        N_("role"),
        N_("department"),
        N_("location"),
        N_("experience"),
        N_("enrolled_on"),
        N_("enrolment_active"),
        N_("matched"),
        N_("first_matched_on"),
        N_("days_to_match"),
        N_("mentorships"),
    ]
    firsts: dict[tuple[int, str], Any] = {}
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for p in f.pairs:
        for key in ((p.mentor_id, "mentor"), (p.mentee_id, "mentee")):
            counts[key] += 1
            if key not in firsts or p.created_at < firsts[key]:
                firsts[key] = p.created_at
    rows = []
    for part in sorted(f.participants, key=lambda x: (x.role, display(people.get(x.user_id)))):
        first = firsts.get((part.user_id, part.role))
        wait = round((first - part.enrolled_at).total_seconds() / 86400, 1) if first else ""
        rows.append(
            [
                display(people.get(part.user_id)),
                part.role,
                part.department,
                part.location,
                metrics.seniority_band(part.years),
                _day(part.enrolled_at),
                _yes(part.active),
                _yes(first is not None),
                _day(first),
                wait,
                counts.get((part.user_id, part.role), 0),
            ]
        )
    return to_csv(header, rows)


def _number(value: Any) -> Any:
    """The metric's number as it is (a count stays whole), "" for lists and withheld."""
    if isinstance(value, Aggregate):
        return value.value
    return value if metrics.headline(value) is not None else ""


def metric_rows(now: list[Metric], before: list[Metric]) -> str:
    header = [
        N_("area"),
        N_("metric"),
        N_("label"),
        N_("value"),
        N_("shown"),
        N_("answers"),
        N_("previous"),
        N_("trend"),
        N_("unit"),
    ]
    previous = {m.key: m for m in before}
    rows = []
    for m in now:
        answers = (
            m.value.n
            if isinstance(m.value, Aggregate)
            else (m.value.answers if isinstance(m.value, Withheld) else "")
        )
        rows.append(
            [
                m.area,
                m.key,
                m.label,
                _number(m.value),
                metrics.shown(m),
                answers,
                metrics.shown(previous[m.key]),
                metrics.trend(m.value, previous[m.key].value),
                m.unit,
            ]
        )
    return to_csv(header, rows)


# --- feedback: one row per question aggregate -------------------------------------------------
def feedback(
    used: dict[int, SurveyTemplate],
    counts: list[tuple[int, str, str, int | None, int | None, str | None, int]],
    texts: list[tuple[int, str, str]],
    stories: list[tuple[int, str | None, str]],
    k: int,
) -> str:
    header = [
        N_("survey"),
        N_("versions"),
        N_("question"),
        N_("text"),
        N_("kind"),
        N_("part"),
        N_("answers"),
        N_("mean"),
        N_("distribution"),
        N_("written_answers"),
    ]
    by_question: dict[tuple[str, str, str], dict[str, Any]] = {}

    def entry(template_id: int, question: str, part: str) -> dict[str, Any]:
        template = used[template_id]
        q = next((x for x in template.questions if x["key"] == question), None)
        slot = by_question.setdefault(
            (template.name, question, part),
            {"versions": set(), "q": q, "values": defaultdict(int), "texts": []},
        )
        slot["versions"].add(template.version)
        if q is not None and template.version >= max(slot["versions"]):
            slot["q"] = q  # the newest wording used in the window
        return slot

    for template_id, question, part, number, number2, choice, n in counts:
        slot = entry(template_id, question, part)
        value = (
            choice
            if choice is not None
            else (f"{number}->{number2}" if number2 is not None else number)
        )
        slot["values"][value] += n
    for template_id, question, text in texts:
        entry(template_id, question, "")["texts"].append(text)
    rows = [
        _feedback_row(name, question, part, slot, k)
        for (name, question, part), slot in sorted(
            by_question.items(), key=lambda item: _order(item[0])
        )
    ]
    rows += _story_rows(used, stories, k)
    return to_csv(header, rows)


def _order(key: tuple[str, str, str]) -> tuple[int, str, str, str]:
    name, question, part = key
    place = templates.PROGRAM_TEMPLATES.index(name) if name in templates.PROGRAM_TEMPLATES else 99
    return place, question, part, name


def _feedback_row(name: str, question: str, part: str, slot: dict[str, Any], k: int) -> list[Any]:
    q = slot["q"] or {"text": N_("(removed question)"), "kind": "", "tag": ""}
    floor = max(metrics.DEMOGRAPHIC_K, k) if str(q.get("tag", "")).startswith("demographic:") else k
    versions = ",".join(str(v) for v in sorted(slot["versions"]))
    values: dict[Any, int] = slot["values"]
    n = sum(values.values()) + len(slot["texts"])
    base = [name, versions, question, _(q["text"]), q["kind"], part, n]
    if n < floor:
        return [*base, "", "", _("fewer than {k} answers", k=floor)]
    if slot["texts"]:
        return [*base, "", "", "\n".join(slot["texts"])]
    return [*base, _mean(values, q["kind"]), _distribution(values, q, floor), ""]


def _mean(values: dict[Any, int], kind: str) -> Any:
    if kind not in (templates.RATING, templates.RECOMMEND, templates.YES_NO, templates.SKILLS):
        return ""
    if kind == templates.SKILLS:
        pairs = [(tuple(map(int, str(v).split("->"))), n) for v, n in values.items()]
        total = sum(n for _, n in pairs)
        return round(sum((b - a) * n for (a, b), n in pairs) / total, 2)
    total = sum(values.values())
    return round(sum(int(v) * n for v, n in values.items()) / total, 2)


def _distribution(values: dict[Any, int], q: dict[str, Any], floor: int) -> str:
    if q["kind"] == templates.YES_NO:
        return f"yes: {values.get(1, 0)}; no: {values.get(0, 0)}"  # i18n: not said
    if q["kind"] == templates.CHOICE:
        shown = metrics.fold_counts(values, floor) if floor > metrics.MIN_K else dict(values)
        titles = {o["value"]: _(o["title"]) for o in q.get("options", [])}
        return "; ".join(f"{titles.get(v, v)}: {n}" for v, n in shown.items())
    if q["kind"] == templates.SKILLS:
        return "; ".join(f"{v}: {n}" for v, n in sorted(values.items(), key=str))
    return "; ".join(f"{v}: {n}" for v, n in sorted(values.items(), key=lambda i: int(i[0])))


def _story_rows(
    used: dict[int, SurveyTemplate], stories: list[tuple[int, str | None, str]], k: int
) -> list[list[Any]]:
    rows = []
    by_name: dict[str, list[tuple[str | None, str]]] = defaultdict(list)
    for template_id, author, text in stories:
        by_name[used[template_id].name].append((author, text))
    for name, told in sorted(by_name.items()):
        named = [f"{author}: {text}" for author, text in told if author]
        unnamed = [text for author, text in told if not author]
        shown = named + (unnamed if len(unnamed) >= k else [])
        text = (
            _(
                "Stories shared ({n} anonymous, fewer than {k}, withheld)",
                n=len(unnamed),
                k=k,
            )
            if 0 < len(unnamed) < k
            else _("Stories shared")
        )
        rows.append(
            [
                name,
                "",
                "story",
                text,
                templates.STORY,
                "",
                len(told),
                "",
                "",
                "\n".join(shown),
            ]
        )
    return rows


# --- coffee --------------------------------------------------------------------------------------
def coffee_groups(f: CoffeeFacts, people: dict[int, User]) -> str:
    header = [
        N_("round_on"),
        N_("group"),
        N_("members"),
        N_("size"),
        N_("departments"),
        N_("followed_up"),
        N_("met_yes"),
    ]
    groups: dict[int, list[Any]] = defaultdict(list)
    for seat in f.seats:
        if f.start <= seat.round_at < f.end:
            groups[seat.group_id].append(seat)
    rows = []
    for group_id, seats in sorted(groups.items(), key=lambda g: (g[1][0].round_at, g[0])):
        depts = {f.departments.get(s.user_id, "").strip().lower() for s in seats} - {""}
        mixed = "mixed" if len(depts) > 1 else "same" if len(depts) == 1 and len(seats) > 1 else ""
        rows.append(
            [
                _day(seats[0].round_at),
                group_id,
                "; ".join(sorted(display(people.get(s.user_id)) for s in seats)),
                len(seats),
                mixed,
                sum(1 for s in seats if s.followed_up),
                sum(1 for s in seats if s.met == "yes"),
            ]
        )
    return to_csv(header, rows)
