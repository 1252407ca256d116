"""API of meetings (being written)."""

from ninja import Router

router = Router(tags=["meetings"])
