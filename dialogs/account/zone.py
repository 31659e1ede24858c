"""`timezone <city>`: find a time zone by typing a city, a country or an IANA name.
One match is saved at once (or starts the profile form with it); several, or near
spellings ("Tokio"), come back as a card to pick from; none says how to search
instead. Nothing changes on a miss."""

from __future__ import annotations

from dialogs.account.profile import CARDS, form_card
from dialogs.core import forms, i18n, zones
from dialogs.core.router import Turn

_ = i18n.catalog(__package__)

PICK_ACTION = "timezone_save"


async def timezone_command(turn: Turn) -> None:
    typed = turn.rest.strip()
    if not typed:
        await _tell_current(turn)
        return
    found = zones.search(typed)
    if len(found) == 1:
        await _save(turn, found[0])
        return
    question = _("Which time zone did you mean by '{typed}'?", typed=typed[:60])
    if not found:
        found = zones.near(typed)
        question = _("I found no '{typed}'. Did you mean one of these?", typed=typed[:60])
    if not found:
        turn.say(
            _(
                "I couldn't find a time zone for '{typed}'. Try the nearest big city, your "
                "country (`timezone Germany`) or an IANA name such as `timezone Europe/Berlin`. "
                "Nothing changed.",
                typed=typed[:60],
            )
        )
        return
    choices = [{"title": zones.friendly(z, turn.now), "value": z} for z in found]
    turn.result.show(
        CARDS.render(
            "timezone_pick",
            title=question,
            choices=choices,
            selected=found[0],
        )
    )


async def pick_timezone(turn: Turn) -> None:
    """`timezone_save` from the pick card: checked again (a card is no trust boundary)."""
    value = turn.inbound.value if isinstance(turn.inbound.value, dict) else {}
    try:
        zone = forms.text(value.get("timezone"), 64, one_line=True)
    except forms.FormError:
        zone = ""
    if zone not in zones.known():
        turn.say(_("Please pick one of the time zones on the card. Nothing changed."))
        return
    await _save(turn, zone)


async def _save(turn: Turn, zone: str) -> None:
    profile = await turn.repos.profiles.get(turn.user.id)
    name = zones.friendly(zone, turn.now)
    if profile is None:
        turn.say(
            _("Found it: {name}. Here's your profile form with it; save it to keep it.", name=name)
        )
        turn.result.show(
            form_card(None, zone, _("Your profile"), turn.now, language=turn.user.language)
        )
        return
    if profile.timezone == zone:
        turn.say(_("Your time zone is already {name}. Nothing changed.", name=name))
        return
    profile.timezone, profile.updated_at = zone, turn.now
    turn.say(_("Your time zone is now {name}.", name=name))


async def _tell_current(turn: Turn) -> None:
    profile = await turn.repos.profiles.get(turn.user.id)
    how = _("To change it, type `timezone` and a city, e.g. `timezone Lisbon`.")
    if profile is not None:
        name = zones.friendly(profile.timezone, turn.now)
        turn.say(_("Your time zone is {name}. {how}", name=name, how=how))
    elif turn.user.timezone_hint in zones.known():
        hint = zones.friendly(turn.user.timezone_hint or "UTC", turn.now)
        turn.say(_("Teams says your time zone is {name}. {how}", name=hint, how=how))
    else:
        turn.say(how)
