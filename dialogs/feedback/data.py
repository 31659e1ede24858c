"""The feedback feature's part of `my data` and `delete my data`.

`my data` shows the surveys a person was sent (answered or not), their own named answers
with each question's wording as they answered it, the stories they shared by name, and
the export links they made as an admin. Anonymous answers cannot be shown: nothing links
them to anyone. `delete my data` deletes all of that, and for anonymous surveys the only
trace, the answered mark; the anonymous answers themselves stay, unattributable.
"""

from __future__ import annotations

from typing import Any

from dialogs.core import i18n
from dialogs.core.router import DataPart, Turn
from dialogs.feedback import templates
from storage.models import SurveyAnswer

_ = i18n.catalog(__package__)


async def export(turn: Turn) -> dict[str, Any]:
    repos, user = turn.repos, turn.user
    invites = await repos.feedback.invites_of(user.id)
    responses = await repos.feedback.named_responses_of(user.id)
    used = await repos.feedback.templates(s.template_id for _, s, _ in responses)
    return {
        "surveys_sent_to_you": [
            {
                "survey": survey.key,
                "anonymous": survey.anonymous,
                "due": invite.due_at,
                "sent": invite.sent_at,
                "answered": invite.answered,
                "closes": invite.closes_at,
            }
            for invite, survey in invites
        ],
        "your_answers": [
            {
                "survey": survey.key,
                "changed": response.updated_at,
                "answers": [_shown(a, used[survey.template_id].questions) for a in answers],
            }
            for response, survey, answers in responses
        ],
        "stories_shared_by_name": [s.text for s in await repos.feedback.stories_by(user.id)],
        "export_links": [
            {"what": link.what, "made": link.created_at, "downloads": link.downloads}
            for link in await repos.feedback.links_of(user.id)
        ],
    }


def _shown(answer: SurveyAnswer, questions: list[dict[str, Any]]) -> dict[str, Any]:
    q = next((q for q in questions if q["key"] == answer.question), {})
    value: Any = answer.text or answer.choice
    if q.get("kind") == templates.YES_NO:
        value = "yes" if answer.number else "no"
    elif value is None:
        value = answer.number if answer.number2 is None else [answer.number, answer.number2]
    shown = {"question": q.get("text", answer.question), "answer": value}
    if answer.text:
        shown["written"] = True  # their own words, not a choice
    return shown | ({"area": answer.part} if answer.part else {})


async def erase(turn: Turn) -> None:
    await turn.repos.feedback.erase_user(turn.user.id)


def summary(export: dict[str, Any]) -> list[tuple[str, str]]:
    sent = export["surveys_sent_to_you"]
    answered = sum(1 for s in sent if s["answered"])
    return [
        (
            _("Surveys"),
            _.ngettext(
                "{n} sent to you, {answered} answered",
                "{n} sent to you, {answered} answered",
                len(sent),
                answered=answered,
            ),
        )
    ]


def words(export: dict[str, Any]) -> list[str]:
    """What they wrote, for erasing it where others' messages may quote it (a story
    shared by name in a report card an admin was answered with)."""
    written = [
        a["answer"]
        for response in export["your_answers"]
        for a in response["answers"]
        if a.get("written")
    ]
    return written + list(export["stories_shared_by_name"])


DATA = DataPart("surveys", export, erase, summary, words=words)
