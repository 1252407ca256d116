"""API for the austin area of formation."""

from ninja import Router

router = Router(tags=["formation"])
