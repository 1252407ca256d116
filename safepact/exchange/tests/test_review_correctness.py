"""Correctness review of the exchange: the parts written in parallel agree with each other.

* the ``selectors`` and ``services`` packages re-export their modules with ``import *``: no two modules may
  export the same name (the later one would silently shadow the earlier one);
* the daily job does not run the retention purge inside one transaction;
* request states and deadlines on the deployment's calendar (Europe/Brussels), around midnight;
* the Five Safes gate holds when a request changes after its assessment was approved;
* a request's label keeps naming the requesting and the addressed organisations;
* retention: what a purge leaves (tombstone, access log) and what it removes (search entries, files);
* query counts of the dashboard's attention items over many partnerships.
"""

import importlib
import itertools
import pkgutil
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from safepact.exchange import selectors, services
from safepact.exchange.models import (
    AssessmentStatus,
    RequestStatus,
)
from safepact.exchange.tests.request_factories import (
    NOW,
    fill_assessment,
    make_cast,
    make_request,
    reload,
    sent_request,
)
from safepact.lib import clock

PERSONAL = ["identification", "ownership"]


@pytest.fixture
def cast(world):
    return make_cast(world, second_coordinator=True)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.frozen(NOW):
        yield


def brussels(*args) -> datetime:
    return timezone.make_aware(datetime(*args), timezone.get_current_timezone())


# The packages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("package", [selectors, services], ids=["selectors", "services"])
def test_modules_of_a_package_export_disjoint_names(package):
    """``from .x import *`` in ``__init__``: a name exported by two modules would shadow the first."""
    exported = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        assert hasattr(module, "__all__"), f"{module.__name__} has no __all__"
        missing = [name for name in module.__all__ if not hasattr(module, name)]
        assert not missing, f"{module.__name__}.__all__ names what it does not define: {missing}"
        exported[info.name] = set(module.__all__)
    clashes = {
        (a, b): sorted(exported[a] & exported[b])
        for a, b in itertools.combinations(sorted(exported), 2)
        if exported[a] & exported[b]
    }
    assert clashes == {}
    # and the package re-exports every module's names, each from its own module
    for name, names in exported.items():
        module = importlib.import_module(f"{package.__name__}.{name}")
        for exported_name in names:
            assert getattr(package, exported_name) is getattr(module, exported_name), exported_name


# PROBES (temporary) ---------------------------------------------------------------------------------


def test_probe_label_change_request_orgs(world, cast):
    from safepact.partnerships.tlp import may_see

    request = sent_request(world, cast)  # AMBER to city and shop
    services.label_change(
        actor=world.coordinator, item=request, tlp="amber", recipient_organisations=[cast.org_garage]
    )
    request = reload(request)
    print(sorted(request.recipient_organisations.values_list("name", flat=True)))
    print("member sees", may_see(world.member, request), "dealer", may_see(cast.dealer, request), "garage", may_see(cast.garage, request))


def test_probe_update_after_approval(world, cast):
    request = make_request(world, cast, data_categories=["ownership"], deadline=clock.today() + timedelta(days=1))
    request = services.request_submit(actor=world.coordinator, request=request)
    fill_assessment(request.assessment, world.coordinator)
    services.assessment_submit(actor=world.coordinator, assessment=request.assessment)
    clock.advance(timedelta(days=3))
    services.assessment_decide(actor=cast.coordinator2, assessment=reload(request).assessment, decision="approved")
    request = reload(request)
    print(request.status)
    services.request_update(
        actor=world.coordinator, request=request, deadline=clock.today() + timedelta(days=5),
        data_categories=["ownership", "criminal", "special"], purpose="Something else entirely",
        recipient_partners=[cast.city, cast.shop, cast.garage_partner],
    )
    print(services.request_submit(actor=world.coordinator, request=reload(request)).status)
