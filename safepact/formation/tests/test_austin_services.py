"""Austin's continuum: profile validation naming the dimension, stage fit, partners' input and history."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.formation.models import AustinDimension, AustinInput, AustinProfile
from safepact.formation.selectors.austin import (
    austin_current_inputs,
    austin_profile_list,
    stage_fit,
    summarise_inputs,
)
from safepact.formation.services.austin import austin_input_give, austin_profile_record
from safepact.lib import clock
from safepact.partnerships.models import Partner
from safepact.partnerships.selectors import get_partnership_for_user

ALL = {d.value: 50 for d in AustinDimension}
T0 = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


def partner_of(world, organisation):
    return Partner.objects.get(partnership=world.partnership_a, organisation=organisation)


def record(world, scores=None, stage="transactional", actor=None):
    return austin_profile_record(
        actor=actor or world.coordinator,
        partnership=world.partnership_a,
        scores=ALL if scores is None else scores,
        declared_stage=stage,
    )


# Profiles -----------------------------------------------------------------------------------------


def test_a_complete_profile_is_recorded_and_audited(world):
    profile = record(world, {**ALL, "mission": 75}, "transactional")
    assert profile.scores["mission"] == 75 and profile.declared_stage == "transactional"
    event = AuditEvent.objects.get(action="formation.austin_profile.recorded")
    assert event.after["scores"]["mission"] == 75
    assert event.partnership_code == str(world.partnership_a.code)


@pytest.mark.parametrize("missing", [d.value for d in AustinDimension])
def test_missing_dimension_is_named(world, missing):
    scores = {k: v for k, v in ALL.items() if k != missing}
    with pytest.raises(ValidationError) as exc:
        record(world, scores)
    assert list(exc.value.message_dict) == [missing]
    label = str(AustinDimension(missing).label)
    assert label in exc.value.message_dict[missing][0]
    assert not AustinProfile.objects.exists()


@pytest.mark.parametrize("value", [-25, 101, 125, 60, "high", None])
def test_out_of_range_or_off_step_position_is_named(world, value):
    with pytest.raises(ValidationError) as exc:
        record(world, {**ALL, "strategic": value})
    assert "strategic" in exc.value.message_dict
    assert "Strategic value" in exc.value.message_dict["strategic"][0]
    assert not AustinProfile.objects.exists()


def test_unknown_dimension_and_stage_are_refused(world):
    with pytest.raises(ValidationError) as exc:
        record(world, {**ALL, "happiness": 50})
    assert "scores" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        record(world, stage="symbiotic")
    assert "declared_stage" in exc.value.message_dict
    assert not AustinProfile.objects.exists()


@pytest.mark.parametrize("persona", ["member", "viewer"])
def test_only_coordinators_record_profiles(world, persona):
    with pytest.raises(PermissionDenied):
        record(world, actor=getattr(world, persona))
    with pytest.raises(Http404):
        record(world, actor=world.outsider)


def test_every_profile_is_kept_as_history(world):
    with clock.frozen(T0):
        record(world, {**ALL, "engagement": 0}, "philanthropic")
    with clock.frozen(T0 + timedelta(days=90)):
        record(world, {**ALL, "engagement": 50})
    with clock.frozen(T0 + timedelta(days=180)):
        record(world, {**ALL, "engagement": 100})
    partnership = get_partnership_for_user(world.viewer, world.partnership_a.code)
    history = list(austin_profile_list(user=world.viewer, partnership=partnership))
    assert [p.scores["engagement"] for p in history] == [0, 50, 100]
    assert history[0].assessed_at == T0


# Stage fit ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "stage", "fits"),
    [
        (50, "transactional", True),
        (25, "transactional", True),
        (0, "transactional", False),
        (100, "transactional", False),
        (50, "integrative", True),
        (25, "integrative", False),  # declared integrative, average below 50
        (100, "integrative", True),
        (0, "philanthropic", True),
        (50, "philanthropic", True),
        (75, "philanthropic", False),
    ],
)
def test_declared_stage_fits_the_average(position, stage, fits):
    fit = stage_fit(scores={d.value: position for d in AustinDimension}, declared_stage=stage)
    assert fit.fits is fits
    assert fit.average == position


def test_mismatch_message_explains_the_rule():
    scores = {**{d.value: 25 for d in AustinDimension}, "strategic": 75}
    fit = stage_fit(scores=scores, declared_stage="integrative")
    assert not fit.fits and fit.average == pytest.approx(32.1)
    assert "Integrative" in fit.message and "32.1" in fit.message and "50" in fit.message


# Partners' input -----------------------------------------------------------------------------------


def test_member_gives_input_for_own_organisation_latest_counts(world):
    city = partner_of(world, world.org_city_a)
    with clock.frozen(T0):
        austin_input_give(actor=world.member, partner=city, positions={"engagement": 25, "mission": 50})
    with clock.frozen(T0 + timedelta(days=1)):
        austin_input_give(
            actor=world.member,
            partner=city,
            positions={"engagement": 75},
            comments={"engagement": "More now"},
        )
    assert AustinInput.objects.count() == 3, "history rows are kept"
    partnership = get_partnership_for_user(world.viewer, world.partnership_a.code)
    current = austin_current_inputs(user=world.viewer, partnership=partnership)
    assert {(i.dimension, i.position) for i in current} == {("engagement", 75), ("mission", 50)}
    assert AuditEvent.objects.filter(action="formation.austin_input.given").count() == 2


def test_summary_gives_average_and_spread(world):
    city, police = partner_of(world, world.org_city_a), partner_of(world, world.org_police_a)
    austin_input_give(actor=world.member, partner=city, positions={"resources": 25})
    austin_input_give(actor=world.coordinator, partner=police, positions={"resources": 75})
    partnership = get_partnership_for_user(world.coordinator, world.partnership_a.code)
    summary = summarise_inputs(austin_current_inputs(user=world.coordinator, partnership=partnership))
    resources = summary["resources"]
    assert (resources.count, resources.average, resources.low, resources.high, resources.spread) == (
        2,
        50,
        25,
        75,
        50,
    )
    assert summary["mission"].count == 0 and summary["mission"].average is None


def test_input_permission_rule(world):
    shop = partner_of(world, world.org_shop_a)
    with pytest.raises(PermissionDenied):
        austin_input_give(actor=world.member, partner=shop, positions={"scope": 50})
    with pytest.raises(PermissionDenied):
        austin_input_give(actor=world.viewer, partner=shop, positions={"scope": 50})
    with pytest.raises(Http404):
        austin_input_give(actor=world.outsider, partner=shop, positions={"scope": 50})
    assert not AustinInput.objects.exists()
    austin_input_give(actor=world.coordinator, partner=shop, positions={"scope": 50})
    assert AustinInput.objects.count() == 1


@pytest.mark.parametrize(
    ("positions", "field"),
    [
        ({}, "positions"),
        ({"scope": None}, "positions"),
        ({"scope": 110}, "scope"),
        ({"joy": 50}, "positions"),
    ],
)
def test_bad_input_is_refused_naming_the_field(world, positions, field):
    city = partner_of(world, world.org_city_a)
    with pytest.raises(ValidationError) as exc:
        austin_input_give(actor=world.member, partner=city, positions=positions)
    assert field in exc.value.message_dict
    assert not AustinInput.objects.exists()
