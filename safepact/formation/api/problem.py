"""API for the problem area of formation."""

from ninja import Router

router = Router(tags=["formation"])
