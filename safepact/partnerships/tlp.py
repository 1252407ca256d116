"""Who may see TLP-labelled content: the policy that needs memberships (floor 2).

Labels, the field, the mixin and the pure rule live in ``safepact.lib.tlp`` (floor 0); here
the rule meets the data. Two entry points, which always agree:

* ``may_see(user, item)``: one item (a few small queries);
* ``visible_to(user, queryset)``: narrow any queryset of a ``TLPLabelled`` model, in SQL, without
  loops over items and without duplicate rows (``Exists`` and ``pk__in``, never a join on the
  recipient tables).

Both start from ``active_memberships(user)``: an active membership through an active partner.

Confidentiality gates
---------------------
``GATES`` is a list of callables ``gate(user, queryset) -> queryset``. Each receives a queryset
that holds only TLP:AMBER, TLP:AMBER+STRICT and TLP:RED items the person may already see by the
rule above, and returns the subset it lets through (it may only narrow: filter, never add).
CLEAR and GREEN items never pass through a gate. The agreements app registers one that
requires a signed confidentiality agreement::

    # safepact/agreements/apps.py, in ready()
    from safepact.partnerships.tlp import register_gate
    register_gate(confidentiality_gate)

A gate must be cheap and query-constant: build a ``Q``/``Exists`` on the queryset, never a loop. A gate
that can state its rule as a condition on the item's own fields may expose it as ``gate.condition(user) ->
Q``; ``visible_to`` then inlines it into the one WHERE clause (the agreements gate does).
"""

from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q, QuerySet

from safepact.lib.tlp import RESTRICTED, TLP, may_see_label
from safepact.partnerships.selectors import active_memberships

Gate = Callable[[object, QuerySet], QuerySet]
Explain = Callable[[object, object], str]

#: Confidentiality gates for restricted items (see the module docstring).
GATES: list[Gate] = []
#: For each gate, a function ``explain(user, item) -> str`` saying why it withholds ``item`` ("" if not).
EXPLAINERS: dict[Gate, Explain] = {}
#: For each gate, ``organisation_passes(partnership_id, organisation_id) -> bool``: the gate's rule for an
#: organisation outside the platform's memberships (a candidate reading a briefing link), where there is
#: no person to ask about.
ORGANISATION_CHECKS: dict[Gate, Callable[[int, int], bool]] = {}


def register_gate(
    gate: Gate, explain: Explain | None = None, organisation_passes: Callable[[int, int], bool] | None = None
) -> Gate:
    """Add a gate once (idempotent, so ``ready()`` may run twice). Usable as a decorator."""
    if gate not in GATES:
        GATES.append(gate)
    if explain is not None:
        EXPLAINERS[gate] = explain
    if organisation_passes is not None:
        ORGANISATION_CHECKS[gate] = organisation_passes
    return gate


def organisation_passes_gates(item, organisation_id: int) -> bool:
    """Whether every gate lets ``organisation_id`` see the restricted ``item`` (CLEAR/GREEN: always).

    For sharing outside memberships (briefing links to candidate organisations). A gate that registered
    no organisation rule cannot vouch for an organisation, so it withholds.
    """
    if TLP(item.tlp) not in RESTRICTED:
        return True
    for gate in GATES:
        check = ORGANISATION_CHECKS.get(gate)
        if check is None or not check(item.partnership_id, organisation_id):
            return False
    return True


def withheld_reason(user, item) -> str:
    """Why a gate withholds ``item`` from ``user`` (what to sign), or "" when no gate does.

    Call it when ``may_see`` said no, to tell a person who is a recipient by label what they still lack.
    A person the label itself keeps out (not a recipient) gets "": signing would not let them in.
    """
    if TLP(item.tlp) not in RESTRICTED or not _allowed_by_label(user, item):
        return ""
    for gate in GATES:
        explain = EXPLAINERS.get(gate)
        if explain is not None and not gate(user, type(item)._default_manager.filter(pk=item.pk)).exists():
            reason = explain(user, item)
            if reason:
                return reason
    return ""


def _through(model, name: str):
    """The M2M through model of ``name`` and the names of its two foreign keys (item, target)."""
    field = model._meta.get_field(name)
    return field.remote_field.through, field.m2m_field_name(), field.m2m_reverse_field_name()


def _apply_gates(user, queryset: QuerySet) -> QuerySet:
    for gate in GATES:
        queryset = gate(user, queryset)
    return queryset


def _user_pk(user):
    return user.pk if getattr(user, "is_authenticated", False) else None


def may_see(user, item) -> bool:
    """Whether ``user`` may see one labelled ``item``."""
    label = TLP(item.tlp)
    if label == TLP.CLEAR:
        return True
    allowed = _allowed_by_label(user, item)
    if allowed and label in RESTRICTED and GATES:
        return _apply_gates(user, type(item)._default_manager.filter(pk=item.pk)).exists()
    return allowed


def _allowed_by_label(user, item) -> bool:
    """The TLP rule for one item, without the gates."""
    label = TLP(item.tlp)
    if label == TLP.CLEAR:
        return True
    organisation_ids = set(
        active_memberships(user)
        .filter(partner__partnership_id=item.partnership_id)
        .values_list("partner__organisation_id", flat=True)
    )
    is_member = bool(organisation_ids)
    is_author = is_member and item.created_by_id == _user_pk(user)
    org_is_recipient = (
        is_member
        and not is_author
        and label in (TLP.AMBER, TLP.AMBER_STRICT)
        and item.recipient_organisations.filter(pk__in=organisation_ids).exists()
    )
    is_named_recipient = (
        is_member and not is_author and label == TLP.RED and item.recipient_people.filter(pk=user.pk).exists()
    )
    return may_see_label(
        label,
        is_author=is_author,
        is_member=is_member,
        org_is_recipient=org_is_recipient,
        is_named_recipient=is_named_recipient,
    )


def _rule(user, model) -> Q:
    """The rule as one ``Q`` on ``model``, without the gates."""
    clear = Q(tlp=TLP.CLEAR)
    if _user_pk(user) is None:
        return clear
    memberships = active_memberships(user)
    member = Q(partnership_id__in=memberships.values("partner__partnership_id"))
    org_through, org_item, org_target = _through(model, "recipient_organisations")
    people_through, people_item, people_target = _through(model, "recipient_people")
    # The recipient organisation must be one the person takes part through *in this item's partnership*.
    org_recipient = Exists(
        org_through.objects.filter(
            **{
                org_item: OuterRef("pk"),
                f"{org_target}__in": memberships.filter(
                    partner__partnership_id=OuterRef(OuterRef("partnership_id"))
                ).values("partner__organisation_id"),
            }
        )
    )
    named = Exists(people_through.objects.filter(**{people_item: OuterRef("pk"), people_target: user.pk}))
    return clear | (
        member
        & (
            Q(created_by=user.pk)
            | Q(tlp=TLP.GREEN)
            | (Q(tlp__in=[TLP.AMBER, TLP.AMBER_STRICT]) & org_recipient)
            | (Q(tlp=TLP.RED) & named)
        )
    )


def visible_to(user, queryset: QuerySet) -> QuerySet:
    """Narrow ``queryset`` (of a ``TLPLabelled`` model) to the items ``user`` may see.

    Lazy and query-constant: evaluating the result is one query (plus whatever the gates add
    as subqueries). Ordering, ``select_related`` and other filters on ``queryset`` are kept.
    """
    model = queryset.model
    rule = _rule(user, model)
    if not GATES:
        return queryset.filter(rule)
    # A gate that offers its rule as a condition (``gate.condition(user) -> Q`` on the item's own fields) is
    # inlined into one WHERE clause: the cheapest form (bench/agreements.py). Any other gate sees, and may
    # only narrow, the restricted part of this very queryset; it is ANDed in, so it can never widen the rule.
    conditions = [gate.condition(user) for gate in GATES if callable(getattr(gate, "condition", None))]
    others = [gate for gate in GATES if not callable(getattr(gate, "condition", None))]
    visible = queryset.filter(rule)
    if conditions:
        passes = conditions[0]
        for condition in conditions[1:]:
            passes &= condition
        visible = visible.filter(~Q(tlp__in=RESTRICTED) | passes)
    if not others:
        return visible
    restricted = visible.filter(tlp__in=RESTRICTED)
    for gate in others:
        restricted = restricted & gate(user, restricted)
    return visible.exclude(tlp__in=RESTRICTED) | restricted
