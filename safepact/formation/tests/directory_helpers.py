"""Helpers for the directory and pipeline tests: organisations with (published) directory profiles."""

from django.db import transaction

from conftest import make_org, make_user
from safepact.formation.models import DirectoryProfile
from safepact.formation.services.directory import (
    build_search_text,
    directory_profile_save,
    directory_profile_set_published,
)


def profiled_org(
    name,
    *,
    kind="business",
    sector="retail",
    country="SE",
    crime_areas=("burglary",),
    capabilities=("cameras",),
    regions="Skåne",
    summary=None,
    offers="",
    published=True,
    member_of=None,
    person=None,
):
    """An organisation (with one person of its own) and its directory profile, through the services."""
    slug = "".join(c for c in name.lower() if c.isascii() and c.isalnum())[:30]
    with transaction.atomic():
        person = person or make_user(f"{slug}@org.example", f"{name} Person")
        org = make_org(person, name, kind, country, sector=sector, member_of=member_of)
        directory_profile_save(
            actor=person,
            organisation=org,
            summary=summary if summary is not None else f"{name} works on crime prevention.",
            regions=regions,
            crime_areas=list(crime_areas),
            capabilities=list(capabilities),
            offers=offers,
        )
        if published:
            directory_profile_set_published(actor=person, organisation=org, published=True)
    org.person = person
    return org


def bulk_profiles(
    count, *, prefix="Bulk", kind="business", sector="retail", country="SE", crime_areas=("burglary",)
):
    """Many published profiles at once (for query-count tests): no audit, like a data import."""
    from safepact.accounts.models import Organisation

    orgs = Organisation.objects.bulk_create(
        [
            Organisation(name=f"{prefix} {i:03d}", kind=kind, sector=sector, country=country)
            for i in range(count)
        ]
    )
    profiles = []
    for org in orgs:
        profile = DirectoryProfile(
            organisation=org,
            published=True,
            summary=f"{org.name} summary",
            regions="Skåne",
            crime_areas=list(crime_areas),
            capabilities=["cameras", "patrols"],
        )
        profile.search_text = build_search_text(organisation=org, profile=profile)
        profiles.append(profile)
    DirectoryProfile.objects.bulk_create(profiles)
    return orgs
