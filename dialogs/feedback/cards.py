"""The survey card: a title for its moment, what admins will see, the questions of the
survey's template version, and when it closes.

Inputs are named `q_<key>` (skills: `q_<key>_<n>_before` and `_after` per focus area;
a story: `q_<key>` and `q_<key>_share`), and the submit carries the invite's id, plus,
on a change card, the response's revision and (anonymous surveys) the change token.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.core import i18n
from dialogs.core.cards import Cards
from dialogs.core.local_time import zone_name
from dialogs.core.people import display
from dialogs.feedback import templates
from dialogs.feedback.metrics import k_of
from storage.models import Program, Survey, SurveyInvite, SurveyTemplate, Team, User
from storage.repos import Repos

_ = i18n.catalog(__package__)
N_ = i18n.N_
CARDS = Cards("dialogs.feedback")
MAX_TEXT, MAX_STORY = 500, 2000
SKILLS_FALLBACK = N_("The skills you worked on")  # stored as the area's name, said translated
MAX_SKILL_AREAS = 5
SHARE = {"anonymous": N_("Share it anonymously"), "name": N_("Share it with my name")}
TITLES = {
    "session": N_("📝 How was your session with {partner}?"),
    "day30": N_("🌱 30 days with {partner}: how is it going?"),
    "mid": N_("⏳ Halfway through {program}"),
    "end": N_("🏁 {program} has ended: how was it?"),
    "progress": N_("📈 How is {partner} doing in {program}?"),
    "after": N_("👋 Two months after {program}"),
    "pulse": N_("☕ This round's coffee chat in {team}"),
}


@dataclass
class Context:
    """What the cards of a batch of invites need, read at once."""

    templates: dict[int, SurveyTemplate]
    programs: dict[int, Program]
    teams: dict[int, Team]
    people: dict[int, User]
    k: dict[int, int]  # survey id -> its minimum number of answers

    @classmethod
    async def load(
        cls, repos: Repos, surveys: Iterable[Survey], invites: Iterable[SurveyInvite]
    ) -> Context:
        chosen = {s.id: s for s in surveys}
        programs = {
            pid: p
            for pid in {s.program_id for s in chosen.values() if s.program_id}
            if (p := await repos.programs.get(pid)) is not None
        }
        teams = await repos.teams.by_ids({s.team_id for s in chosen.values()})
        partners = {i.partner_id for i in invites if i.partner_id}
        settings = await repos.feedback.programs_settings(programs)
        coffee = {
            t: await repos.feedback.coffee_settings(t)
            for t in {s.team_id for s in chosen.values() if s.program_id is None}
        }
        k = {}
        for s in chosen.values():
            found = settings.get(s.program_id) if s.program_id else coffee.get(s.team_id)
            k[s.id] = k_of(found.min_answers if found else None)
        return cls(
            templates=await repos.feedback.templates(s.template_id for s in chosen.values()),
            programs=programs,
            teams=teams,
            people=await repos.users.by_ids(partners),
            k=k,
        )


def local_date(at: datetime, zone: str) -> str:
    return i18n.when(at.astimezone(ZoneInfo(zone_name(zone))), "%A %d %B %Y")


def _partner(ctx: Context, invite: SurveyInvite) -> str:
    return display(ctx.people.get(invite.partner_id)) if invite.partner_id else _("your partner")


def title(ctx: Context, survey: Survey, invite: SurveyInvite) -> str:
    program = ctx.programs.get(survey.program_id or 0)
    team = ctx.teams.get(survey.team_id)
    if survey.moment not in TITLES:
        return _("A short survey")
    return _(
        TITLES[survey.moment],
        partner=_partner(ctx, invite),
        program=program.name if program else _("the program"),
        team=team.name if team else _("your team"),
    )


def arrival_text(survey: Survey) -> str:
    return (
        _("A short survey (a minute or two). 🙏")
        if survey.moment != "pulse"
        else _("One quick question.")
    )


def privacy(survey: Survey, k: int) -> str:
    if survey.anonymous:
        return _(
            "**Anonymous**: your answers are stored without your name, so nobody, admins "
            "included, can tell which are yours. Admins see only totals of at least {k} "
            "answers, and written answers only in lists of at least {k}.",
            k=i18n.number(k),
        )
    return _(
        "**Confidential**: admins see only totals of at least {k} answers, never your name "
        "next to an answer. Your own answers are in `my data`.",
        k=i18n.number(k),
    )


def survey_card(
    ctx: Context,
    survey: Survey,
    invite: SurveyInvite,
    zone: str,
    prefill: dict[str, Any] | None = None,
    rev: int | None = None,
    edit: str | None = None,
) -> dict[str, Any]:
    template = ctx.templates[survey.template_id]
    partner = _partner(ctx, invite)
    values = prefill or {}
    blocks = [b for q in template.questions for b in question_blocks(q, survey, partner, values)]
    changing = rev is not None
    return CARDS.render(
        "survey",
        title=title(ctx, survey, invite),
        about=_("Your answers so far are filled in; change what you like.") if changing else "",
        privacy=privacy(survey, ctx.k.get(survey.id, 3)),
        questions=blocks,
        closes=_("Open until {date}.", date=local_date(invite.closes_at, zone)),
        button=_("Change my answers") if changing else _("Send"),
        invite=invite.id,
        rev=rev,
        edit=edit,
    )


def skill_areas(survey: Survey) -> list[str]:
    return list(survey.focus_areas[:MAX_SKILL_AREAS]) or [SKILLS_FALLBACK]


def area_name(area: str) -> str:
    """A focus area as said: the program's own words, or the fallback translated."""
    return _(SKILLS_FALLBACK) if area == SKILLS_FALLBACK else area


def question_blocks(
    q: dict[str, Any], survey: Survey, partner: str, values: dict[str, Any]
) -> list[dict[str, Any]]:
    # A built-in question is a message of the catalog; an admin's own stays as written.
    text = _(str(q["text"])).replace("{partner}", partner)
    input_id = f"q_{q['key']}"
    kind = q["kind"]
    if kind == templates.SKILLS:
        return [_label(text), *_skill_rows(q, survey, values)]
    if kind == templates.STORY:
        return _story(text, input_id, values)
    if kind == templates.TEXT:
        return [_text_input(input_id, text, values.get(input_id), MAX_TEXT)]
    return [_choices(input_id, text, _options(q), values.get(input_id))]


def _options(q: dict[str, Any]) -> list[dict[str, str]]:
    kind = q["kind"]
    if kind == templates.RATING:
        return [{"title": str(n), "value": str(n)} for n in range(1, 6)]
    if kind == templates.RECOMMEND:
        return [{"title": str(n), "value": str(n)} for n in range(11)]
    if kind == templates.YES_NO:
        return [{"title": _("Yes"), "value": "yes"}, {"title": _("No"), "value": "no"}]
    return [{"title": _(o["title"]), "value": o["value"]} for o in q.get("options", [])]


def _label(text: str) -> dict[str, Any]:
    return {
        "type": "TextBlock",
        "text": text,
        "wrap": True,
        "weight": "Bolder",
        "spacing": "Medium",
    }


def _choices(
    input_id: str, label: str, options: list[dict[str, str]], value: Any
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "style": "expanded" if len(options) <= 5 else "compact",
        "choices": options,
        "spacing": "Medium",
    }
    if value not in (None, ""):
        block["value"] = str(value)
    return block


def _text_input(input_id: str, label: str, value: Any, limit: int) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "Input.Text",
        "id": input_id,
        "label": label,
        "isMultiline": True,
        "maxLength": limit,
        "spacing": "Medium",
    }
    if value:
        block["value"] = str(value)
    return block


def _skill_rows(q: dict[str, Any], survey: Survey, values: dict[str, Any]) -> list[dict[str, Any]]:
    scale = [{"title": str(n), "value": str(n)} for n in range(1, 6)]
    rows = []
    for n, area in enumerate(skill_areas(survey)):
        before, after = f"q_{q['key']}_{n}_before", f"q_{q['key']}_{n}_after"
        rows.append(
            {
                "type": "ColumnSet",
                "columns": [
                    {
                        "type": "Column",
                        "width": "stretch",
                        "items": [{"type": "TextBlock", "text": area_name(area), "wrap": True}],
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [_compact(before, _("At the start"), scale, values.get(before))],
                    },
                    {
                        "type": "Column",
                        "width": "auto",
                        "items": [_compact(after, _("Now"), scale, values.get(after))],
                    },
                ],
            }
        )
    return rows


def _compact(
    input_id: str, label: str, options: list[dict[str, str]], value: Any
) -> dict[str, Any]:
    block = _choices(input_id, label, options, value)
    block["style"] = "compact"
    return block


def _story(text: str, input_id: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    share = [{"title": _(title), "value": value} for value, title in SHARE.items()]
    chosen = values.get(f"{input_id}_share") or "anonymous"
    return [
        _text_input(input_id, text, values.get(input_id), MAX_STORY),
        _choices(f"{input_id}_share", _("If you write one, how may we share it?"), share, chosen),
    ]


def list_card(items: list[dict[str, Any]]) -> dict[str, Any]:
    return CARDS.render("survey_list", items=[CARDS.part("survey_list_item", **i) for i in items])
