"""API of continuity (being written)."""

from ninja import Router

router = Router(tags=["continuity"])
