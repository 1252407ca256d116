"""Problem statement services: TLP label and recipients, figures (add, change, move, remove), audit."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from safepact.audit.models import AuditEvent
from safepact.formation.models import ProblemFigure, ProblemStatement
from safepact.formation.selectors.problem import get_problem_for_user, problem_statement_for
from safepact.formation.services.problem import (
    problem_figure_add,
    problem_figure_change,
    problem_figure_remove,
    problem_statement_update,
)
from safepact.formation.tests.claimed_problem_support import candidate, statement
from safepact.lib import clock

pytestmark = pytest.mark.django_db


def update(world, actor=None, **kwargs):
    values = {"nature": "Burglaries in Sofielund.", "causes": "Unlocked back doors.", "tlp": "green"}
    values.update(kwargs)
    return problem_statement_update(
        actor=actor or world.coordinator, partnership=world.partnership_a, **values
    )


def add(world, actor=None, **kwargs):
    values = {
        "label": "Reported burglaries",
        "value": Decimal("120"),
        "unit": "per year",
        "source": "Police statistics",
        "as_of": date(2024, 12, 31),
    }
    values.update(kwargs)
    return problem_figure_add(actor=actor or world.coordinator, partnership=world.partnership_a, **values)


# Statement ---------------------------------------------------------------------------------------


def test_first_save_creates_the_statement_with_the_coordinator_as_author(world):
    s = update(world, nature="  Burglaries.  ")
    assert s.nature == "Burglaries."
    assert s.created_by == world.coordinator and s.updated_by == world.coordinator
    event = AuditEvent.objects.get(action="formation.problem.updated")
    assert event.before is None
    assert event.after == {
        "tlp": "green",
        "recipient_organisations": [],
        "recipient_people": [],
        "nature_characters": 11,
        "causes_characters": 20,
    }
    assert event.partnership_code == str(world.partnership_a.code)


def test_audit_never_holds_the_text(world):
    update(world, nature="Secret modus operandi", causes="Insider at the depot", tlp="clear")
    update(world, nature="Another secret", causes="Insider at the depot", tlp="clear")
    for event in AuditEvent.objects.filter(action="formation.problem.updated"):
        assert "secret" not in str(event.before).lower() + str(event.after).lower()
        assert "insider" not in str(event.after).lower()


def test_saving_unchanged_writes_no_second_event(world):
    update(world)
    update(world)
    assert AuditEvent.objects.filter(action="formation.problem.updated").count() == 1


def test_amber_needs_recipient_organisations_from_partners_or_candidates(world):
    with pytest.raises(ValidationError) as exc:
        update(world, tlp="amber")
    assert "recipient_organisations" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        update(world, tlp="amber", recipient_organisations=[world.org_outsider])
    assert "recipient_organisations" in exc.value.error_dict
    assert not ProblemStatement.objects.exists()
    cand = candidate(world, world.partnership_a)
    s = update(world, tlp="amber", recipient_organisations=[world.org_police_a, cand.organisation])
    assert set(s.recipient_organisations.all()) == {world.org_police_a, cand.organisation}


def test_red_needs_recipient_people_among_active_members(world):
    with pytest.raises(ValidationError) as exc:
        update(world, tlp="red")
    assert "recipient_people" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        update(world, tlp="red", recipient_people=[world.outsider])
    assert "recipient_people" in exc.value.error_dict
    s = update(world, tlp="red", recipient_people=[world.coordinator, world.member])
    assert set(s.recipient_people.all()) == {world.coordinator, world.member}


def test_recipients_that_do_not_matter_for_the_label_are_cleared(world):
    update(world, tlp="amber", recipient_organisations=[world.org_police_a])
    s = update(
        world, tlp="green", recipient_organisations=[world.org_police_a], recipient_people=[world.member]
    )
    assert not s.recipient_organisations.exists() and not s.recipient_people.exists()


def test_unknown_label_and_too_long_text_name_the_field(world):
    with pytest.raises(ValidationError) as exc:
        update(world, tlp="purple", nature="x" * 20001)
    assert set(exc.value.error_dict) == {"tlp", "nature"}


def test_members_see_only_what_the_label_allows(world):
    update(world, tlp="amber", recipient_organisations=[world.org_police_a, world.org_city_a])
    assert problem_statement_for(user=world.member, partnership=world.partnership_a).visible
    assert not problem_statement_for(user=world.viewer, partnership=world.partnership_a).visible
    update(world, tlp="red", recipient_people=[world.coordinator])
    assert not problem_statement_for(user=world.member, partnership=world.partnership_a).visible
    update(world, tlp="green")
    assert problem_statement_for(user=world.viewer, partnership=world.partnership_a).visible


def test_a_second_coordinator_cannot_lock_themselves_out_nor_edit_what_they_cannot_read(world):
    from safepact.partnerships.services import member_set_role

    member_set_role(actor=world.coordinator, membership=world.membership_member, role="coordinator")
    update(world, tlp="red", recipient_people=[world.coordinator])
    with pytest.raises(PermissionDenied):
        update(world, actor=world.member, tlp="green")
    update(world, tlp="green")
    with pytest.raises(ValidationError) as exc:
        update(world, actor=world.member, tlp="amber", recipient_organisations=[world.org_police_a])
    assert "recipient_organisations" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        update(world, actor=world.member, tlp="red", recipient_people=[world.coordinator])
    assert "recipient_people" in exc.value.error_dict
    assert ProblemStatement.objects.get().tlp == "green"


@pytest.mark.parametrize(
    ("persona", "error"),
    [
        ("member", PermissionDenied),
        ("viewer", PermissionDenied),
        ("outsider", Http404),
        ("coordinator_b", Http404),
    ],
)
def test_only_coordinators_write(world, persona, error):
    with pytest.raises(error):
        update(world, actor=getattr(world, persona))
    with pytest.raises(error):
        add(world, actor=getattr(world, persona))
    assert not ProblemStatement.objects.exists() and not ProblemFigure.objects.exists()


# Figures -----------------------------------------------------------------------------------------


def test_adding_a_figure_starts_a_statement_and_appends(world):
    first = add(world)
    second = add(world, label="Damage", value="2500000.50", unit="EUR")
    assert (first.position, second.position) == (1, 2)
    assert second.value == Decimal("2500000.50")
    assert ProblemStatement.objects.get().tlp == "green"
    event = AuditEvent.objects.get(action="formation.problem_figure.added", target_code=str(second.code))
    assert event.after["label"] == "Damage" and event.after["value"] == "2500000.50"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("label", ""),
        ("label", "x" * 201),
        ("value", "many"),
        ("value", "NaN"),
        ("value", Decimal("1e20")),
        ("source", "  "),
        ("as_of", None),
        ("unit", "u" * 51),
    ],
)
def test_bad_figure_names_the_field_and_stores_nothing(world, field, value):
    with pytest.raises(ValidationError) as exc:
        add(world, **{field: value})
    assert field in exc.value.error_dict
    assert not ProblemFigure.objects.exists()


def test_a_figure_cannot_be_dated_in_the_future(world):
    with pytest.raises(ValidationError) as exc:
        add(world, as_of=clock.today() + timedelta(days=2))
    assert "as_of" in exc.value.error_dict


def test_change_and_move_figures(world):
    a, b, c = add(world, label="A"), add(world, label="B"), add(world, label="C")
    changed = problem_figure_change(
        actor=world.coordinator, figure=get_figure(world, c), label="C2", position=1
    )
    assert changed.label == "C2"
    assert list(ProblemFigure.objects.values_list("label", flat=True)) == ["C2", "A", "B"]
    assert list(ProblemFigure.objects.values_list("position", flat=True)) == [1, 2, 3]
    event = AuditEvent.objects.get(action="formation.problem_figure.changed")
    assert event.before == {"label": "C", "position": 3} and event.after == {"label": "C2", "position": 1}
    problem_figure_change(actor=world.coordinator, figure=get_figure(world, a), position=99)
    assert list(ProblemFigure.objects.values_list("label", flat=True)) == ["C2", "B", "A"]
    with pytest.raises(ValidationError) as exc:
        problem_figure_change(actor=world.coordinator, figure=get_figure(world, b), position=0)
    assert "position" in exc.value.error_dict


def test_remove_renumbers_and_audits(world):
    add(world, label="A")
    b = add(world, label="B")
    add(world, label="C")
    problem_figure_remove(actor=world.coordinator, figure=get_figure(world, b))
    assert list(ProblemFigure.objects.values_list("label", "position")) == [("A", 1), ("C", 2)]
    event = AuditEvent.objects.get(action="formation.problem_figure.removed")
    assert event.before["label"] == "B" and event.after is None


def test_figures_of_a_restricted_statement_are_audited_without_values(world):
    update(world, tlp="amber", recipient_organisations=[world.org_police_a])
    f = add(world, label="Hidden count", value="7")
    problem_figure_change(actor=world.coordinator, figure=get_figure(world, f), value="8")
    problem_figure_remove(actor=world.coordinator, figure=get_figure(world, f))
    for event in AuditEvent.objects.filter(action__startswith="formation.problem_figure."):
        assert "Hidden" not in str(event.after) and "Hidden" not in str(event.before)
        assert event.after["withheld"] == "TLP:AMBER"
    changed = AuditEvent.objects.get(action="formation.problem_figure.changed")
    assert changed.after["fields"] == ["value"]


def test_figure_of_another_partnership_is_404(world):
    s = statement(world, world.partnership_b)
    from safepact.formation.tests.claimed_problem_support import figure

    other = figure(s)
    from safepact.formation.selectors.problem import get_figure_for_user

    with pytest.raises(Http404):
        get_figure_for_user(world.coordinator, world.partnership_a.code, other.code)


def get_figure(world, f):
    from safepact.formation.selectors.problem import get_figure_for_user

    return get_figure_for_user(world.coordinator, world.partnership_a.code, f.code)


def test_get_problem_for_user_manage_refuses_a_coordinator_who_may_not_read(world):
    statement(world, world.partnership_a, tlp="red", people=[world.member])
    from safepact.partnerships.services import member_set_role

    member_set_role(actor=world.coordinator, membership=world.membership_viewer, role="coordinator")
    with pytest.raises(PermissionDenied):
        get_problem_for_user(world.viewer, world.partnership_a.code, manage=True)
    assert get_problem_for_user(world.coordinator, world.partnership_a.code, manage=True).visible  # author
