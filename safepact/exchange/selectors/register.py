"""Reads of the data-sharing register and the GDPR Art. 30 records of processing per organisation.

Every active member of a partnership reads its register (coordinators change it: ``services.register``).
The Art. 30 records of one organisation are read by the partnership's coordinators and by members of that
organisation; other members get 403, outsiders 404. The agreement's title comes from the agreements app's
own selector, as the reader sees it.
"""

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from safepact.accounts.models import Organisation
from safepact.agreements.selectors import agreement_list
from safepact.exchange import permissions
from safepact.exchange.models import (
    APPROVED_STATES,
    DataCategory,
    DataFlow,
    DataFlowParty,
    FlowStatus,
    PartyRole,
)
from safepact.lib import clock
from safepact.partnerships.models import Partner, Partnership, Role
from safepact.partnerships.selectors import active_memberships, get_partnership_for_user, partnerships_for

__all__ = [
    "Art30Party",
    "Art30Record",
    "art30_records",
    "art30_scope",
    "flow_list",
    "get_flow_for_user",
]

CONTROLLING = (PartyRole.CONTROLLER, PartyRole.JOINT_CONTROLLER)


def _parse(code) -> UUID | None:
    if isinstance(code, UUID):
        return code
    try:
        return UUID(str(code))
    except (TypeError, ValueError):
        return None


def _flows() -> QuerySet[DataFlow]:
    parties = DataFlowParty.objects.select_related("partner__organisation").order_by(
        "partner__organisation__name", "id"
    )
    return DataFlow.objects.select_related("assessment", "created_by").prefetch_related(
        Prefetch("parties", queryset=parties)
    )


def flow_list(*, user, partnership: Partnership, status: str | None = None) -> QuerySet[DataFlow]:
    """The partnership's register, by name, with parties (and their organisations) and the assessment."""
    flows = _flows().filter(partnership=partnership, partnership__in=partnerships_for(user))
    if status:
        flows = flows.filter(status=status)
    return flows.order_by("title", "id")


def get_flow_for_user(user, partnership_code, flow_code, *, manage: bool = False) -> DataFlow:
    """One flow: every active member reads it (404 outsider or unknown code); ``manage`` needs a
    coordinator (403 otherwise)."""
    partnership = get_partnership_for_user(user, partnership_code)
    if manage and not permissions.can_manage_register(partnership.membership):
        raise PermissionDenied(_("Only coordinators of this partnership keep the data-sharing register."))
    code = _parse(flow_code)
    flow = _flows().filter(partnership=partnership, code=code).first() if code else None
    if flow is None:
        raise Http404(_("Data flow not found."))
    flow.partnership = partnership  # carries ``partnership.membership``
    return flow


# GDPR Art. 30 --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Art30Party:
    organisation: str
    organisation_code: UUID
    role: str
    role_label: str
    part: str


@dataclass(frozen=True)
class Art30Record:
    """One active flow as a record of processing of one organisation (Art. 30(1) when it controls the
    processing, alone or jointly; Art. 30(2) when it processes on behalf of the controllers)."""

    code: UUID
    title: str
    organisation: str
    role: str
    role_label: str
    part: str
    #: The controllers and joint controllers of the flow (the organisation too, when it is one).
    controllers: list[str]
    other_parties: list[Art30Party]
    purpose: str
    legal_basis: str
    legal_basis_label: str
    national_provision: str
    data_subjects: str
    data_categories: list[str]
    data_category_labels: list[str]
    #: The other parties' organisations: to whom the data is disclosed within the flow.
    recipients: list[str]
    retention: str
    security_measures: str
    review_on: date
    assessment_code: UUID | None = None
    assessment_title: str = ""
    assessment_decision: str = ""
    assessment_decision_label: str = ""
    assessment_valid_until: date | None = None
    assessment_valid: bool = False
    agreement_code: UUID | None = None
    agreement_title: str = ""

    @property
    def is_controller(self) -> bool:
        return self.role in CONTROLLING

    @property
    def article(self) -> str:
        return "30(1)" if self.is_controller else "30(2)"

    @property
    def other_parties_text(self) -> str:
        return "; ".join(f"{party.organisation} ({party.role_label})" for party in self.other_parties)


def _organisation_of(partnership: Partnership, organisation) -> Organisation:
    """``organisation`` (an ``Organisation`` or its code) if it is a partner of ``partnership`` (any status:
    a withdrawn partner may still need its records); 404 otherwise."""
    if isinstance(organisation, Organisation):
        organisation_id = organisation.pk
        query = {"organisation_id": organisation_id}
    else:
        code = _parse(organisation)
        if code is None:
            raise Http404(_("Organisation not found."))
        query = {"organisation__code": code}
    partner = Partner.objects.filter(partnership=partnership, **query).select_related("organisation").first()
    if partner is None:
        raise Http404(_("Organisation not found."))
    return partner.organisation


def art30_scope(user, partnership: Partnership, organisation) -> tuple[Partnership, Organisation]:
    """The access rule of the Art. 30 records: 404 for outsiders (and organisations that are not partners of
    the partnership), 403 for members who are neither coordinators nor members of that organisation."""
    partnership = get_partnership_for_user(user, partnership.code)
    organisation = _organisation_of(partnership, organisation)
    allowed = any(
        role == Role.COORDINATOR or organisation_id == organisation.pk
        for role, organisation_id in active_memberships(user)
        .filter(partner__partnership=partnership)
        .values_list("role", "partner__organisation_id")
    )
    if not allowed:
        raise PermissionDenied(
            _("Only coordinators and members of %(organisation)s can read its records of processing.")
            % {"organisation": organisation.name}
        )
    return partnership, organisation


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def art30_records(*, user, partnership: Partnership, organisation) -> list[Art30Record]:
    """The records of processing of ``organisation`` (an ``Organisation`` or its code) in ``partnership``:
    every active flow it is a party to, with its role, the other parties, purpose, legal basis, data,
    recipients, retention, security measures, the Five Safes assessment and the agreement."""
    partnership, organisation = art30_scope(user, partnership, organisation)
    party_of = DataFlowParty.objects.filter(
        partner__partnership=partnership, partner__organisation=organisation
    ).values("flow_id")
    flows = list(
        _flows()
        .filter(partnership=partnership, status=FlowStatus.ACTIVE, pk__in=party_of)
        .order_by("title", "id")
    )
    codes = {flow.agreement_code for flow in flows if flow.agreement_code}
    titles = (
        dict(
            agreement_list(user=user, partnership=partnership)
            .filter(code__in=codes)
            .values_list("code", "title")
        )
        if codes
        else {}
    )
    today = clock.today()
    records = []
    for flow in flows:
        parties = list(flow.parties.all())
        own = next(party for party in parties if party.partner.organisation_id == organisation.pk)
        others = [party for party in parties if party.pk != own.pk]
        assessment = flow.assessment
        records.append(
            Art30Record(
                code=flow.code,
                title=flow.title,
                organisation=organisation.name,
                role=own.role,
                role_label=_label(PartyRole, own.role),
                part=own.part,
                controllers=[
                    party.partner.organisation.name for party in parties if party.role in CONTROLLING
                ],
                other_parties=[
                    Art30Party(
                        organisation=party.partner.organisation.name,
                        organisation_code=party.partner.organisation.code,
                        role=party.role,
                        role_label=_label(PartyRole, party.role),
                        part=party.part,
                    )
                    for party in others
                ],
                purpose=flow.purpose,
                legal_basis=flow.legal_basis,
                legal_basis_label=flow.get_legal_basis_display(),
                national_provision=flow.national_provision,
                data_subjects=flow.data_subjects,
                data_categories=list(flow.data_categories),
                data_category_labels=[_label(DataCategory, value) for value in flow.data_categories],
                recipients=[party.partner.organisation.name for party in others],
                retention=flow.retention,
                security_measures=flow.security_measures,
                review_on=flow.review_on,
                assessment_code=assessment.code if assessment else None,
                assessment_title=assessment.title if assessment else "",
                assessment_decision=assessment.status if assessment else "",
                assessment_decision_label=assessment.get_status_display() if assessment else "",
                assessment_valid_until=assessment.valid_until if assessment else None,
                assessment_valid=bool(
                    assessment
                    and assessment.status in APPROVED_STATES
                    and (assessment.valid_until is None or assessment.valid_until >= today)
                ),
                agreement_code=flow.agreement_code,
                agreement_title=titles.get(flow.agreement_code, ""),
            )
        )
    return records
