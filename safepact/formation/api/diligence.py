"""API for the diligence area of formation."""

from ninja import Router

router = Router(tags=["formation"])
