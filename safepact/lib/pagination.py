"""The API's list pagination: ``limit`` and ``offset``, both bounded.

django-ninja's own class leaves ``offset`` unbounded; a huge one overflows the database's integer and
would answer 500. Every list endpoint uses this class instead.
"""

from django.conf import settings
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination as _NinjaLimitOffsetPagination


class LimitOffsetPagination(_NinjaLimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=settings.NINJA_PAGINATION_MAX_OFFSET)
