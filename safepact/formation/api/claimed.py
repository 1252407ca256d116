"""API for the claimed area of formation."""

from ninja import Router

router = Router(tags=["formation"])
