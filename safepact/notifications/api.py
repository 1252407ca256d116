"""API of notifications (being written)."""

from ninja import Router

router = Router(tags=["notifications"])
