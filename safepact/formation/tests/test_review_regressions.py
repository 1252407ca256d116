"""Regressions found in the security review of formation (one test per bug, with the fix at the source)."""

import pytest
from django.urls import reverse

from safepact.formation.tests.directory_helpers import bulk_profiles

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("page", ["99999999999999999999999", str(2**62), "-99999999999999999999999"])
def test_directory_search_with_a_huge_page_number_shows_a_page_not_a_500(world, client_for, page):
    bulk_profiles(3)
    response = client_for(world.viewer).get(reverse("formation:directory"), {"page": page})
    assert response.status_code == 200
    assert "Bulk 000" in response.content.decode()
