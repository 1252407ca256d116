"""API of the partner directory: search the published profiles, read one, write your organisation's.

Any authenticated person searches; an unpublished profile is 404 for everyone but the people of its
organisation; only they change it (others: 404 when unpublished, 403 when published).
"""

from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from safepact.accounts.schemas import with_errors
from safepact.formation.schemas.directory import (
    CapabilityValue,
    CrimeAreaValue,
    DirectoryProfileIn,
    DirectoryProfileOut,
    KindValue,
    SectorValue,
)
from safepact.formation.selectors.directory import (
    directory_search,
    get_directory_profile_for_user,
    get_own_organisation_for_user,
)
from safepact.formation.services import directory as services
from safepact.lib.pagination import LimitOffsetPagination

router = Router(tags=["formation: directory"])


class DirectoryFilters(Schema):
    q: str = ""
    kind: KindValue | None = None  # type: ignore[valid-type]
    sector: SectorValue | None = None  # type: ignore[valid-type]
    country: str = ""
    crime_area: CrimeAreaValue | None = None  # type: ignore[valid-type]
    capability: CapabilityValue | None = None  # type: ignore[valid-type]


@router.get("/directory", response=list[DirectoryProfileOut], summary="Search the partner directory")
@paginate(LimitOffsetPagination)
def directory_index(request, filters: Query[DirectoryFilters]):
    """Published profiles matching every word of ``q`` and every filter given, by organisation name."""
    if len(filters.q) > 200:
        raise ValidationError({"q": "At most 200 characters."})
    if filters.country and (len(filters.country) != 2 or not filters.country.isalpha()):
        raise ValidationError({"country": "Use an ISO 3166-1 alpha-2 code, e.g. NL."})
    return directory_search(
        user=request.auth,
        text=filters.q,
        kind=filters.kind or "",
        sector=filters.sector or "",
        country=filters.country,
        crime_area=filters.crime_area or "",
        capability=filters.capability or "",
    )


@router.get(
    "/directory/{org_code}", response={200: DirectoryProfileOut, **with_errors()}, summary="One profile"
)
def directory_detail(request, org_code: UUID):
    return get_directory_profile_for_user(request.auth, org_code)


@router.put(
    "/directory/{org_code}",
    response={200: DirectoryProfileOut, **with_errors(403, 422)},
    summary="Write your organisation's profile",
)
def directory_put(request, org_code: UUID, payload: DirectoryProfileIn):
    user = request.auth
    organisation = get_own_organisation_for_user(user, org_code)
    with transaction.atomic():
        services.directory_profile_save(
            actor=user, organisation=organisation, **payload.dict(exclude={"published"})
        )
        if payload.published is not None:
            services.directory_profile_set_published(
                actor=user, organisation=organisation, published=payload.published
            )
    return get_directory_profile_for_user(user, org_code)
