"""The law-enforcement pages of the registry, access for every URL name served by ``views_alerts``: anonymous
to the login page, outsiders and another partnership's coordinator 404, members who are not law enforcement
(the viewer, the city, the marina) 403, another unit (customs) 403 on what only the owning unit does, only
coordinators on the settings; a refused request changes nothing and an allowed write is audited.

The URL names are read from the resolver and their parameters are built from objects made through the
services, so a new page of ``views_alerts`` fails ``test_every_url_name_is_covered`` until it is added here."""

import pytest
from django.urls import reverse

from safepact.audit.models import AuditEvent
from safepact.registry import services
from safepact.registry.models import Alert, Hit, Identifier, ImportRun, Overlap, RegistrySettings
from safepact.registry.tests.conftest import boat_alert
from safepact.registry.tests.le_factories import alert_form_data, import_upload

VIEWS_MODULE = "safepact.registry.views_alerts"
#: Refused in every case: outside the partnership, or inside without being law enforcement.
OUTSIDE = ("outsider", "coordinator_b")
NOT_LAW_ENFORCEMENT = ("viewer", "city", "marina")


class Things:
    """The objects the URLs point at, made on first use."""

    def __init__(self, reg):
        self.reg = reg
        self._made = {}

    def get(self, name):
        if name not in self._made:
            self._made[name] = getattr(self, f"_make_{name}")()
        return self._made[name]

    def _make_alert(self):
        return boat_alert(self.reg)

    def _make_identifier(self):
        return self.get("alert").identifiers.order_by("id").first()

    def _make_hit(self):
        alert = self.get("alert")
        services.check_identifier(
            user=self.reg.marina,
            membership=self.reg.m_marina,
            kind="hin",
            value="NL-XYZ98765E505",
            context="offered_for_sale",
        )
        return Hit.objects.get(alert=alert)

    def _make_overlap(self):
        """Two alerts of the police sharing a hull number: customs owns neither."""
        self.get("alert")
        boat_alert(
            self.reg,
            identifiers=[{"kind": "hin", "value": "SE-ABC12345D404"}],
            case_reference="5000-K999999-26",
        )
        return Overlap.objects.get(partnership=self.reg.partnership)


@pytest.fixture
def things(reg):
    return Things(reg)


# URL name -> (need, data). need: "le" = any law-enforcement member; "owner" = the owning unit (police and
# officer; customs 403); "manage" = coordinators (only the police coordinator here). data: what an allowed
# POST sends (None: the page is read only, GET alone).
def cases(things):
    reg = things.reg
    return {
        "alerts": ("le", None),
        "alert_new": ("le", alert_form_data),
        "alert": ("le", None),
        "alert_edit": ("owner", lambda: alert_form_data(description="Changed: red hull.", identifiers=False)),
        "alert_status": ("owner", lambda: {"status": "located", "reason": "Found in Ystad."}),
        "identifier_new": (
            "owner",
            lambda: {"kind": "engine", "manufacturer": "Mercury", "value": "1B234567"},
        ),
        "identifier_delete": ("owner", lambda: {"reason": "Typing error."}),
        "hits": ("le", None),
        "hit": ("le", None),
        "hit_decide": ("owner", lambda: {"status": "confirmed", "note": "Seized."}),
        "overlaps": ("le", None),
        "overlap_resolve": ("owner", lambda: {"status": "same_object"}),
        "search": ("le", None),
        "import": ("le", lambda: {"file": import_upload(reg)}),
        "export": ("le", None),
        "settings": (
            "manage",
            lambda: {"escalation_hours": "6", "retention_days": "60", "default_alert_days": "365"},
        ),
    }


NAMES = sorted(cases(Things(None)))


def le_patterns() -> dict:
    from safepact.registry.urls import urlpatterns

    return {p.name: p for p in urlpatterns if p.callback.__module__ == VIEWS_MODULE}


def url_for(things, name) -> str:
    pattern = le_patterns()[name]
    kwargs = {}
    for parameter in pattern.pattern.converters:
        if parameter == "code":
            kwargs["code"] = things.reg.partnership.code
        else:
            kwargs[parameter] = things.get(parameter).code
    return reverse(f"registry:{name}", kwargs=kwargs)


def state() -> tuple:
    """What a refused request must leave alone."""
    return (
        AuditEvent.objects.count(),
        Alert.objects.count(),
        tuple(Alert.objects.order_by("id").values_list("status", "description")),
        Identifier.objects.count(),
        tuple(Hit.objects.order_by("id").values_list("status", flat=True)),
        tuple(Overlap.objects.order_by("id").values_list("status", flat=True)),
        RegistrySettings.objects.count(),
        ImportRun.objects.count(),
    )


def expected_for(persona, need) -> set:
    if persona in OUTSIDE:
        return {404}
    if persona in NOT_LAW_ENFORCEMENT:
        return {403}
    if need == "manage" and persona != "police":
        return {403}
    if need == "owner" and persona == "customs":
        return {403}
    return {200, 302}


def test_every_url_name_is_covered():
    """Fails for a page of ``views_alerts`` without a row above, and for a row whose page is gone."""
    assert set(le_patterns()) == set(NAMES)


def _payload(data) -> dict:
    return data() if callable(data) else (data or {})


@pytest.mark.parametrize("name", NAMES)
def test_access(client, reg, things, name):
    need, data = cases(things)[name]
    url = url_for(things, name)

    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")), name
    if data is not None:
        before = state()
        response = client.post(url, _payload(data))
        assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
        assert state() == before

    for persona in (*OUTSIDE, *NOT_LAW_ENFORCEMENT, "customs", "officer", "police"):
        client.force_login(getattr(reg, persona))
        expected = expected_for(persona, need)
        response = client.get(url)
        assert response.status_code in expected, (persona, "get", response.status_code)
        refused = 403 in expected or 404 in expected
        # A refused person's POST changes nothing; of the allowed, the police coordinator writes last.
        if data is not None and (refused or persona == "police"):
            payload = _payload(data)  # made before the state is taken (the upload makes nothing)
            before = state()
            response = client.post(url, payload)
            if refused:
                assert response.status_code in expected, (persona, "post", response.status_code)
                assert state() == before, f"{persona}: a refused request changes nothing ({name})"
            else:
                # The import page shows its report (200); the others go back to the object (302).
                assert response.status_code in (200, 302), (name, response.status_code)
                assert AuditEvent.objects.count() > before[0], f"an allowed write is recorded ({name})"
        client.logout()


def test_read_only_pages_refuse_post(client_for, reg, things):
    client = client_for(reg.police)
    for name in ("alerts", "alert", "hits", "hit", "overlaps", "search", "export"):
        assert client.post(url_for(things, name)).status_code == 405, name


def test_another_partnerships_objects_are_not_found(client_for, reg, things):
    """An alert of partnership A is not found through partnership B, even by a law-enforcement member there."""
    from conftest import add_member

    add_member(
        coordinator=reg.coordinator_b,
        partnership=reg.world.partnership_b,
        user=reg.customs,
        role="member",
        new_organisation={"name": "Douane Limburg", "kind": "law_enforcement", "country": "NL"},
    )
    from safepact.partnerships.selectors import membership_in
    from safepact.registry.tests.conftest import make_officer

    make_officer(reg.customs, membership_in(reg.customs, reg.world.partnership_b).partner.organisation)
    b = reg.world.partnership_b.code
    alert, hit = things.get("alert"), things.get("hit")
    client = client_for(reg.customs)
    assert client.get(reverse("registry:alerts", args=[b])).status_code == 200
    assert client.get(reverse("registry:alert", args=[b, alert.code])).status_code == 404
    assert client.get(reverse("registry:hit", args=[b, hit.code])).status_code == 404
    identifier = things.get("identifier")
    assert client.get(reverse("registry:identifier_delete", args=[b, identifier.code])).status_code == 404
