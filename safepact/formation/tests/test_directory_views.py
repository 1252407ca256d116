"""Directory pages and API: search (with HTMX), a profile, my profiles; access rules; query counts."""

import json

import pytest
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.formation.models import DirectoryProfile
from safepact.formation.tests.directory_helpers import bulk_profiles, profiled_org

SEARCH = reverse("formation:directory")
MINE = reverse("formation:directory_mine")


def profile_url(org):
    return reverse("formation:directory_profile", kwargs={"org_code": org.code})


def edit_url(org):
    return reverse("formation:directory_edit", kwargs={"org_code": org.code})


def publish_url(org):
    return reverse("formation:directory_publish", kwargs={"org_code": org.code})


def api(org=None):
    return "/api/v1/directory" + (f"/{org.code}" if org else "")


# Pages: anonymous ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [SEARCH, MINE])
def test_anonymous_is_sent_to_login(world, client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_anonymous_is_sent_to_login_from_profile_and_edit_pages(world, client):
    org = profiled_org("Ica Malmö")
    for url in (profile_url(org), edit_url(org)):
        assert client.get(url).status_code == 302
    assert client.post(publish_url(org), {"published": "0"}).status_code == 302
    assert DirectoryProfile.objects.get(organisation=org).published


# Search -------------------------------------------------------------------------------------------


def test_any_logged_in_person_searches_published_profiles(world, client_for):
    profiled_org("Ica Malmö", crime_areas=["retail"])
    profiled_org("Hotel Skåne", sector="hospitality")
    profiled_org("Hidden Shop", published=False)
    body = client_for(world.outsider).get(SEARCH).content.decode()
    assert "Ica Malmö" in body and "Hotel Skåne" in body
    assert "Hidden Shop" not in body
    body = client_for(world.outsider).get(SEARCH, {"q": "ica"}).content.decode()
    assert "Ica Malmö" in body and "Hotel Skåne" not in body
    body = client_for(world.outsider).get(SEARCH, {"sector": "hospitality"}).content.decode()
    assert "Hotel Skåne" in body and "Ica Malmö" not in body


def test_htmx_search_returns_only_the_results_fragment(world, client_for):
    profiled_org("Ica Malmö")
    response = client_for(world.viewer).get(SEARCH, {"q": "ica"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Ica Malmö" in body
    assert "<html" not in body and 'id="directory-results"' not in body


def test_a_bad_filter_names_the_field_and_lists_nothing(world, client_for):
    profiled_org("Ica Malmö")
    response = client_for(world.viewer).get(SEARCH, {"kind": "pirate"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Kind:" in body and "Ica Malmö" not in body


def test_search_paginates_25_per_page(world, client_for):
    bulk_profiles(30)
    client = client_for(world.viewer)
    first = client.get(SEARCH).content.decode()
    assert "Bulk 024" in first and "Bulk 025" not in first
    assert "Page 1 of 2" in first
    second = client.get(SEARCH, {"page": 2}).content.decode()
    assert "Bulk 025" in second and "Bulk 029" in second
    assert "Showing organisations 26 to 30 of 30." in second
    assert "Bulk 029" in client.get(SEARCH, {"page": 99}).content.decode()  # beyond the end: the last page
    assert "Bulk 000" in client.get(SEARCH, {"page": "x"}).content.decode()  # nonsense: the first page


@pytest.mark.parametrize("count", [5, 40])
def test_search_page_uses_a_fixed_number_of_queries(world, client_for, django_assert_max_num_queries, count):
    bulk_profiles(count)
    client = client_for(world.viewer)
    with django_assert_max_num_queries(5):
        response = client.get(SEARCH, {"q": "bulk", "capability": "cameras", "crime_area": "burglary"})
    assert response.content.decode().count('class="card"') == min(count, 25)


# Profile page ------------------------------------------------------------------------------------


def test_a_published_profile_is_shown_to_anyone_logged_in(world, client_for):
    org = profiled_org(
        "Ica Malmö", offers="Store detectives", crime_areas=["retail"], capabilities=["patrols"]
    )
    body = client_for(world.outsider).get(profile_url(org)).content.decode()
    for text in ("Ica Malmö", "Store detectives", "Retail crime", "Patrols and guarding", "Skåne"):
        assert text in body


def test_an_unpublished_profile_is_404_except_for_its_people(world, client_for):
    org = profiled_org("Quiet Shop", published=False)
    assert client_for(world.outsider).get(profile_url(org)).status_code == 404
    response = client_for(org.person).get(profile_url(org))
    assert response.status_code == 200
    assert "not published" in response.content.decode()


def test_an_unknown_organisation_is_404(world, client_for):
    url = reverse("formation:directory_profile", kwargs={"org_code": "00000000-0000-0000-0000-000000000000"})
    assert client_for(world.viewer).get(url).status_code == 404
    # An organisation without a profile, too.
    assert client_for(world.coordinator).get(profile_url(world.org_city_a)).status_code == 404


def test_coordinators_may_add_a_published_organisation_as_candidate_from_its_profile(world, client_for):
    org = profiled_org("Ica Malmö")
    body = client_for(world.coordinator).get(profile_url(org)).content.decode()
    assert reverse("formation:candidate_add", kwargs={"code": world.partnership_a.code}) in body
    body = client_for(world.viewer).get(profile_url(org)).content.decode()
    assert "/candidates/add/" not in body


# My profiles ---------------------------------------------------------------------------------------


def test_mine_lists_my_organisations_with_their_profile_state(world, client_for):
    org = profiled_org("Ica Malmö")
    body = client_for(org.person).get(MINE).content.decode()
    assert "Ica Malmö" in body and "Published" in body
    body = client_for(world.member).get(MINE).content.decode()
    assert "Malmö stad" in body and "No profile yet" in body


def test_a_person_of_the_organisation_writes_and_publishes_through_the_pages(world, client_for):
    client = client_for(world.member)
    org = world.org_city_a
    response = client.post(
        edit_url(org),
        {
            "summary": "The city.",
            "regions": "Malmö",
            "crime_areas": ["burglary"],
            "capabilities": ["lighting"],
        },
    )
    assert response.status_code == 302
    profile = DirectoryProfile.objects.get(organisation=org)
    assert profile.capabilities == ["lighting"] and not profile.published
    assert client.post(publish_url(org), {"published": "1"}).status_code == 302
    profile.refresh_from_db()
    assert profile.published
    assert AuditEvent.objects.filter(action="formation.directory_profile.published").exists()


def test_bad_input_on_the_edit_page_names_the_field_and_stores_nothing(world, client_for):
    response = client_for(world.member).post(edit_url(world.org_city_a), {"crime_areas": ["piracy"]})
    assert response.status_code == 200
    assert "Crime areas we work on:" in response.content.decode()
    assert not DirectoryProfile.objects.exists()


def test_publishing_an_empty_profile_is_refused_with_a_message(world, client_for):
    client = client_for(world.member)
    response = client.post(publish_url(world.org_city_a), {"published": "1"}, follow=True)
    assert "Write the profile before publishing it." in response.content.decode()


def test_others_get_404_for_an_unpublished_and_403_for_a_published_profile(world, client_for):
    hidden = profiled_org("Quiet Shop", published=False)
    shown = profiled_org("Ica Malmö")
    client = client_for(world.viewer)
    assert client.get(edit_url(hidden)).status_code == 404
    assert client.post(publish_url(hidden), {"published": "1"}).status_code == 404
    assert client.get(edit_url(shown)).status_code == 403
    assert client.post(edit_url(shown), {"summary": "Hijacked"}).status_code == 403
    assert client.post(publish_url(shown), {"published": "0"}).status_code == 403
    assert DirectoryProfile.objects.get(organisation=shown).published
    assert "Hijacked" not in DirectoryProfile.objects.get(organisation=shown).summary


# API ---------------------------------------------------------------------------------------------


def test_api_needs_authentication(world, client):
    org = profiled_org("Ica Malmö")
    assert client.get(api()).status_code == 401
    assert client.get(api(org)).status_code == 401
    response = client.put(api(org), json.dumps({"summary": "x"}), content_type="application/json")
    assert response.status_code == 401


def test_api_search_with_filters_and_pagination(world, client_for):
    profiled_org("Ica Malmö", crime_areas=["retail"])
    profiled_org("Hotel Skåne", sector="hospitality", capabilities=["venue"])
    profiled_org("Hidden Shop", published=False)
    client = client_for(world.outsider)
    data = client.get(api()).json()
    assert data["count"] == 2
    assert [i["organisation"]["name"] for i in data["items"]] == ["Hotel Skåne", "Ica Malmö"]
    assert client.get(api(), {"capability": "venue"}).json()["count"] == 1
    assert client.get(api(), {"q": "ica", "crime_area": "retail"}).json()["count"] == 1
    assert (
        client.get(api(), {"limit": 1, "offset": 1}).json()["items"][0]["organisation"]["name"] == "Ica Malmö"
    )
    response = client.get(api(), {"kind": "pirate"})
    assert response.status_code == 422 and response.json()["detail"].startswith("kind")
    response = client.get(api(), {"country": "Sweden"})
    assert response.status_code == 422 and response.json()["detail"].startswith("country")


@pytest.mark.parametrize("count", [5, 40])
def test_api_search_uses_a_fixed_number_of_queries(world, client_for, django_assert_max_num_queries, count):
    bulk_profiles(count)
    client = client_for(world.viewer)
    with django_assert_max_num_queries(5):
        data = client.get(api(), {"q": "bulk", "limit": 50}).json()
    assert data["count"] == count


def test_api_detail_follows_the_publication_rule(world, client_for):
    hidden = profiled_org("Quiet Shop", published=False)
    shown = profiled_org("Ica Malmö")
    client = client_for(world.outsider)
    assert client.get(api(shown)).json()["organisation"]["name"] == "Ica Malmö"
    assert client.get(api(hidden)).status_code == 404
    assert client_for(hidden.person).get(api(hidden)).json()["published"] is False


def test_api_put_writes_and_publishes_for_the_people_of_the_organisation(world, client_for):
    client = client_for(world.member)
    payload = {
        "summary": "The city.",
        "regions": "Malmö",
        "crime_areas": ["burglary"],
        "capabilities": ["cameras"],
        "published": True,
    }
    response = client.put(api(world.org_city_a), json.dumps(payload), content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["published"] is True
    assert DirectoryProfile.objects.get(organisation=world.org_city_a).published


def test_api_put_by_others_is_404_when_unpublished_and_403_when_published(world, client_for):
    hidden = profiled_org("Quiet Shop", published=False)
    shown = profiled_org("Ica Malmö")
    client = client_for(world.viewer)
    body = json.dumps({"summary": "Hijacked"})
    assert client.put(api(hidden), body, content_type="application/json").status_code == 404
    assert client.put(api(shown), body, content_type="application/json").status_code == 403
    assert not DirectoryProfile.objects.filter(summary="Hijacked").exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"crime_areas": ["piracy"]}, "crime_areas"),
        ({"capabilities": ["lasers"]}, "capabilities"),
        ({"summary": "x", "colour": "red"}, "colour"),
        ({"summary": "", "published": True}, "summary"),
    ],
)
def test_api_put_bad_input_is_422_naming_the_field_and_stores_nothing(world, client_for, payload, field):
    client = client_for(world.member)
    response = client.put(api(world.org_city_a), json.dumps(payload), content_type="application/json")
    assert response.status_code == 422
    assert field in response.json()["detail"]
    assert not DirectoryProfile.objects.exists()
