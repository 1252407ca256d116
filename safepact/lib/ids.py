"""Opaque public identifiers: every user-facing object has a UUID ``code``."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


def new_code() -> uuid.UUID:
    return uuid.uuid4()


class CodeField(models.UUIDField):
    """A unique, non-editable UUID used in URLs and API paths instead of the integer key."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", new_code)
        kwargs.setdefault("unique", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("verbose_name", _("code"))
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for key in ("default", "unique", "editable", "verbose_name"):
            kwargs.pop(key, None)
        return name, path, args, kwargs
