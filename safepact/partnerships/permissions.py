"""Who may do what inside a partnership: one place for the role rules."""

from safepact.partnerships.models import Role


def can_write(membership) -> bool:
    return membership is not None and membership.role in (Role.COORDINATOR, Role.MEMBER)


def can_manage(membership) -> bool:
    return membership is not None and membership.role == Role.COORDINATOR
