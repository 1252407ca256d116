"""Reads for the directory area of formation.

Any logged-in person may search the published profiles. An unpublished profile is seen only by the
people of its organisation (everyone else gets 404, the same answer as for a profile that does not exist).
"""

from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Q, QuerySet, Window
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from safepact.accounts.models import Organisation
from safepact.accounts.selectors import organisation_list_for_user_memberships
from safepact.formation.models import DirectoryProfile

NOT_FOUND = _("Directory profile not found.")
MAX_WORDS = 8
MAX_PAGE = 10**6  # a page number beyond this is "past the end"; keeps the SQL offset within a bigint


def _parse_code(code) -> UUID | None:
    if isinstance(code, UUID):
        return code
    try:
        return UUID(str(code))
    except (TypeError, ValueError):
        return None


def json_list_has(field_name: str, value: str) -> Q:
    """A JSON list of codes holds ``value``: ``jsonb @>`` on PostgreSQL (GIN-indexed, migration 0002);
    elsewhere the list is JSON text, where the quoted value matches exactly one element."""
    if connection.vendor == "postgresql":
        return Q(**{f"{field_name}__contains": [value]})
    return Q(**{f"{field_name}__icontains": f'"{value}"'})


def search_words(text: str) -> list[str]:
    """The words of a search, lower-cased like ``search_text`` (at most ``MAX_WORDS``)."""
    return list(dict.fromkeys((text or "").lower().split()))[:MAX_WORDS]


def directory_search(
    *,
    user,
    text: str = "",
    kind: str = "",
    sector: str = "",
    country: str = "",
    crime_area: str = "",
    capability: str = "",
) -> QuerySet[DirectoryProfile]:
    """Published profiles matching every word of ``text`` and every filter given, by organisation name."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return DirectoryProfile.objects.none()
    profiles = DirectoryProfile.objects.filter(published=True)
    for word in search_words(text):
        profiles = profiles.filter(search_text__contains=word)
    if kind:
        profiles = profiles.filter(organisation__kind=kind)
    if sector:
        profiles = profiles.filter(organisation__sector=sector)
    if country:
        profiles = profiles.filter(organisation__country=country.upper())
    if crime_area:
        profiles = profiles.filter(json_list_has("crime_areas", crime_area))
    if capability:
        profiles = profiles.filter(json_list_has("capabilities", capability))
    return profiles.select_related("organisation").order_by("organisation__name", "pk")


def directory_page(*, user, number=1, per_page: int = 25, **filters) -> Page:
    """One page of ``directory_search``, scanning the profiles once: the keys of the page come with the
    total (``COUNT(*) OVER ()``, narrow rows), then the page's 25 rows are read by primary key. (A paginator
    scans twice: once to count, once for the page.) An empty search, or a page beyond the last, falls back
    to the paginator (a COUNT, then the last page)."""
    profiles = directory_search(user=user, **filters)
    paginator = Paginator(profiles, per_page)
    try:
        number = min(max(int(number), 1), MAX_PAGE)
    except (TypeError, ValueError):
        number = 1
    offset = (number - 1) * per_page
    keys = list(
        profiles.annotate(total=Window(Count("pk"))).values_list("pk", "total")[offset : offset + per_page]
    )
    if not keys:
        return paginator.get_page(number)
    paginator.count = keys[0][1]  # the cached property, filled from the same statement
    by_pk = profiles.in_bulk([pk for pk, _total in keys])
    return Page([by_pk[pk] for pk, _total in keys], number, paginator)


def my_directory_organisations(*, user) -> list[Organisation]:
    """My organisations, each with its profile (or ``None``) as ``directory_profile``."""
    organisations = list(organisation_list_for_user_memberships(user=user).order_by("name", "pk"))
    profiles = {
        p.organisation_id: p
        for p in DirectoryProfile.objects.filter(organisation__in=[o.pk for o in organisations])
    }
    for organisation in organisations:
        organisation.directory_profile = profiles.get(organisation.pk)
    return organisations


def get_directory_profile_for_user(user, org_code) -> DirectoryProfile:
    """A published profile, or an unpublished one of my own organisation; otherwise 404."""
    if not getattr(user, "is_authenticated", False):
        raise Http404(NOT_FOUND)
    profile = (
        DirectoryProfile.objects.filter(organisation__code=_parse_code(org_code))
        .select_related("organisation", "organisation__member_of")
        .first()
    )
    if profile is None:
        raise Http404(NOT_FOUND)
    profile.is_mine = (
        organisation_list_for_user_memberships(user=user).filter(pk=profile.organisation_id).exists()
    )
    if not profile.published and not profile.is_mine:
        raise Http404(NOT_FOUND)
    return profile


def get_own_organisation_for_user(user, org_code) -> Organisation:
    """An organisation whose profile I may edit: one of mine. Others: 404 when their profile is not
    published (or does not exist), 403 when it is (its existence is no secret then)."""
    code = _parse_code(org_code)
    organisation = (
        organisation_list_for_user_memberships(user=user).filter(code=code).first() if code else None
    )
    if organisation is not None:
        return organisation
    if code and DirectoryProfile.objects.filter(organisation__code=code, published=True).exists():
        raise PermissionDenied(_("Only the people of this organisation can change its directory profile."))
    raise Http404(NOT_FOUND)


def directory_profile_of(*, organisation: Organisation) -> DirectoryProfile | None:
    """The profile of one of my organisations (already fetched through ``get_own_organisation_for_user``)."""
    return DirectoryProfile.objects.filter(organisation=organisation).first()


def coordinated_partnerships(*, user):
    """Partnerships ``user`` coordinates (to offer "add as candidate" on a profile page)."""
    from safepact.partnerships.models import Partnership, Role
    from safepact.partnerships.selectors import active_memberships

    ids = active_memberships(user).filter(role=Role.COORDINATOR).values("partner__partnership_id")
    return Partnership.objects.filter(pk__in=ids).order_by("name")
