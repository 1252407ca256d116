"""Directory profiles: who may write them, search_text, publishing, the search selector."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from conftest import make_user
from safepact.audit.models import AuditEvent
from safepact.formation.models import DirectoryProfile
from safepact.formation.selectors.directory import directory_search, get_directory_profile_for_user
from safepact.formation.services.directory import (
    directory_profile_save,
    directory_profile_set_published,
)
from safepact.formation.tests.directory_helpers import profiled_org


def test_a_person_of_the_organisation_saves_and_publishes_its_profile(world):
    org = world.org_city_a
    profile = directory_profile_save(
        actor=world.member,
        organisation=org,
        summary="The City of Malmö.",
        regions="Malmö, Skåne",
        crime_areas=["burglary", "nuisance"],
        capabilities=["cameras", "lighting"],
        offers="Street lighting and CCTV.",
        contact_role="Safety coordinator",
    )
    assert not profile.published
    directory_profile_set_published(actor=world.member, organisation=org, published=True)
    profile.refresh_from_db()
    assert profile.published
    actions = list(
        AuditEvent.objects.filter(target_code=str(profile.code))
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["formation.directory_profile.saved", "formation.directory_profile.published"]
    directory_profile_set_published(actor=world.member, organisation=org, published=False)
    assert AuditEvent.objects.filter(action="formation.directory_profile.unpublished").count() == 1


def test_search_text_holds_name_texts_and_labels_in_english_and_dutch(world):
    profile = directory_profile_save(
        actor=world.member,
        organisation=world.org_city_a,
        summary="We run the CCTV room.",
        regions="Skåne",
        crime_areas=["burglary"],
        capabilities=["cameras"],
        offers="Lighting",
    )
    text = profile.search_text
    assert text == text.lower()
    for word in ("malmö stad", "cctv room", "skåne", "lighting", "burglary", "camera surveillance"):
        assert word in text
    assert "woninginbraak" in text  # the Dutch label of "Burglary"


def test_others_cannot_write_a_profile(world):
    with pytest.raises(PermissionDenied):
        directory_profile_save(actor=world.outsider, organisation=world.org_city_a, summary="Hijack")
    assert not DirectoryProfile.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"crime_areas": ["piracy"]}, "crime_areas"),
        ({"capabilities": ["lasers"]}, "capabilities"),
        ({"regions": "x" * 301}, "regions"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(world, changes, field):
    with pytest.raises(ValidationError) as exc:
        directory_profile_save(actor=world.member, organisation=world.org_city_a, summary="Hi", **changes)
    assert field in exc.value.message_dict
    assert not DirectoryProfile.objects.exists()


def test_publishing_needs_a_written_profile_with_a_summary(world):
    with pytest.raises(ValidationError) as exc:
        directory_profile_set_published(actor=world.member, organisation=world.org_city_a, published=True)
    assert "published" in exc.value.message_dict
    directory_profile_save(actor=world.member, organisation=world.org_city_a, summary="")
    with pytest.raises(ValidationError) as exc:
        directory_profile_set_published(actor=world.member, organisation=world.org_city_a, published=True)
    assert "summary" in exc.value.message_dict


def test_search_finds_published_profiles_by_words_and_filters(world):
    shop = profiled_org("Ica Malmö", sector="retail", crime_areas=["retail"], capabilities=["cameras"])
    profiled_org("Hotel Skåne", sector="hospitality", crime_areas=["nuisance"], capabilities=["venue"])
    profiled_org("Gemeente Utrecht", kind="municipality", sector="public_administration", country="NL")
    profiled_org("Hidden Shop", published=False)
    user = world.outsider

    def names(**filters):
        return [p.organisation.name for p in directory_search(user=user, **filters)]

    assert names() == ["Gemeente Utrecht", "Hotel Skåne", "Ica Malmö"]
    assert names(text="ICA") == ["Ica Malmö"]
    assert names(text="camera malmö") == ["Ica Malmö"]
    assert names(text="camera hotel") == []
    assert names(kind="municipality") == ["Gemeente Utrecht"]
    assert names(sector="hospitality") == ["Hotel Skåne"]
    assert names(country="nl") == ["Gemeente Utrecht"]
    assert names(crime_area="retail") == ["Ica Malmö"]
    assert names(capability="venue") == ["Hotel Skåne"]
    assert names(text="hidden") == []
    assert names(text="winkelcriminaliteit") == [shop.name]  # the Dutch label of "Retail crime"


def test_anonymous_searches_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    profiled_org("Ica Malmö")
    assert list(directory_search(user=AnonymousUser())) == []


def test_an_unpublished_profile_is_seen_only_by_its_people(world):
    org = profiled_org("Quiet Shop", published=False)
    assert get_directory_profile_for_user(org.person, org.code).organisation == org
    from django.http import Http404

    with pytest.raises(Http404):
        get_directory_profile_for_user(world.outsider, org.code)
    other = make_user("other@x.example")
    with pytest.raises(Http404):
        get_directory_profile_for_user(other, org.code)
