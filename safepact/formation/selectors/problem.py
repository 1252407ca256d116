"""Reads for the problem area of formation: the problem statement, its figures and the briefing links.

The statement is TLP-labelled: members read it only when ``safepact.partnerships.tlp.may_see`` allows.
A candidate organisation reads it through a briefing link only when the label allows sharing with it
(``briefing_may_show``): CLEAR always, AMBER and AMBER+STRICT when the organisation is a recipient,
GREEN and RED never (they are for the partnership's members).
"""

from dataclasses import dataclass, field
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from safepact.accounts.models import Organisation, User, hash_token
from safepact.formation.models import BriefingShare, Candidate, ProblemFigure, ProblemStatement
from safepact.lib import clock
from safepact.lib.tlp import TLP
from safepact.partnerships.models import Partnership
from safepact.partnerships.permissions import can_manage
from safepact.partnerships.selectors import (
    ACTIVE_MEMBERSHIP,
    get_partnership_for_user,
    partnerships_for,
)
from safepact.partnerships.tlp import may_see, organisation_passes_gates

NOT_A_RECIPIENT = _("This problem statement is labelled %(label)s and you are not among its recipients.")


def _code(value) -> UUID | None:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (TypeError, ValueError):
        return None


def _statement_queryset():
    return ProblemStatement.objects.select_related("updated_by", "created_by").prefetch_related(
        Prefetch("figures", queryset=ProblemFigure.objects.order_by("position", "id")),
        Prefetch("recipient_organisations", queryset=Organisation.objects.order_by("name")),
        Prefetch("recipient_people", queryset=User.objects.order_by("full_name", "email")),
    )


@dataclass
class ProblemView:
    """What a member gets: the statement (None when there is none yet) and whether they may read it."""

    partnership: Partnership
    statement: ProblemStatement | None
    visible: bool
    figures: list = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return self.statement is not None

    @property
    def label(self) -> TLP:
        return TLP(self.statement.tlp) if self.statement else TLP.GREEN


def problem_statement_for(*, user, partnership: Partnership) -> ProblemView:
    """The problem statement of a partnership the caller opened with ``get_partnership_for_user``."""
    statement = (
        _statement_queryset().filter(partnership=partnership, partnership__in=partnerships_for(user)).first()
    )
    if statement is None:
        return ProblemView(partnership=partnership, statement=None, visible=True)
    visible = may_see(user, statement)
    figures = list(statement.figures.all()) if visible else []
    return ProblemView(partnership=partnership, statement=statement, visible=visible, figures=figures)


def ensure_may_read(user, view: ProblemView) -> None:
    """Coordinators edit only what they may read (403 otherwise)."""
    if view.statement is not None and not view.visible:
        raise PermissionDenied(NOT_A_RECIPIENT % {"label": view.label.label})


def get_problem_for_user(user, code, *, manage: bool = False) -> ProblemView:
    """Access helper: 404 outsider, 403 without the role; with ``manage`` also 403 when the coordinator
    may not read the statement (not a recipient of its TLP label)."""
    partnership = get_partnership_for_user(user, code, manage=manage)
    view = problem_statement_for(user=user, partnership=partnership)
    if manage:
        ensure_may_read(user, view)
    return view


def get_figure_for_user(user, code, figure_code) -> ProblemFigure:
    """A figure to change (coordinators who may read the statement); another partnership's figure → 404."""
    view = get_problem_for_user(user, code, manage=True)
    figure = next((f for f in view.figures if f.code == _code(figure_code)), None)
    if figure is None:
        raise Http404(_("Figure not found."))
    figure.statement.partnership = view.partnership
    return figure


# Recipients ----------------------------------------------------------------------------------------


def recipient_organisation_choices(*, user, partnership: Partnership) -> QuerySet[Organisation]:
    """AMBER recipients: organisations among the partnership's partners and candidates."""
    from safepact.partnerships.models import Partner

    if not partnerships_for(user).filter(pk=partnership.pk).exists():
        return Organisation.objects.none()
    partners = Partner.objects.filter(partnership=partnership).values("organisation_id")
    candidates = Candidate.objects.filter(partnership=partnership).values("organisation_id")
    return Organisation.objects.filter(Q(pk__in=partners) | Q(pk__in=candidates)).order_by("name")


def recipient_people_choices(*, user, partnership: Partnership) -> QuerySet[User]:
    """RED recipients: the partnership's active members."""
    from safepact.partnerships.models import Membership

    if not partnerships_for(user).filter(pk=partnership.pk).exists():
        return User.objects.none()
    members = Membership.objects.filter(ACTIVE_MEMBERSHIP, partner__partnership=partnership).values("user_id")
    return User.objects.filter(pk__in=members, is_active=True).order_by("full_name", "email")


# Briefings -----------------------------------------------------------------------------------------


def candidate_choices(*, user, partnership: Partnership) -> QuerySet[Candidate]:
    """Candidates of the partnership a coordinator may send a briefing to."""
    return (
        Candidate.objects.filter(partnership=partnership, partnership__in=partnerships_for(user))
        .select_related("organisation")
        .order_by("organisation__name")
    )


def _require_manage(user, partnership: Partnership) -> None:
    membership = getattr(partnership, "membership", None)
    if membership is None:
        membership = get_partnership_for_user(user, partnership.code).membership
    if not can_manage(membership):
        raise PermissionDenied(_("Only coordinators of this partnership can do this."))


def briefing_share_list(*, user, partnership: Partnership) -> QuerySet[BriefingShare]:
    """Briefing links sent for the partnership, newest first (coordinators only)."""
    _require_manage(user, partnership)
    return (
        BriefingShare.objects.filter(
            candidate__partnership=partnership, candidate__partnership__in=partnerships_for(user)
        )
        .select_related("candidate__organisation", "created_by")
        .order_by("-created_at", "-id")
    )


def get_briefing_share_for_user(user, code, share_code) -> BriefingShare:
    partnership = get_partnership_for_user(user, code, manage=True)
    share = briefing_share_list(user=user, partnership=partnership).filter(code=_code(share_code)).first()
    if share is None:
        raise Http404(_("Briefing link not found."))
    share.candidate.partnership = partnership
    return share


def briefing_may_show(statement: ProblemStatement | None, organisation_id: int) -> bool:
    """The sharing rule for a candidate organisation outside the partnership (pure apart from one query)."""
    if statement is None:
        return False
    label = TLP(statement.tlp)
    if label == TLP.CLEAR:
        return True
    if label in (TLP.AMBER, TLP.AMBER_STRICT):
        return any(
            o.pk == organisation_id for o in statement.recipient_organisations.all()
        ) and organisation_passes_gates(statement, organisation_id)
    return False  # GREEN: members only; RED: named people only


def briefing_shows_for(*, statement: ProblemStatement | None, shares) -> dict[int, bool]:
    """``{share.pk: whether its candidate would see the statement}``, without extra queries per share."""
    recipients = {o.pk for o in statement.recipient_organisations.all()} if statement else set()
    label = TLP(statement.tlp) if statement else None
    result, passes = {}, {}
    for share in shares:
        org = share.candidate.organisation_id
        amber = label in (TLP.AMBER, TLP.AMBER_STRICT) and org in recipients
        if amber and org not in passes:  # confidentiality gates: once per organisation
            passes[org] = organisation_passes_gates(statement, org)
        result[share.pk] = label == TLP.CLEAR or (amber and passes[org])
    return result


def briefing_by_token(token: str) -> BriefingShare | None:
    """The share behind a briefing link; the token itself is the credential (only its hash is stored)."""
    return (
        BriefingShare.objects.filter(token_hash=hash_token(token or ""))
        .select_related("candidate__organisation", "candidate__partnership", "created_by")
        .first()
    )


def briefing_state(share: BriefingShare | None) -> str:
    if share is None:
        return "unknown"
    if share.revoked_at is not None:
        return "revoked"
    if share.expires_at <= clock.now():
        return "expired"
    return "open"


def briefing_statement(share: BriefingShare) -> ProblemStatement | None:
    return _statement_queryset().filter(partnership_id=share.candidate.partnership_id).first()
