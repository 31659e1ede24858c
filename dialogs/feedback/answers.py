"""Answering a survey: the card's submit, `surveys` (a person's open surveys), changing
an answer until the survey closes.

The first answer comes from the card that arrived; pressing it again is refused ("you
answered already"). The reply carries a change card with the response's revision, so a
change is made on purpose and a stale card cannot overwrite a newer answer. Anonymous
surveys keep no trace of who answered beyond the invite's answered mark: the change card
carries a random token whose hash alone finds the response, so only the card in the
person's own chat can change it (`surveys` cannot, as nothing links them to it).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from dialogs.core import forms, i18n
from dialogs.core.local_time import user_zone
from dialogs.core.router import Turn
from dialogs.feedback import cards, templates
from storage.models import Survey, SurveyAnswer, SurveyInvite, SurveyResponse, SurveyStory

ANSWER_ACTION, OPEN_ACTION = "survey_answer", "survey_open"
_ = i18n.catalog(__package__)
MAX_LISTED = 10


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass
class Answers:
    """What a submit said, checked against the survey's questions."""

    rows: list[SurveyAnswer] = field(default_factory=list)
    story: tuple[str, str] | None = None  # (text, "name" | "anonymous")
    prefill: dict[str, Any] = field(default_factory=dict)  # for the change card
    problems: list[str] = field(default_factory=list)


def read_answers(questions: list[dict[str, Any]], survey: Survey, value: dict[str, Any]) -> Answers:
    out = Answers()
    expected: set[str] = set()
    for q in questions:
        expected |= _read_one(q, survey, value, out)
    forged = sorted(k for k in value if k.startswith("q_") and k not in expected)
    if forged:
        out.problems.append(
            _("the card answers questions this survey doesn't ask (an old or changed card?)")
        )
    if not out.problems and not out.rows and out.story is None:
        out.problems.append(_("please answer at least one question"))
    return out


def _read_one(q: dict[str, Any], survey: Survey, value: dict[str, Any], out: Answers) -> set[str]:
    """Read one question's inputs into `out`; returns the input ids it owns."""
    kind, key = q["kind"], q["key"]
    label = f"**{_short(_(q['text']))}**"  # i18n: not said
    input_id = f"q_{key}"
    if kind == templates.SKILLS:
        return _read_skills(q, survey, value, out)
    if kind == templates.STORY:
        _read_story(input_id, value, out, label)
        return {input_id, f"{input_id}_share"}
    raw = value.get(input_id)
    if raw in (None, ""):
        return {input_id}
    try:
        row = _answer(q, raw)
    except forms.FormError as exc:
        out.problems.append(f"{label} {exc}")
        return {input_id}
    if row is not None:
        out.rows.append(row)
        out.prefill[input_id] = raw if not isinstance(raw, str) else raw.strip()
    return {input_id}


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _answer(q: dict[str, Any], raw: Any) -> SurveyAnswer | None:
    kind, key, tag = q["kind"], q["key"], q.get("tag", "")
    if kind == templates.RATING:
        return SurveyAnswer(question=key, tag=tag, part="", number=forms.whole_in(raw, 1, 5))
    if kind == templates.RECOMMEND:
        return SurveyAnswer(question=key, tag=tag, part="", number=forms.whole_in(raw, 0, 10))
    if kind == templates.YES_NO:
        picked = forms.choice(raw, {"yes": "yes", "no": "no"})
        return SurveyAnswer(question=key, tag=tag, part="", number=int(picked == "yes"))
    if kind == templates.CHOICE:
        allowed = {o["value"]: o["title"] for o in q.get("options", [])}
        return SurveyAnswer(question=key, tag=tag, part="", choice=forms.choice(raw, allowed))
    written = forms.text(raw, cards.MAX_TEXT)
    return SurveyAnswer(question=key, tag=tag, part="", text=written) if written else None


def _read_skills(
    q: dict[str, Any], survey: Survey, value: dict[str, Any], out: Answers
) -> set[str]:
    owned: set[str] = set()
    for n, area in enumerate(cards.skill_areas(survey)):
        ids = (f"q_{q['key']}_{n}_before", f"q_{q['key']}_{n}_after")
        owned |= set(ids)
        raws = [value.get(i) for i in ids]
        if all(r in (None, "") for r in raws):
            continue
        try:
            before, after = (forms.whole_in(r, 1, 5) for r in raws)
        except forms.FormError as exc:
            out.problems.append(
                _(
                    "**{area}** (at the start and now) {problem}",
                    area=cards.area_name(area),
                    problem=exc,
                )
            )
            continue
        out.rows.append(
            SurveyAnswer(
                question=q["key"], tag=q.get("tag", ""), part=area, number=before, number2=after
            )
        )
        out.prefill |= {ids[0]: str(before), ids[1]: str(after)}
    return owned


def _read_story(input_id: str, value: dict[str, Any], out: Answers, label: str) -> None:
    try:
        text = forms.text(value.get(input_id), cards.MAX_STORY)
    except forms.FormError as exc:
        out.problems.append(f"{label} {exc}")
        return
    raw_share = value.get(f"{input_id}_share") or "anonymous"
    if not isinstance(raw_share, str) or raw_share not in cards.SHARE:
        out.problems.append(_("how to share your story must be with your name or anonymously"))
        return
    if text:
        out.story = (text, raw_share)
        out.prefill |= {input_id: text, f"{input_id}_share": raw_share}


# --- the submit ---------------------------------------------------------------------------------
async def answer(turn: Turn) -> None:
    """`survey_answer`: a first answer, or a change from a change card."""
    value = turn.inbound.value if isinstance(turn.inbound.value, dict) else {}
    found = await _open_invite(turn, value.get("invite"), lock=True)
    if found is None:
        return
    invite, survey = found
    template = await turn.repos.feedback.template(survey.template_id)
    assert template is not None
    answers = read_answers(template.questions, survey, value)
    if answers.problems:
        turn.say(
            _(
                "I couldn't save your answers: {problems}. Nothing was saved.",
                problems="; ".join(answers.problems),
            )
        )
        return
    response = await _response_to_write(turn, invite, survey, value)
    if response is None:
        return
    await _save(turn, invite, survey, response, answers)


async def _open_invite(
    turn: Turn, raw_id: Any, lock: bool = False
) -> tuple[SurveyInvite, Survey] | None:
    invite_id = forms.row_id(raw_id)
    invite = await turn.repos.feedback.invite(invite_id, lock=lock) if invite_id else None
    if invite is None or invite.user_id != turn.user.id or invite.sent_at is None:
        turn.say(_("I can't find that survey of yours. Nothing was saved."))
        return None
    survey = await turn.repos.feedback.survey(invite.survey_id)
    assert survey is not None
    if turn.now >= invite.closes_at:
        zone = await user_zone(turn.repos, turn.user)
        closed = cards.local_date(invite.closes_at, zone)
        turn.say(_("That survey closed on {date}. Nothing was saved.", date=closed))
        return None
    return invite, survey


async def _response_to_write(
    turn: Turn, invite: SurveyInvite, survey: Survey, value: dict[str, Any]
) -> SurveyResponse | None:
    """A new response for a first answer, the existing one for a valid change card."""
    rev = forms.whole(value.get("rev")) if value.get("rev") is not None else None
    if rev is None:
        if invite.answered:
            turn.say(
                _(
                    "You've answered this survey already. To change your answers, use the card "
                    "I sent when you answered. Nothing changed."
                )
                if survey.anonymous
                else _(
                    "You've answered this survey already. To change your answers, use the card "
                    "I sent when you answered, or `surveys`. Nothing changed."
                )
            )
            return None
        return SurveyResponse(
            survey_id=survey.id, revision=0, cohort_id=await _cohort_of(turn, survey)
        )
    response = await _existing(turn, survey, value)
    if response is None or not invite.answered:
        turn.say(_("I can't find those answers of yours. Nothing was saved."))
        return None
    if response.revision != rev:
        turn.say(
            _(
                "Those answers were changed since that card was made; please use the newest "
                "card. Nothing changed."
            )
        )
        return None
    return response


async def _cohort_of(turn: Turn, survey: Survey) -> int | None:
    """The responder's cohort in the survey's program: a group, never the person."""
    if survey.program_id is None:
        return None
    enrolment = await turn.repos.programs.enrolment(survey.program_id, turn.user.id)
    return enrolment.cohort_id if enrolment else None


async def _existing(turn: Turn, survey: Survey, value: dict[str, Any]) -> SurveyResponse | None:
    feedback = turn.repos.feedback
    if not survey.anonymous:
        return await feedback.named_response(survey.id, turn.user.id)
    token = value.get("edit")
    if not isinstance(token, str) or not 16 <= len(token) <= 100:
        return None
    return await feedback.anonymous_response(survey.id, _hash(token))


async def _save(
    turn: Turn,
    invite: SurveyInvite,
    survey: Survey,
    response: SurveyResponse,
    answers: Answers,
) -> None:
    first = response.id is None
    token = None
    if first:
        if survey.anonymous:
            token = secrets.token_urlsafe(32)
            response.edit_hash = _hash(token)
        else:
            response.user_id = turn.user.id
        response = await turn.repos.feedback.add_response(response)
    elif survey.anonymous:
        token = str(turn.inbound.value.get("edit"))
    response.revision += 1
    if not survey.anonymous:
        response.updated_at = turn.now
    await turn.repos.feedback.replace_answers(response, answers.rows)
    await turn.repos.feedback.replace_story(
        survey.id, response.id, turn.user.id, _story_row(turn, survey, response, answers)
    )
    if not invite.answered:
        await turn.repos.feedback.count_answered(survey.id)
    invite.answered = True
    if not survey.anonymous:
        invite.answered_at = turn.now
    await _reply(turn, invite, survey, response, answers, token, first)


def _story_row(
    turn: Turn, survey: Survey, response: SurveyResponse, answers: Answers
) -> SurveyStory | None:
    if answers.story is None:
        return None
    text, share = answers.story
    if share == "name":  # apart from the answers: it names them, the answers don't
        return SurveyStory(
            survey_id=survey.id, user_id=turn.user.id, author_name=turn.user.name, text=text
        )
    return SurveyStory(survey_id=survey.id, response_id=response.id, text=text)


async def _reply(
    turn: Turn,
    invite: SurveyInvite,
    survey: Survey,
    response: SurveyResponse,
    answers: Answers,
    token: str | None,
    first: bool,
) -> None:
    zone = await user_zone(turn.repos, turn.user)
    ctx = await cards.Context.load(turn.repos, [survey], [invite])
    card = cards.survey_card(ctx, survey, invite, zone, answers.prefill, response.revision, token)
    closes = cards.local_date(invite.closes_at, zone)
    if first and survey.anonymous:
        text = _(
            "Thank you, your answers are saved. You can change them until {date}. They're "
            "anonymous: only this card can change them, so keep it if you might.",
            date=closes,
        )
    elif first:
        text = _(
            "Thank you, your answers are saved. You can change them until {date}.", date=closes
        )
    elif survey.anonymous:
        text = _(
            "Your answers are updated. You can change them until {date}. They're anonymous: "
            "only this card can change them, so keep it if you might.",
            date=closes,
        )
    else:
        text = _("Your answers are updated. You can change them until {date}.", date=closes)
    turn.result.show(card, text=text)


# --- `surveys` and opening one ----------------------------------------------------------------
async def list_surveys(turn: Turn) -> None:
    """`surveys`: the person's open surveys, with a button to answer or change."""
    found = (await turn.repos.feedback.open_invites_of(turn.user.id, turn.now))[:MAX_LISTED]
    if not found:
        turn.say(
            _(
                "You have no open surveys right now. They come after sessions and at key "
                "moments of a program."
            )
        )
        return
    zone = await user_zone(turn.repos, turn.user)
    ctx = await cards.Context.load(turn.repos, [s for _, s in found], [i for i, _ in found])
    items = [_item(ctx, invite, survey, zone) for invite, survey in found]
    turn.result.show(cards.list_card(items))


def _item(ctx: cards.Context, invite: SurveyInvite, survey: Survey, zone: str) -> dict[str, Any]:
    closes = cards.local_date(invite.closes_at, zone)
    if not invite.answered:
        status, button = _("Not answered yet; open until {date}.", date=closes), _("Answer")
    elif survey.anonymous:
        status, button = (
            _(
                "Answered anonymously. Only the card I sent when you answered can change it "
                "(until {date}).",
                date=closes,
            ),
            "",
        )
    else:
        status = _("Answered; you can change it until {date}.", date=closes)
        button = _("Change my answers")
    return {
        "title": cards.title(ctx, survey, invite),
        "status": status,
        "can_open": bool(button),
        "button": button or _("Open"),
        "invite": invite.id,
    }


async def open_survey(turn: Turn) -> None:
    """`survey_open` (from `surveys`): the survey's card, with named answers filled in."""
    value = turn.inbound.value if isinstance(turn.inbound.value, dict) else {}
    found = await _open_invite(turn, value.get("invite"))
    if found is None:
        return
    invite, survey = found
    zone = await user_zone(turn.repos, turn.user)
    ctx = await cards.Context.load(turn.repos, [survey], [invite])
    if not invite.answered:
        turn.result.show(cards.survey_card(ctx, survey, invite, zone))
        return
    if survey.anonymous:
        turn.say(
            _(
                "You answered that one anonymously, so only the card I sent when you answered "
                "can change it."
            )
        )
        return
    response = await turn.repos.feedback.named_response(survey.id, turn.user.id)
    assert response is not None
    prefill = await _prefill(turn, survey, response)
    turn.result.show(cards.survey_card(ctx, survey, invite, zone, prefill, response.revision))


async def _prefill(turn: Turn, survey: Survey, response: SurveyResponse) -> dict[str, Any]:
    values: dict[str, Any] = {}
    template = await turn.repos.feedback.template(survey.template_id)
    kinds = {q["key"]: q["kind"] for q in (template.questions if template else [])}
    areas = cards.skill_areas(survey)
    for a in await turn.repos.feedback.answers(response.id):
        input_id = f"q_{a.question}"
        if kinds.get(a.question) == templates.SKILLS and a.part in areas:
            n = areas.index(a.part)
            values |= {
                f"{input_id}_{n}_before": str(a.number),
                f"{input_id}_{n}_after": str(a.number2),
            }
        elif kinds.get(a.question) == templates.YES_NO:
            values[input_id] = "yes" if a.number else "no"
        else:
            values[input_id] = a.choice or a.text or (str(a.number) if a.number is not None else "")
    story = await turn.repos.feedback.story_of(survey.id, response.id, turn.user.id)
    story_key = next((k for k, kind in kinds.items() if kind == templates.STORY), None)
    if story is not None and story_key is not None:
        share = "name" if story.user_id else "anonymous"
        values |= {f"q_{story_key}": story.text, f"q_{story_key}_share": share}
    return values
