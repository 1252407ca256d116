"""Small helpers the apps' API routers share for turning service errors into answers."""

from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja.errors import HttpError


@contextmanager
def state_conflicts():
    """A service's refusal because of the object's state (a ``ValidationError`` on ``status`` alone: the
    request was sent already, the hit is decided) answers 409 ``conflict``; other validation errors stay 422
    naming their field."""
    try:
        yield
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and set(exc.error_dict) == {"status"}:
            raise HttpError(409, " ".join(exc.messages)) from exc
        raise


def patch_changes(payload, *required: str) -> dict:
    """The fields a PATCH sent; ``null`` is no value for the ``required`` ones (422 naming the field)."""
    changes = payload.dict(exclude_unset=True)
    for name in required:
        if name in changes and changes[name] is None:
            raise ValidationError({name: _("This field cannot be empty.")})
    return changes
