"""API for the objectives area of formation."""

from ninja import Router

router = Router(tags=["formation"])
