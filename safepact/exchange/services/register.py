"""Writes for the data-sharing register: recurring flows of personal data between partners (parties and their
GDPR roles, purpose, legal basis, data, retention, security, the Five Safes assessment and the data-sharing
agreement), their review reminders, and the audit of Art. 30 exports.

Coordinators keep the register (every active member reads it: ``selectors.register``). Every service is
keyword-only and atomic, re-checks the actor's scope inside its transaction (404 outsider, 403 without the
role), refuses bad input with a ``ValidationError`` naming the field (nothing stored) and writes an audit
event in the same transaction. The register is not TLP-labelled content: it records who shares what with whom
under which basis, which every member of the partnership may know.

The agreement link is checked through ``safepact.agreements.selectors`` only (the one sideways import the
architecture allows): the flow stores the agreement's code, never a foreign key.
"""

import logging
from datetime import date, timedelta
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepact.agreements.selectors import get_agreement_for_user
from safepact.audit.selectors import register_action_labels
from safepact.audit.services import audit_record, audit_record_changes
from safepact.exchange import permissions
from safepact.exchange.models import (
    Assessment,
    DataCategory,
    DataFlow,
    DataFlowParty,
    FlowStatus,
    LegalBasis,
    PartyRole,
)
from safepact.lib import clock
from safepact.notifications.services import notify
from safepact.partnerships.models import (
    Membership,
    MembershipStatus,
    Partner,
    Partnership,
    PartnerStatus,
    Role,
)
from safepact.partnerships.selectors import get_partnership_for_user

__all__ = [
    "FLOW_FIELDS",
    "REVIEW_NOTICE_DAYS",
    "art30_export_record",
    "flow_create",
    "flow_end",
    "flow_review_reminders",
    "flow_update",
]

logger = logging.getLogger(__name__)

#: Coordinators are reminded this many days before a flow's review date (and once when it has passed).
REVIEW_NOTICE_DAYS = 30
#: The fields ``flow_update`` accepts (besides ``parties``).
FLOW_FIELDS = (
    "title",
    "purpose",
    "legal_basis",
    "national_provision",
    "data_subjects",
    "data_categories",
    "retention",
    "security_measures",
    "review_on",
    "assessment",
    "agreement_code",
)
TEXT_MAX = 10_000
#: Maximum length per short text field (the model's column sizes).
SHORT_MAX = {"title": 200, "national_provision": 300, "retention": 300}
PART_MAX = 200
CONTROLLING = (PartyRole.CONTROLLER, PartyRole.JOINT_CONTROLLER)


def register() -> None:
    register_action_labels(
        {
            "exchange.flow.created": gettext_lazy("Data flow added to the register"),
            "exchange.flow.updated": gettext_lazy("Data flow changed"),
            "exchange.flow.ended": gettext_lazy("Data flow ended"),
            "exchange.flow.review_reminded": gettext_lazy("Coordinators reminded of a data flow's review"),
            "exchange.art30.exported": gettext_lazy("Records of processing (GDPR Art. 30) exported"),
        },
        {
            "exchange.flow": gettext_lazy("Data-sharing register"),
            "exchange.art30": gettext_lazy("Records of processing"),
        },
    )


# Helpers -------------------------------------------------------------------------------------------


def _scope(actor, partnership: Partnership) -> Partnership:
    """Re-check that ``actor`` keeps the register of ``partnership`` (404 outsider, 403 not coordinator)."""
    partnership = get_partnership_for_user(actor, partnership.code)
    permissions.ensure(
        permissions.can_manage_register(partnership.membership),
        _("Only coordinators of this partnership keep the data-sharing register."),
    )
    return partnership


def _lock_flow(actor, flow: DataFlow) -> DataFlow:
    partnership = _scope(actor, flow.partnership)
    locked = DataFlow.objects.select_for_update().filter(pk=flow.pk, partnership=partnership).first()
    if locked is None:
        raise Http404(_("Data flow not found."))
    locked.partnership = partnership
    return locked


def _parse_code(value) -> UUID | None:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except (TypeError, ValueError):
        return None


def _text(errors: dict, name: str, value, *, required: bool = True) -> str:
    text = "" if value is None else str(value).strip()
    limit = SHORT_MAX.get(name, TEXT_MAX)
    if required and not text:
        errors[name] = _("This field is required.")
    elif len(text) > limit:
        errors[name] = _("At most %(limit)d characters.") % {"limit": limit}
    return text


def _legal_basis(errors: dict, value) -> str:
    if value not in LegalBasis.values:
        errors["legal_basis"] = _("Choose one of the legal bases of GDPR Art. 6(1).")
    return value


def _categories(errors: dict, value) -> list[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
        errors["data_categories"] = _("Choose the categories of personal data the flow carries.")
        return []
    chosen = list(dict.fromkeys(str(item) for item in value))
    if not chosen:
        errors["data_categories"] = _("Choose at least one category of personal data.")
    elif unknown := [item for item in chosen if item not in DataCategory.values]:
        errors["data_categories"] = _("Unknown category of personal data: %(values)s.") % {
            "values": ", ".join(unknown)
        }
    return chosen


def _review_on(errors: dict, value) -> date | None:
    if not isinstance(value, date) or hasattr(value, "hour"):
        errors["review_on"] = _("Enter the date of the next review.")
        return None
    if value < clock.today():
        errors["review_on"] = _("The review date cannot be in the past.")
    return value


def _assessment(errors: dict, partnership: Partnership, value) -> Assessment | None:
    if value in (None, ""):
        return None
    if isinstance(value, Assessment):
        found = value if value.partnership_id == partnership.pk else None
    else:
        code = _parse_code(value)
        found = Assessment.objects.filter(partnership=partnership, code=code).first() if code else None
    if found is None:
        errors["assessment"] = _("Choose a Five Safes assessment of this partnership.")
    return found


def _agreement_code(errors: dict, actor, partnership: Partnership, value) -> UUID | None:
    """An agreement of ``partnership`` that ``actor`` may see, checked through the agreements app."""
    if value in (None, ""):
        return None
    code = _parse_code(value)
    try:
        agreement = get_agreement_for_user(actor, partnership.code, code) if code else None
    except (Http404, PermissionDenied):
        agreement = None
    if agreement is None:
        errors["agreement_code"] = _("No agreement of this partnership has this code.")
        return None
    return agreement.code


def _party_parts(entry) -> tuple:
    if isinstance(entry, dict):
        return entry.get("partner"), entry.get("role"), entry.get("part", "")
    if isinstance(entry, list | tuple) and len(entry) in (2, 3):
        return entry[0], entry[1], entry[2] if len(entry) == 3 else ""
    return None, None, ""


def _parties(errors: dict, partnership: Partnership, parties) -> list[tuple[Partner, str, str]]:
    """``parties``: ``(partner, role, part)`` (or dicts with those keys); ``partner`` a ``Partner`` or its code.

    Partners must be active partners of the partnership, each named once; at least one controller or joint
    controller; a joint controller never alone: at least one other controller or joint controller (Art. 26).
    """
    if isinstance(parties, str | bytes) or not isinstance(parties, list | tuple):
        errors["parties"] = _("Name the parties of the flow and their roles.")
        return []
    if not parties:
        errors["parties"] = _("Name at least one party: the controller.")
        return []
    active = {
        partner.pk: partner
        for partner in Partner.objects.filter(
            partnership=partnership, status=PartnerStatus.ACTIVE
        ).select_related("organisation")
    }
    by_code = {partner.code: partner for partner in active.values()}
    cleaned: list[tuple[Partner, str, str]] = []
    problems: list[str] = []
    for entry in parties:
        value, role, part = _party_parts(entry)
        if isinstance(value, Partner):
            partner = active.get(value.pk) if value.partnership_id == partnership.pk else None
        else:
            partner = by_code.get(_parse_code(value))
        if partner is None:
            problems.append(_("Each party must be an active partner of this partnership."))
            continue
        name = partner.organisation.name
        if any(seen.pk == partner.pk for seen, _role, _part in cleaned):
            problems.append(_("%(organisation)s is named twice.") % {"organisation": name})
            continue
        if role not in PartyRole.values:
            problems.append(
                _("Choose controller, joint controller or processor for %(organisation)s.")
                % {"organisation": name}
            )
            continue
        part = "" if part is None else str(part).strip()
        if len(part) > PART_MAX:
            problems.append(
                _("The part of %(organisation)s is longer than %(limit)d characters.")
                % {"organisation": name, "limit": PART_MAX}
            )
            continue
        cleaned.append((partner, role, part))
    if not problems:
        roles = [role for _partner, role, _part in cleaned]
        if not any(role in CONTROLLING for role in roles):
            problems.append(_("At least one party must be a controller or a joint controller."))
        elif PartyRole.JOINT_CONTROLLER in roles and sum(role in CONTROLLING for role in roles) < 2:
            problems.append(
                _(
                    "A joint controller decides together with another controller (GDPR Art. 26): name "
                    "the other controller or joint controller too."
                )
            )
    if problems:
        errors["parties"] = " ".join(dict.fromkeys(problems))
    return cleaned


def _snapshot(flow: DataFlow, parties: list[tuple[Partner, str, str]]) -> dict:
    return {
        "title": flow.title,
        "purpose": flow.purpose,
        "legal_basis": flow.legal_basis,
        "national_provision": flow.national_provision,
        "data_subjects": flow.data_subjects,
        "data_categories": list(flow.data_categories),
        "retention": flow.retention,
        "security_measures": flow.security_measures,
        "review_on": flow.review_on.isoformat() if flow.review_on else None,
        "assessment": str(flow.assessment.code) if flow.assessment_id else None,
        "agreement": str(flow.agreement_code) if flow.agreement_code else None,
        "status": flow.status,
        "parties": [f"{partner.code}:{role}" for partner, role, _part in parties],
    }


def _current_parties(flow: DataFlow) -> list[tuple[Partner, str, str]]:
    rows = DataFlowParty.objects.filter(flow=flow).select_related("partner__organisation").order_by("id")
    return [(row.partner, row.role, row.part) for row in rows]


def _save_parties(flow: DataFlow, parties: list[tuple[Partner, str, str]]) -> None:
    DataFlowParty.objects.filter(flow=flow).delete()
    DataFlowParty.objects.bulk_create(
        [DataFlowParty(flow=flow, partner=partner, role=role, part=part) for partner, role, part in parties]
    )


def flow_url(flow: DataFlow) -> str:
    return reverse("exchange:flow", kwargs={"code": flow.partnership.code, "flow": flow.code})


# Services ------------------------------------------------------------------------------------------


@transaction.atomic
def flow_create(
    *,
    actor,
    partnership: Partnership,
    title: str,
    purpose: str,
    legal_basis: str,
    national_provision: str = "",
    data_subjects: str,
    data_categories,
    retention: str,
    security_measures: str,
    review_on: date,
    parties,
    assessment: Assessment | None = None,
    agreement_code=None,
) -> DataFlow:
    """Add a recurring flow of personal data to the register (coordinators)."""
    partnership = _scope(actor, partnership)
    errors: dict[str, str] = {}
    flow = DataFlow(
        partnership=partnership,
        title=_text(errors, "title", title),
        purpose=_text(errors, "purpose", purpose),
        legal_basis=_legal_basis(errors, legal_basis),
        national_provision=_text(errors, "national_provision", national_provision, required=False),
        data_subjects=_text(errors, "data_subjects", data_subjects),
        data_categories=_categories(errors, data_categories),
        retention=_text(errors, "retention", retention),
        security_measures=_text(errors, "security_measures", security_measures),
        review_on=_review_on(errors, review_on),
        assessment=_assessment(errors, partnership, assessment),
        agreement_code=_agreement_code(errors, actor, partnership, agreement_code),
        status=FlowStatus.ACTIVE,
        created_by=actor,
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    cleaned = _parties(errors, partnership, parties)
    if errors:
        raise ValidationError(errors)
    flow.save()
    _save_parties(flow, cleaned)
    audit_record(
        actor=actor,
        action="exchange.flow.created",
        target=flow,
        partnership=partnership,
        after=_snapshot(flow, cleaned),
    )
    return flow


@transaction.atomic
def flow_update(*, actor, flow: DataFlow, parties=None, **fields) -> DataFlow:
    """Change an active flow (coordinators). Only the given fields change; ``parties`` replaces the list.
    A new review date is reminded of again."""
    flow = _lock_flow(actor, flow)
    partnership = flow.partnership
    errors: dict[str, str] = {}
    unknown = [name for name in fields if name not in FLOW_FIELDS]
    for name in unknown:
        errors[name] = _("This field cannot be changed here.")
    if flow.status != FlowStatus.ACTIVE:
        errors["status"] = _("This data flow has ended; it can no longer be changed.")
    current = _current_parties(flow)
    before = _snapshot(flow, current)
    for name, value in fields.items():
        if name in unknown:
            continue
        if name in ("title", "purpose", "data_subjects", "retention", "security_measures"):
            setattr(flow, name, _text(errors, name, value))
        elif name == "national_provision":
            flow.national_provision = _text(errors, name, value, required=False)
        elif name == "legal_basis":
            flow.legal_basis = _legal_basis(errors, value)
        elif name == "data_categories":
            flow.data_categories = _categories(errors, value)
        elif name == "review_on":
            if value != flow.review_on:
                flow.review_on = _review_on(errors, value)
                flow.review_reminded_on = None
        elif name == "assessment":
            flow.assessment = _assessment(errors, partnership, value)
        elif name == "agreement_code":
            flow.agreement_code = _agreement_code(errors, actor, partnership, value)
    cleaned = current if parties is None else _parties(errors, partnership, parties)
    if errors:
        raise ValidationError(errors)
    after = _snapshot(flow, cleaned)
    if after == before:
        return flow
    flow.updated_at = clock.now()
    flow.save()
    if parties is not None:
        _save_parties(flow, cleaned)
    audit_record_changes(
        actor=actor,
        action="exchange.flow.updated",
        target=flow,
        partnership=partnership,
        before=before,
        after=after,
    )
    return flow


@transaction.atomic
def flow_end(*, actor, flow: DataFlow, reason: str = "") -> DataFlow:
    """The flow no longer takes place (coordinators): it leaves the Art. 30 records and the reminders, and
    stays in the register as ended."""
    flow = _lock_flow(actor, flow)
    if flow.status != FlowStatus.ACTIVE:
        raise ValidationError({"status": _("This data flow has already ended.")})
    reason = "" if reason is None else str(reason).strip()
    if len(reason) > TEXT_MAX:
        raise ValidationError({"reason": _("At most %(limit)d characters.") % {"limit": TEXT_MAX}})
    flow.status = FlowStatus.ENDED
    flow.updated_at = clock.now()
    flow.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="exchange.flow.ended",
        target=flow,
        partnership=flow.partnership,
        before={"status": FlowStatus.ACTIVE},
        after={"status": FlowStatus.ENDED},
        reason=reason,
    )
    return flow


def _coordinators(partnership_ids) -> dict[int, list]:
    """For the daily job only (it has no user): the active coordinators of each partnership, one query."""
    found: dict[int, list] = {}
    memberships = (
        Membership.objects.filter(
            partner__partnership_id__in=partnership_ids,
            role=Role.COORDINATOR,
            status=MembershipStatus.ACTIVE,
            partner__status=PartnerStatus.ACTIVE,
            user__is_active=True,
        )
        .select_related("user", "partner")
        .order_by("user__email", "pk")
    )
    for membership in memberships:
        people = found.setdefault(membership.partner.partnership_id, [])
        if membership.user not in people:
            people.append(membership.user)
    return found


def flow_review_reminders(*, on: date | None = None) -> int:
    """Remind the coordinators, once per review date, of active flows whose review date is within
    ``REVIEW_NOTICE_DAYS`` days or has passed. Returns the number of flows reminded.

    A flow of a partnership without an active coordinator is not marked: it is reminded of once the
    partnership has one again. One failing flow does not stop the others (it is logged).
    """
    on = on or clock.today()
    horizon = on + timedelta(days=REVIEW_NOTICE_DAYS)
    due = list(
        DataFlow.objects.filter(
            status=FlowStatus.ACTIVE, review_on__lte=horizon, review_reminded_on__isnull=True
        ).values_list("pk", "partnership_id")
    )
    coordinators = _coordinators({partnership_id for _pk, partnership_id in due})
    reminded = 0
    for pk, partnership_id in due:
        recipients = coordinators.get(partnership_id, [])
        if not recipients:
            continue
        try:
            with transaction.atomic():
                flow = (
                    DataFlow.objects.select_for_update(of=("self",))
                    .select_related("partnership")
                    .filter(
                        pk=pk,
                        status=FlowStatus.ACTIVE,
                        review_on__lte=horizon,
                        review_reminded_on__isnull=True,
                    )
                    .first()
                )
                if flow is None:
                    continue
                if flow.review_on < on:
                    title = _("Review of a data flow overdue since %(date)s: %(title)s")
                else:
                    title = _("Review of a data flow due on %(date)s: %(title)s")
                notify(
                    recipients=recipients,
                    kind="exchange.flow.review",
                    title=title % {"date": flow.review_on.isoformat(), "title": flow.title},
                    url=flow_url(flow),
                    partnership=flow.partnership,
                )
                flow.review_reminded_on = on
                flow.save(update_fields=["review_reminded_on"])
                audit_record(
                    actor=None,
                    actor_label="safepact",
                    action="exchange.flow.review_reminded",
                    target=flow,
                    partnership=flow.partnership,
                    after={"review_on": flow.review_on.isoformat(), "recipients": len(recipients)},
                )
            reminded += 1
        except Exception:
            logger.exception("Review reminder of data flow %s failed", pk)
    return reminded


ART30_FORMATS = ("csv", "pdf")


@transaction.atomic
def art30_export_record(*, actor, partnership: Partnership, organisation, fmt: str, count: int) -> None:
    """Record that ``actor`` exported ``organisation``'s Art. 30 records (``count`` flows) as ``fmt``.
    The same access rule as ``selectors.art30_records`` (coordinators, or members of that organisation)."""
    from safepact.exchange.selectors.register import art30_scope

    partnership, organisation = art30_scope(actor, partnership, organisation)
    if fmt not in ART30_FORMATS:
        raise ValidationError({"format": _("Choose CSV or PDF.")})
    audit_record(
        actor=actor,
        action="exchange.art30.exported",
        target=organisation,
        partnership=partnership,
        after={"organisation": str(organisation.code), "format": fmt, "records": int(count)},
    )
