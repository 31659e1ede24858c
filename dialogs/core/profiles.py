"""What a person's profile lets others see: coffee partners read only the fields its owner
chose to share (the account feature's profile form sets the choice)."""

from __future__ import annotations

from storage.models import Profile

SHAREABLE = {
    "interests": "Interests",
    "skills": "Skills",
    "goals": "Goals",
    "department": "Department",
    "location": "Location",
}
DEFAULT_SHARED = ("interests", "skills", "department")


def shared_fields(profile: Profile | None) -> list[str]:
    """The fields a partner may see: the owner's choice, the defaults before they chose."""
    if profile is None:
        return []
    return list(DEFAULT_SHARED) if profile.shared_fields is None else profile.shared_fields
