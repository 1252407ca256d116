"""Reads for agreements: access helpers, lists, signing state, pre-fill, reminders due and the
confidentiality gate (the one function the information-exchange app calls).

Every read starts from what the requesting person may see (``partnerships_for`` / the access helpers of
partnerships): outsiders get 404, members without the role 403.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import override

from safepact.agreements.models import (
    Agreement,
    AgreementSettings,
    AgreementVersion,
    Comment,
    Kind,
    Party,
    Signature,
    Status,
)
from safepact.formation.selectors.objectives import objective_list
from safepact.formation.selectors.problem import problem_statement_for
from safepact.formation.selectors.structure import structure_overview, task_table
from safepact.lib import clock
from safepact.lib.tlp import TLP
from safepact.partnerships.models import Membership, Partner, Partnership, PartnerStatus, Role
from safepact.partnerships.selectors import (
    active_memberships,
    get_partnership_for_user,
    partnerships_for,
)

SIGNING_STATES = (Status.SIGNING, Status.IN_FORCE)


def _parse(code) -> UUID | None:
    if isinstance(code, UUID):
        return code
    try:
        return UUID(str(code))
    except (TypeError, ValueError):
        return None


today = clock.today  # the local calendar date (kept as a name: services and tests import it)


# Settings ------------------------------------------------------------------------------------------


def settings_for(*, partnership: Partnership) -> AgreementSettings:
    """The partnership's agreement settings (defaults when none were saved; not written here)."""
    found = AgreementSettings.objects.filter(partnership=partnership).first()
    return found or AgreementSettings(partnership=partnership)


# Access helpers ------------------------------------------------------------------------------------


def agreement_queryset() -> QuerySet[Agreement]:
    return Agreement.objects.select_related("final_version", "supersedes", "created_by")


def get_agreement_for_user(
    user, code, agreement_code, *, write: bool = False, manage: bool = False
) -> Agreement:
    """404 outsider (and another partnership's agreement), 403 without the role."""
    partnership = get_partnership_for_user(user, code, write=write, manage=manage)
    parsed = _parse(agreement_code)
    agreement = agreement_queryset().filter(partnership=partnership, code=parsed).first() if parsed else None
    if agreement is None:
        raise Http404(_("Agreement not found."))
    agreement.partnership = partnership  # carries ``partnership.membership``
    return agreement


def get_version_for_user(user, code, agreement_code, number) -> AgreementVersion:
    agreement = get_agreement_for_user(user, code, agreement_code)
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise Http404(_("Version not found.")) from None
    version = agreement.versions.filter(number=number).first()
    if version is None:
        raise Http404(_("Version not found."))
    version.agreement = agreement
    return version


def get_comment_for_user(user, code, agreement_code, comment_code) -> Comment:
    agreement = get_agreement_for_user(user, code, agreement_code, write=True)
    parsed = _parse(comment_code)
    comment = agreement.comments.filter(code=parsed).select_related("author").first() if parsed else None
    if comment is None:
        raise Http404(_("Comment not found."))
    comment.agreement = agreement
    return comment


def get_party_for_user(user, code, agreement_code, party_code) -> Party:
    agreement = get_agreement_for_user(user, code, agreement_code)
    parsed = _parse(party_code)
    party = (
        agreement.parties.filter(code=parsed).select_related("partner__organisation").first()
        if parsed
        else None
    )
    if party is None:
        raise Http404(_("Party not found."))
    party.agreement = agreement
    return party


# Lists ---------------------------------------------------------------------------------------------


def agreement_list(
    *, user, partnership: Partnership, status: str | None = None, kind: str | None = None
) -> QuerySet[Agreement]:
    """The partnership's agreements, newest first, with counts of versions, parties and signatures."""
    agreements = agreement_queryset().filter(partnership=partnership, partnership__in=partnerships_for(user))
    if status:
        agreements = agreements.filter(status=status)
    if kind:
        agreements = agreements.filter(kind=kind)
    # One correlated count each (not three joined COUNT DISTINCTs, which multiply the rows: bench/agreements.py).
    return agreements.annotate(
        version_count=_count(AgreementVersion.objects.filter(agreement=OuterRef("pk"))),
        party_count=_count(Party.objects.filter(agreement=OuterRef("pk"), withdrawn_on__isnull=True)),
        signature_count=_count(
            Signature.objects.filter(agreement=OuterRef("pk"), version_id=OuterRef("final_version_id"))
        ),
        # The list's "x of needed": required (not withdrawn) parties, and their signatures on the final text.
        required_count=_count(
            Party.objects.filter(agreement=OuterRef("pk"), required=True, withdrawn_on__isnull=True)
        ),
        required_signed=_count(
            Signature.objects.filter(
                agreement=OuterRef("pk"),
                version_id=OuterRef("final_version_id"),
                party__required=True,
                party__withdrawn_on__isnull=True,
            )
        ),
    ).order_by("-created_at", "-id")


def _count(queryset: QuerySet):
    counted = queryset.order_by().values("agreement_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def version_list(*, agreement: Agreement) -> QuerySet[AgreementVersion]:
    return agreement.versions.select_related("created_by").order_by("-number")


def latest_version(agreement: Agreement) -> AgreementVersion | None:
    return agreement.versions.order_by("-number").first()


def comment_list(*, agreement: Agreement) -> QuerySet[Comment]:
    return (
        agreement.comments.select_related("author", "partner__organisation", "version")
        .defer("version__body")
        .order_by("created_at", "id")
    )


def party_list(*, agreement: Agreement) -> QuerySet[Party]:
    return agreement.parties.select_related("partner__organisation").order_by(
        "acceded", "partner__organisation__name", "id"
    )


def signature_list(*, agreement: Agreement, version: AgreementVersion | None = None) -> QuerySet[Signature]:
    signatures = agreement.signatures.select_related("party__partner__organisation", "version", "signer")
    if version is not None:
        signatures = signatures.filter(version=version)
    return signatures.order_by("signed_at", "id")


# Signing state -------------------------------------------------------------------------------------


@dataclass
class SigningState:
    """Who has signed the final text, who still must, and whether the agreement may enter into force."""

    parties: list[Party]
    signed: dict[int, Signature]  # party id -> signature of the final version
    required: list[Party]
    needed: int
    missing: list[Party] = field(default_factory=list)

    @property
    def signed_count(self) -> int:
        return len(self.signed)

    @property
    def required_signed(self) -> int:
        return sum(1 for party in self.required if party.pk in self.signed)

    @property
    def complete(self) -> bool:
        return self.required_signed >= self.needed


def signing_state(agreement: Agreement) -> SigningState:
    """``needed`` is the quorum the agreement names, or else every required (not withdrawn) party."""
    parties = list(party_list(agreement=agreement))
    signatures = (
        {s.party_id: s for s in signature_list(agreement=agreement, version=agreement.final_version)}
        if agreement.final_version_id
        else {}
    )
    required = [p for p in parties if p.required and p.withdrawn_on is None]
    needed = min(agreement.quorum, len(required)) if agreement.quorum else len(required)
    missing = [p for p in required if p.pk not in signatures]
    return SigningState(parties=parties, signed=signatures, required=required, needed=needed, missing=missing)


def signatory_membership(user, agreement: Agreement) -> Membership | None:
    """The caller's membership in the agreement's partnership if it is an authorised signatory who may write
    (a viewer flagged as signatory still has read-only access, so is not offered to sign)."""
    return (
        active_memberships(user)
        .filter(partner__partnership_id=agreement.partnership_id, is_signatory=True)
        .exclude(role=Role.VIEWER)
        .select_related("partner__organisation")
        .first()
    )


@dataclass(frozen=True)
class SignOption:
    """What the caller can do about signing right now, and why not when they cannot."""

    can_sign: bool = False
    can_accede: bool = False
    reason: str = ""
    party: Party | None = None


def sign_option(user, agreement: Agreement) -> SignOption:
    if agreement.status not in SIGNING_STATES:
        return SignOption(reason=_("Only a final text opened for signature can be signed."))
    membership = signatory_membership(user, agreement)
    if membership is None:
        return SignOption(
            reason=_(
                "Only a person marked as authorised signatory of a partner organisation can sign. "
                "A coordinator can mark you on the members page."
            )
        )
    party = agreement.parties.filter(partner_id=membership.partner_id).first()
    if party is None:
        if agreement.status == Status.IN_FORCE:
            return SignOption(can_accede=True)
        return SignOption(reason=_("Your organisation is not a party to this agreement."))
    if party.withdrawn_on is not None:
        return SignOption(reason=_("Your organisation withdrew from this agreement."), party=party)
    if Signature.objects.filter(version_id=agreement.final_version_id, party=party).exists():
        return SignOption(reason=_("Your organisation has signed this text."), party=party)
    return SignOption(can_sign=True, party=party)


# Pre-fill ------------------------------------------------------------------------------------------


def _date(value) -> str:
    return formats.date_format(value, "DATE_FORMAT") if value else ""


def prefill_context(*, user, partnership: Partnership, language: str, dates: dict | None = None) -> dict:
    """Markdown for every template placeholder, from the partnership's own data, in ``language``.

    Only what every party may read goes in: the problem statement only when it is TLP:CLEAR or GREEN.
    """
    dates = dates or {}
    with override(language):
        agreed = _("[to be agreed]")
        partners = list(
            Partner.objects.filter(
                partnership=partnership, status__in=[PartnerStatus.ACTIVE, PartnerStatus.INVITED]
            )
            .select_related("organisation")
            .order_by("organisation__name")
        )
        parties = (
            "\n".join(f"- **{p.organisation.name}** ({p.organisation.get_kind_display()})" for p in partners)
            or agreed
        )
        objectives = list(objective_list(user=user, partnership=partnership, status="active"))
        objective_lines = []
        for number, objective in enumerate(objectives, start=1):
            line = f"{number}. **{objective.title}**"
            if objective.indicator:
                line += " — " + _("indicator: %(indicator)s") % {"indicator": objective.indicator}
            if objective.target_date:
                line += "; " + _("target date: %(date)s") % {"date": _date(objective.target_date)}
            objective_lines.append(line)
        table = task_table(user=user, partnership=partnership)
        if table.rows:
            header = "| " + _("Task") + " | " + " | ".join(p.organisation.name for p in table.partners) + " |"
            rule = "|---" * (len(table.partners) + 1) + "|"
            rows = [
                "| "
                + row.task.title.replace("|", "/")
                + " | "
                + " | ".join(v or " " for _p, v in row.cells)
                + " |"
                for row in table.rows
            ]
            tasks = (
                "\n".join([header, rule, *rows])
                + "\n\n"
                + _("R = responsible, A = accountable, C = consulted, I = informed.")
            )
        else:
            tasks = agreed
        structure = structure_overview(user=user, partnership=partnership)
        governance_lines = []
        for body in structure.bodies:
            line = f"- **{body.name}** ({body.get_level_display()})"
            if body.mandate:
                line += ": " + body.mandate.replace("\n", " ")
            seats = [f"{seat.partner.organisation.name} ({seat.role_title})" for seat in body.seats.all()]
            if seats:
                line += " — " + ", ".join(seats)
            governance_lines.append(line)
        resources = "\n".join(
            "- "
            + _("%(organisation)s: %(hours)s hours per month")
            % {"organisation": row.label, "hours": f"{row.hours.normalize():f}"}
            for row in structure.partners
            if row.hours
        )
        problem_view = problem_statement_for(user=user, partnership=partnership)
        problem = ""
        if (
            problem_view.statement is not None
            and problem_view.visible
            and problem_view.label in (TLP.CLEAR, TLP.GREEN)
        ):
            problem = problem_view.statement.nature.strip()
        return {
            "partnership": partnership.name,
            "purpose": partnership.purpose.strip() or agreed,
            "problem": problem or agreed,
            "parties": parties,
            "objectives": "\n".join(objective_lines) or agreed,
            "tasks": tasks,
            "governance": "\n".join(governance_lines) or agreed,
            "resources": resources or agreed,
            "meetings": _("[to be agreed: how often the partners meet, in person where possible, and how]"),
            "review_date": _date(dates.get("review_date")) or agreed,
            "expiry_date": _date(dates.get("expiry_date")) or agreed,
            "effective_from": _date(dates.get("effective_from"))
            or _("the day on which the last required party signs"),
        }


# The confidentiality gate --------------------------------------------------------------------------


def _in_force_confidentiality(partnership_ref, on: date) -> QuerySet[Agreement]:
    """Confidentiality agreements in force and in effect on ``on`` (from their effective date through
    their expiry date)."""
    return Agreement.objects.filter(
        Q(effective_from__isnull=True) | Q(effective_from__lte=on),
        Q(expiry_date__isnull=True) | Q(expiry_date__gte=on),
        partnership_id=partnership_ref,
        kind=Kind.CONFIDENTIALITY,
        status=Status.IN_FORCE,
    )


def _counting_signatures(on: date) -> QuerySet[Signature]:
    """Signatures that let an organisation through the gate on ``on``: on the final text of a
    confidentiality agreement in force and in effect, by a party that has not withdrawn (by then)."""
    return Signature.objects.filter(
        Q(party__withdrawn_on__isnull=True) | Q(party__withdrawn_on__gt=on),
        Q(agreement__effective_from__isnull=True) | Q(agreement__effective_from__lte=on),
        Q(agreement__expiry_date__isnull=True) | Q(agreement__expiry_date__gte=on),
        agreement__kind=Kind.CONFIDENTIALITY,
        agreement__status=Status.IN_FORCE,
        version_id=F("agreement__final_version_id"),
    )


def confidentiality_condition(user) -> Q:
    """The gate as a condition on an item's ``partnership_id``: not correlated with the item, so the
    database computes the two sets of partnerships once per query, not once per item."""
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    on = today()
    required = AgreementSettings.objects.filter(require_confidentiality=True).values("partnership_id")
    signed = (
        _counting_signatures(on)
        .filter(
            # The party is the partner the person takes part through, so the partnership matches by itself.
            party__partner_id__in=active_memberships(user).values("partner_id"),
        )
        .values("agreement__partnership_id")
    )
    return ~Q(partnership_id__in=required) | Q(partnership_id__in=signed)


def confidentiality_gate(user, queryset: QuerySet) -> QuerySet:
    """Narrow ``queryset`` (TLP:AMBER, AMBER+STRICT and RED items of any labelled model) to the items of
    partnerships that do not require the confidentiality agreement, or whose confidentiality agreement in
    force the person's organisation has signed (and not withdrawn from).

    Registered with ``safepact.partnerships.tlp.register_gate``, so ``visible_to`` and ``may_see`` apply
    it; the information-exchange app may also call it directly. One query; no loop over items.
    """
    return queryset.filter(confidentiality_condition(user))


confidentiality_gate.condition = confidentiality_condition  # inlined by ``partnerships.tlp.visible_to``


@dataclass(frozen=True)
class GateStatus:
    """For one person and partnership: whether restricted content is withheld, and what to sign."""

    required: bool
    passes: bool
    message: str = ""
    agreement: Agreement | None = None
    url: str = ""


def confidentiality_status(user, partnership: Partnership) -> GateStatus:
    """The explanation beside withheld content: which agreement, and who must sign it.

    It follows the gate's own rule (a signature on any confidentiality agreement in effect lets the person
    through), so it never says "withheld" about content the gate shows.
    """
    if not settings_for(partnership=partnership).require_confidentiality:
        return GateStatus(required=False, passes=True)
    on = today()
    in_effect = _in_force_confidentiality(partnership.pk, on)
    membership = (
        active_memberships(user)
        .filter(partner__partnership=partnership)
        .select_related("partner__organisation")
        .first()
    )
    signed = (
        _counting_signatures(on)
        .filter(
            agreement__partnership=partnership,
            party__partner__organisation_id=membership.partner.organisation_id,
        )
        .select_related("agreement")
        .order_by("-agreement__in_force_at", "-agreement_id")
        .first()
        if membership is not None
        else None
    )
    if signed is not None:
        agreement = signed.agreement
        agreement.partnership = partnership
        return GateStatus(required=True, passes=True, agreement=agreement, url=_agreement_url(agreement))
    agreement = in_effect.order_by("-in_force_at").first()
    if agreement is None:
        pending = (
            Agreement.objects.filter(partnership=partnership, kind=Kind.CONFIDENTIALITY)
            .exclude(status__in=[Status.EXPIRED, Status.TERMINATED, Status.SUPERSEDED])
            .order_by("-created_at")
            .first()
        )
        if pending is not None:
            pending.partnership = partnership
        if (
            pending is not None
            and pending.status == Status.IN_FORCE
            and pending.effective_from is not None
            and pending.effective_from > on
        ):
            message = _(
                "This partnership shares TLP:AMBER and TLP:RED information only with organisations that "
                "signed its confidentiality agreement. “%(agreement)s” takes effect on %(date)s; such "
                "information is withheld until then."
            ) % {"agreement": pending.title, "date": _date(pending.effective_from)}
        else:
            message = _(
                "This partnership shares TLP:AMBER and TLP:RED information only with organisations that "
                "signed its confidentiality agreement, and no confidentiality agreement is in force yet. "
                "Such information is withheld until one is signed."
            )
        return GateStatus(
            required=True,
            passes=False,
            agreement=pending,
            url=_agreement_url(pending) if pending else "",
            message=message,
        )
    agreement.partnership = partnership
    return GateStatus(
        required=True,
        passes=False,
        agreement=agreement,
        url=_agreement_url(agreement),
        message=_(
            "TLP:AMBER and TLP:RED information is withheld from you because %(organisation)s has not signed "
            "“%(agreement)s”, the confidentiality agreement in force. An authorised signatory of your "
            "organisation can sign it (or accede to it) on the agreement's page."
        )
        % {
            "organisation": membership.partner.organisation.name if membership else "—",
            "agreement": agreement.title,
        },
    )


def organisation_passes(partnership_id: int, organisation_id: int) -> bool:
    """The gate for an organisation (not a person): has it signed the confidentiality agreement in force?"""
    if not AgreementSettings.objects.filter(
        partnership_id=partnership_id, require_confidentiality=True
    ).exists():
        return True
    on = today()
    return (
        _counting_signatures(on)
        .filter(agreement__partnership_id=partnership_id, party__partner__organisation_id=organisation_id)
        .exists()
    )


def _agreement_url(agreement: Agreement) -> str:
    return reverse(
        "agreements:detail", kwargs={"code": agreement.partnership.code, "agreement_code": agreement.code}
    )


def explain_withheld(user, item) -> str:
    """Gate explanation for one labelled item (used by ``partnerships.tlp.withheld_reason``)."""
    status = confidentiality_status(user, item.partnership)
    return "" if status.passes else status.message


# Reminders -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    agreement: Agreement
    kind: str  # "review" | "expiry" | "expired"
    due: date

    @property
    def days_left(self) -> int:
        return (self.due - today()).days


def reminders_due(*, partnership_ids=None, on: date | None = None) -> list[Due]:
    """Review and expiry dates within each partnership's notice period, and expired agreements.

    A fixed number of queries for any number of partnerships (used by the dashboard and the daily job).
    """
    on = on or today()
    agreements = Agreement.objects.select_related("partnership").filter(
        status__in=[Status.IN_FORCE, Status.EXPIRED, Status.SIGNING]
    )
    if partnership_ids is not None:
        agreements = agreements.filter(partnership_id__in=partnership_ids)
    agreements = list(agreements.filter(Q(review_date__isnull=False) | Q(expiry_date__isnull=False)))
    notices = {
        s.partnership_id: s
        for s in AgreementSettings.objects.filter(partnership_id__in={a.partnership_id for a in agreements})
    }
    found = []
    for agreement in agreements:
        notice = notices.get(agreement.partnership_id) or AgreementSettings()
        if agreement.status == Status.EXPIRED or (
            agreement.status == Status.IN_FORCE and agreement.expiry_date and agreement.expiry_date < on
        ):
            found.append(Due(agreement, "expired", agreement.expiry_date))
            continue
        if agreement.status != Status.IN_FORCE:
            continue
        if agreement.expiry_date and agreement.expiry_date <= on + timedelta(days=notice.expiry_notice_days):
            found.append(Due(agreement, "expiry", agreement.expiry_date))
        if agreement.review_date and agreement.review_date <= on + timedelta(days=notice.review_notice_days):
            found.append(Due(agreement, "review", agreement.review_date))
    return sorted(found, key=lambda d: (d.due, d.agreement.pk))


def expired_unmarked(on: date | None = None) -> QuerySet[Agreement]:
    """Agreements in force whose expiry date has passed (the daily job marks them expired)."""
    return Agreement.objects.filter(status=Status.IN_FORCE, expiry_date__lt=on or today())


def has_open_comments(agreement: Agreement) -> bool:
    return agreement.comments.filter(resolved_at__isnull=True).exists()


def versions_with_comment_counts(agreement: Agreement):
    return (
        version_list(agreement=agreement)
        .annotate(comment_count=Count("comments"))
        .prefetch_related(Prefetch("signatures", queryset=Signature.objects.only("pk", "version_id")))
    )
