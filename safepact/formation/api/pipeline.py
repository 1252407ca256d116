"""API for the pipeline area of formation."""

from ninja import Router

router = Router(tags=["formation"])
