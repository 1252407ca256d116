"""API for the structure area of formation."""

from ninja import Router

router = Router(tags=["formation"])
