"""The registry part of ``manage.py demo`` (``safepact/registry/demo.py``): an alert with two hull numbers
and a confirmed hit on the second, a late hit, an overlap between the two police units, an escalated hit
nobody handled, a located engine; checking partners never own alerts; idempotent."""

from io import StringIO

import pytest
from django.core.management import call_command

from safepact.accounts.models import User
from safepact.partnerships import hooks
from safepact.partnerships.management.commands.demo import PARTNERSHIPS, PEOPLE
from safepact.partnerships.models import Partnership
from safepact.registry.demo import BAYLINER, JETSKI_NL, JETSKI_SE, SUZUKI, YAMAHA, registry_demo
from safepact.registry.models import Alert, AlertStatus, Check, Hit, HitKind, HitStatus, Identifier, Overlap


def run_demo() -> str:
    out = StringIO()
    call_command("demo", stdout=out)
    return out.getvalue()


def person(key: str) -> User:
    return User.objects.get(email=PEOPLE[key][0])


def test_the_registry_registers_its_part_of_the_demo():
    assert registry_demo in hooks.demo_extensions()


@pytest.mark.django_db
def test_the_demo_holds_a_registry_with_hits_a_late_hit_an_overlap_and_an_escalation():
    run_demo()
    boats = Partnership.objects.get(name=PARTNERSHIPS["boats"]["name"])
    alerts = Alert.objects.filter(partnership=boats)
    assert alerts.count() >= 15
    assert {a.owner.organisation.kind for a in alerts.select_related("owner__organisation")} == {
        "law_enforcement"
    }

    # The paper's SIS example: one boat, two hull numbers (and its engine); the second one hits.
    bayliner = alerts.get(case_reference=BAYLINER)
    assert sorted(bayliner.identifiers.values_list("kind", flat=True)) == ["engine", "hin", "hin"]
    hit = Hit.objects.get(alert=bayliner)
    assert hit.kind == HitKind.LIVE and hit.status == HitStatus.CONFIRMED
    assert hit.key == Identifier.objects.get(alert=bayliner, value__startswith="SE").key
    assert hit.checked_by == person("marloes") and hit.decided_by == person("pieter")

    late = Hit.objects.get(alert__case_reference=SUZUKI)
    assert (
        late.kind == HitKind.LATE and late.checked_by == person("erik") and late.status == HitStatus.CONFIRMED
    )

    overlap = Overlap.objects.get(partnership=boats)
    assert {overlap.first.case_reference, overlap.second.case_reference} == {JETSKI_NL, JETSKI_SE}

    escalated = Hit.objects.get(partnership=boats, status=HitStatus.OPEN)
    assert escalated.escalated_at is not None and escalated.alert.owner.organisation.name.startswith("Polis")
    assert alerts.get(case_reference=YAMAHA).status == AlertStatus.LOCATED

    counts = (
        Alert.objects.count(),
        Identifier.objects.count(),
        Check.objects.count(),
        Hit.objects.count(),
        Overlap.objects.count(),
    )
    run_demo()
    assert counts == (
        Alert.objects.count(),
        Identifier.objects.count(),
        Check.objects.count(),
        Hit.objects.count(),
        Overlap.objects.count(),
    )
