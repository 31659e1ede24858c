"""What a person's profile lets others see: coffee partners read only the fields its owner
chose to share (the account feature's profile form sets the choice)."""

from __future__ import annotations

from dialogs.core import i18n
from dialogs.core.i18n import N_
from storage.models import Profile

_ = i18n.catalog(__package__)
# Each field and its label, in English (`label` says it in the language in force).
SHAREABLE = {
    "interests": N_("Interests"),
    "skills": N_("Skills"),
    "goals": N_("Goals"),
    "department": N_("Department"),
    "location": N_("Location"),
}
DEFAULT_SHARED = ("interests", "skills", "department")


def label(field: str) -> str:
    """A shareable field's label in the language in force ("Interessen")."""
    return _(SHAREABLE[field])


def shared_fields(profile: Profile | None) -> list[str]:
    """The fields a partner may see: the owner's choice, the defaults before they chose."""
    if profile is None:
        return []
    return list(DEFAULT_SHARED) if profile.shared_fields is None else profile.shared_fields
