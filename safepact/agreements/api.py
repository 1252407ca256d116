"""API for agreements (being written)."""

from ninja import Router

router = Router(tags=["agreements"])
