"""Suggested candidates: who is suggested, the score's reasons (translatable), past partnerships as a count."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation

from safepact.formation.selectors.pipeline import (
    candidate_reasons,
    dangerously_past_partnership_counts,
    reason_text,
    reason_texts,
    suggestion_list,
)
from safepact.formation.services.directory import directory_profile_save, directory_profile_set_published
from safepact.formation.services.pipeline import candidate_add
from safepact.formation.tests.directory_helpers import bulk_profiles, profiled_org
from safepact.partnerships.services import partner_add, partnership_create


def suggest(world, user=None):
    return suggestion_list(user=user or world.coordinator, partnership=world.partnership_a)


def codes(suggestion):
    return [r["code"] for r in suggestion.reasons]


def by_name(suggestions):
    return {s.organisation.name: s for s in suggestions}


def test_a_fitting_profile_is_suggested_with_every_reason(world):
    # Partnership A: Sweden, Skåne / Malmö, burglary and nuisance; partners: police, city, a business.
    ngo = profiled_org(
        "Grannsamverkan",
        kind="ngo",
        sector="social_care",
        crime_areas=["burglary", "nuisance", "cyber"],
        capabilities=["network", "training"],
        regions="Malmö and surroundings",
    )
    [suggestion] = suggest(world)
    assert suggestion.organisation == ngo
    assert codes(suggestion) == ["crime_areas", "country", "region", "kind_missing", "capabilities"]
    assert suggestion.reasons[0]["params"] == {"areas": ["burglary", "nuisance"]}
    assert suggestion.reasons[3]["params"] == {"kind": "ngo"}
    assert suggestion.score == 3 * 2 + 2 + 2 + 2 + 2
    assert (
        suggestion.reason_texts[0] == "Works on Burglary, Nuisance and vandalism, as this partnership does."
    )
    assert suggestion.reason_texts[3] == (
        "The partnership has no partner of this kind yet: Non-governmental organisation."
    )


def test_partners_candidates_unpublished_and_unrelated_profiles_are_not_suggested(world):
    partner_profile = world.org_city_a
    directory_profile_save(
        actor=world.member, organisation=partner_profile, summary="City", crime_areas=["burglary"]
    )
    candidate = profiled_org("Already Candidate")
    candidate_add(actor=world.coordinator, partnership=world.partnership_a, organisation=candidate)
    profiled_org("Unpublished Shop", published=False)
    profiled_org("Dutch Cyber Firm", country="NL", crime_areas=["cyber"])
    dutch_burglary = profiled_org(
        "Dutch Locksmith", country="NL", crime_areas=["burglary"], capabilities=[], regions=""
    )
    found = by_name(suggest(world))
    assert set(found) == {"Dutch Locksmith"}
    assert codes(found["Dutch Locksmith"]) == ["crime_areas", "sector_missing"]
    assert found["Dutch Locksmith"].organisation == dutch_burglary


def test_sector_and_capabilities_count_only_what_the_partnership_lacks(world):
    directory_profile_save(
        actor=world.member, organisation=world.org_city_a, summary="City", capabilities=["cameras"]
    )
    directory_profile_set_published(actor=world.member, organisation=world.org_city_a, published=True)
    profiled_org("Ica Malmö", sector="retail", capabilities=["cameras", "patrols"], regions="")
    [suggestion] = suggest(world)
    reasons = {r["code"]: r["params"] for r in suggestion.reasons}
    assert reasons["capabilities"] == {"capabilities": ["patrols"]}
    assert reasons["sector_missing"] == {"sector": "retail"}
    assert "kind_missing" not in reasons  # the partnership already has a business


def test_a_partners_unpublished_profile_does_not_shape_the_reasons(world):
    # A draft is for its own organisation only: its capabilities must not be inferable from suggestions.
    directory_profile_save(
        actor=world.member, organisation=world.org_city_a, summary="City", capabilities=["cameras"]
    )
    profiled_org("Ica Malmö", sector="retail", capabilities=["cameras", "patrols"], regions="")
    [suggestion] = suggest(world)
    reasons = {r["code"]: r["params"] for r in suggestion.reasons}
    assert reasons["capabilities"] == {"capabilities": ["cameras", "patrols"]}


def test_past_partnerships_on_overlapping_crime_are_counted_never_named(world):
    veteran = profiled_org("Veteran Security", sector="security", crime_areas=["burglary"])
    # Active partner of B (retail, burglary: overlaps A) and of C (cyber: does not overlap A).
    partner_add(
        actor=world.coordinator_b, partnership=world.partnership_b, organisation=veteran, status="active"
    )
    c = partnership_create(
        actor=world.coordinator_b,
        organisation=world.org_b,
        name="Cyber C",
        purpose="Cyber.",
        country="NL",
        crime_areas=["cyber"],
    )
    partner_add(actor=world.coordinator_b, partnership=c, organisation=veteran, status="active")
    # Only a candidate (never joined) in a third partnership with burglary: not counted.
    d = partnership_create(
        actor=world.coordinator_b,
        organisation=world.org_b,
        name="Burglary D",
        purpose="Burglary.",
        country="NL",
        crime_areas=["burglary"],
    )
    partner_add(actor=world.coordinator_b, partnership=d, organisation=veteran, status="candidate")
    [suggestion] = suggest(world)
    past = [r for r in suggestion.reasons if r["code"] == "past_partnerships"]
    assert past == [{"code": "past_partnerships", "params": {"count": 1}}]
    assert "Veilig" not in " ".join(suggestion.reason_texts)
    assert "1 other partnership" in " ".join(suggestion.reason_texts)


def test_past_partnership_counts_use_one_query(world, django_assert_num_queries):
    from safepact.accounts.models import Organisation

    with django_assert_num_queries(1):
        counts = dangerously_past_partnership_counts(
            organisations=Organisation.objects.values("pk"), partnership=world.partnership_b
        )
    # Polisen and Malmö stad take part in A (burglary, like B): the police and the city count once.
    assert counts == {world.org_police_a.pk: 1, world.org_city_a.pk: 1, world.org_shop_a.pk: 1}


def test_at_most_ten_suggestions_best_first(world):
    bulk_profiles(12, prefix="Shop", crime_areas=["burglary"])
    profiled_org("Best Fit", kind="ngo", sector="social_care", crime_areas=["burglary", "nuisance"])
    suggestions = suggest(world)
    assert len(suggestions) == 10
    assert suggestions[0].organisation.name == "Best Fit"
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)


def test_organisations_at_home_come_before_better_scoring_ones_abroad(world):
    # A foreign police force sharing every crime area scores higher than a local shop, but a local
    # partnership is offered its own country's organisations first.
    profiled_org(
        "Politie Oost-Brabant",
        kind="law_enforcement",
        sector="policing_justice",
        country="NL",
        crime_areas=["burglary", "nuisance"],
        capabilities=["patrols", "information"],
        regions="Noord-Brabant",
    )
    profiled_org("Malmö Hörnbutik", crime_areas=["burglary"], regions="Elsewhere")
    suggestions = suggest(world)
    names = [s.organisation.name for s in suggestions]
    assert names.index("Malmö Hörnbutik") < names.index("Politie Oost-Brabant")
    assert by_name(suggestions)["Politie Oost-Brabant"].score > by_name(suggestions)["Malmö Hörnbutik"].score


@pytest.mark.parametrize("count", [5, 40])
def test_suggestions_use_a_fixed_number_of_queries(world, django_assert_max_num_queries, count):
    bulk_profiles(count, crime_areas=["burglary"])
    with django_assert_max_num_queries(5):
        suggestions = suggest(world)
    assert len(suggestions) == min(count, 10)


def test_only_coordinators_get_suggestions(world):
    for persona in ("member", "viewer"):
        with pytest.raises(PermissionDenied):
            suggest(world, getattr(world, persona))
    with pytest.raises(Http404):
        suggest(world, world.outsider)


def test_reasons_render_in_the_viewers_language(world):
    reasons = [
        {"code": "crime_areas", "params": {"areas": ["burglary"]}},
        {"code": "past_partnerships", "params": {"count": 2}},
    ]
    assert reason_texts(reasons)[1] == "Takes or took part in 2 other partnerships on similar crime."
    with translation.override("nl"):
        assert "Woninginbraak" in reason_text(reasons[0])
    assert reason_text({"code": "country", "params": {"country": "SE"}}).startswith("Based in Sweden")


def test_candidate_reasons_work_for_an_organisation_outside_the_directory(world):
    reasons = candidate_reasons(
        user=world.coordinator, partnership=world.partnership_a, organisation=world.org_b
    )
    # Gemeente Parkstad: a municipality (A has one), in NL (A is in SE), partner of B (burglary, like A).
    assert reasons == [{"code": "past_partnerships", "params": {"count": 1}}]
