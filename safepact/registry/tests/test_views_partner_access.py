"""Partner pages of the registry, access for every URL name of ``views_checks``: anonymous to the login page,
outsiders (and another partnership's coordinator) 404, viewers 403 on everything but the home page, a batch
of another organisation 404, and a refused request changes nothing.

The URL names are read from the resolver (those served by ``views_checks``), so a new partner page fails
``test_every_partner_url_name_is_covered`` until it has a row here."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.registry import services
from safepact.registry.models import BatchCheck, Check

#: Personas (attributes of the ``reg`` fixture). ``marina`` uploaded the batch; ``city`` and ``police`` are
#: members of other organisations who may check.
PERSONAS = ("outsider", "coordinator_b", "viewer", "marina", "city", "police")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def csv_upload(text="kind,value\nvin,WBA71DC010CH14720\n", name="boats.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def check_data():
    return {"kind": "vin", "value": "WBA71DC010CH14720", "context": "offered_for_sale"}


def batch_data():
    return {"file": csv_upload(), "context": "routine"}


# URL name -> (method, need, data). Methods: "get" (a page; with data it is also POSTed), "post" (an action).
# Needs: "read" (any member), "check" (members who may check: viewers 403), "batch" (the batch's own
# organisation: others 404, viewers 403).
CASES = {
    "home": ("get", "read", None),
    "check": ("post", "check", check_data),
    "checks": ("get", "check", None),
    "batches": ("get", "check", None),
    "batch_new": ("get", "check", batch_data),
    "batch": ("get", "batch", None),
    "batch_results": ("get", "batch", None),
}


def partner_patterns() -> dict:
    from safepact.registry.urls import urlpatterns

    return {p.name: p for p in urlpatterns if p.callback.__module__ == "safepact.registry.views_checks"}


def test_every_partner_url_name_is_covered():
    """Fails for a partner page without a row above, and for a row whose page is gone."""
    assert set(partner_patterns()) == set(CASES)


@pytest.fixture
def batch(reg):
    return services.batch_create(
        user=reg.marina, membership=reg.m_marina, file=csv_upload(), context="routine"
    )


def url_for(reg, batch, name) -> str:
    kwargs = {}
    for parameter in partner_patterns()[name].pattern.converters:
        kwargs[parameter] = reg.partnership.code if parameter == "code" else batch.code
    return reverse(f"registry:{name}", kwargs=kwargs)


def expected_for(persona, need) -> set:
    if persona in ("outsider", "coordinator_b"):
        return {404}
    if need == "read":
        return {200}
    if persona == "viewer":
        return {403}
    if need == "batch" and persona != "marina":
        return {404}
    return {200, 302}


def _payload(data) -> dict:
    return data() if callable(data) else (data or {})


def _state() -> tuple:
    return AuditEvent.objects.count(), Check.objects.count(), BatchCheck.objects.count()


@pytest.mark.parametrize("name", sorted(CASES))
def test_access(client, reg, batch, name):
    method, need, data = CASES[name]
    url = url_for(reg, batch, name)

    response = getattr(client, method)(url, _payload(data))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")), name

    for persona in PERSONAS:
        client.force_login(getattr(reg, persona))
        expected = expected_for(persona, need)
        verbs = [method] if method == "post" or data is None else ["get", "post"]
        for verb in verbs:
            payload = _payload(data if verb == "post" else None)
            before = _state()
            response = getattr(client, verb)(url, payload)
            assert response.status_code in expected, (
                persona,
                verb,
                response.status_code,
                response.content[:300],
            )
            if response.status_code >= 400:
                assert _state() == before, f"{persona}: a refused request changes nothing ({name})"
            elif verb == "post":
                assert _state() != before, f"{persona}: an allowed check or upload is logged ({name})"
        client.logout()


@pytest.mark.parametrize("name", ["check"])
def test_actions_refuse_get(client_for, reg, batch, name):
    assert client_for(reg.marina).get(url_for(reg, batch, name)).status_code == 405


@pytest.mark.parametrize("name", ["home", "checks", "batches", "batch", "batch_results"])
def test_pages_refuse_post(client_for, reg, batch, name):
    assert client_for(reg.marina).post(url_for(reg, batch, name)).status_code == 405


def test_a_batch_is_not_found_through_another_partnership(client_for, reg, batch):
    """The batch's code under partnership B: 404 for B's coordinator (not their batch) and for the marina
    (not their partnership)."""
    b = reg.world.partnership_b.code
    for user in (reg.coordinator_b, reg.marina):
        client = client_for(user)
        assert client.get(reverse("registry:batch", args=[b, batch.code])).status_code == 404
        assert client.get(reverse("registry:batch_results", args=[b, batch.code])).status_code == 404


def test_an_unknown_batch_is_not_found(client_for, reg, batch):
    import uuid

    client = client_for(reg.marina)
    assert client.get(reverse("registry:batch", args=[reg.partnership.code, uuid.uuid4()])).status_code == 404


def test_the_partnership_page_links_to_the_registry(client_for, reg):
    """The section registered in ``hooks`` shows on the partnership's overview, for every member."""
    url = reverse("registry:home", args=[reg.partnership.code])
    for user in (reg.marina, reg.viewer, reg.police):
        response = client_for(user).get(reverse("partnerships:overview", args=[reg.partnership.code]))
        assert response.status_code == 200
        assert f'href="{url}"' in response.content.decode()
