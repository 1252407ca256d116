"""API for the directory area of formation."""

from ninja import Router

router = Router(tags=["formation"])
