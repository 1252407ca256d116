"""API for the registry of stolen and wanted objects: checks (one, up to 1,000 at once, batches of a CSV
file, the own log), alerts and their identifiers, hits, overlaps, close-identifier search, import, export
and the registry's settings.

Same access rules as the pages: outsiders get 404 on everything; partner members with the write role check
identifiers and see the outcome of their own checks and their organisation's batches (viewers 403); only
law-enforcement members see alerts, hits and overlaps, search for close identifiers, import and export
(everyone else 403); only members of the owning unit change an alert or decide its hits; coordinators keep
the settings. A check answers "no hit", or "hit" with the partnership's reference and the action to take:
never anything else about the alert.

Errors: 404 ``not_found`` (unknown, or not yours to see), 403 ``forbidden`` (your role does not allow it),
409 ``conflict`` (the object is not in a state that allows it), 422 ``invalid`` naming the field, 429
``rate_limited`` with a ``Retry-After`` header (seconds) when a check limit is reached.

Paths nest under ``/partnerships/{code}/registry``; objects are named by their ``code``.
"""

import math
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError
from ninja.pagination import paginate

from safepact.accounts.schemas import with_errors
from safepact.lib.api_errors import patch_changes, state_conflicts
from safepact.lib.pagination import LimitOffsetPagination
from safepact.partnerships.selectors import get_partnership_for_user
from safepact.registry import permissions, selectors, services
from safepact.registry.models import Alert, BatchCheck, Hit, HitStatus, Identifier, Overlap
from safepact.registry.schemas import (
    AlertIn,
    AlertOut,
    AlertPatch,
    AlertStatusIn,
    AlertStatusValue,
    BatchDetail,
    BatchIn,
    BatchOut,
    CategoryValue,
    CheckerHitOut,
    CheckIn,
    CheckLogOut,
    CheckOut,
    ChecksIn,
    ChecksOut,
    HitDecisionIn,
    HitOut,
    HitStatusValue,
    IdentifierIn,
    IdentifierOut,
    ImportIn,
    ImportOut,
    ImportRejectedOut,
    KindValue,
    OverlapOut,
    OverlapResolutionIn,
    OverlapStatusValue,
    SearchOut,
    SettingsIn,
    SettingsOut,
)
from safepact.registry.services.transfer import BUILTIN_MAPPINGS

router = Router(tags=["registry"])

READ = with_errors(403)
WRITE = with_errors(403, 409, 422)
CHECK = with_errors(403, 409, 422, 429)

R = "/{code}/registry"
BATCH = R + "/batches/{batch_code}"
ALERT = R + "/alerts/{alert_code}"
HIT = R + "/hits/{hit_code}"
OVERLAP = R + "/overlaps/{overlap_code}"


def _rate_limited(exc) -> JsonResponse:
    """429 ``rate_limited`` with ``Retry-After`` (whole seconds, at least 1)."""
    response = JsonResponse({"detail": str(exc), "code": "rate_limited"}, status=429)
    response["Retry-After"] = str(max(1, math.ceil(exc.retry_after or 1)))
    return response


def _checker(user, code):
    """The partnership and membership of someone who may check (404 outsiders, 403 viewers)."""
    partnership = get_partnership_for_user(user, code, write=True)
    permissions.ensure_check(partnership.membership)
    return partnership, partnership.membership


def _police(user, code, *, write: bool = False):
    """The partnership and membership of a law-enforcement member (404 outsiders, 403 everyone else)."""
    partnership = get_partnership_for_user(user, code, write=write)
    permissions.ensure_law_enforcement(partnership.membership)
    return partnership, partnership.membership


# Checks -----------------------------------------------------------------------------------------------


def _open_outcome() -> str:
    """What the checking partner is told of a hit that was just made (open): ``checker_outcome``'s words."""
    return str(selectors.checker_outcome(Hit(status=HitStatus.OPEN)))


def _answer(result) -> dict:
    """A check's answer: the fields of a hit only on a hit (the schema drops the others)."""
    answer = {
        "hit": result.hit,
        "kind": result.kind,
        "value": result.value,
        "warnings": list(result.warnings),
    }
    if result.hit:
        answer.update(
            reference=result.reference,
            action=result.action,
            action_text=str(result.action_text),
            action_note=result.action_note,
            hit_code=result.hit_code,
            outcome=_open_outcome(),
        )
    return answer


@router.post(
    f"{R}/check",
    response={200: CheckOut, **CHECK},
    exclude_none=True,
    summary="Check one identifier: no hit, or a hit with the reference and the action to take",
    description=(
        "Partner members with the write role (not viewers). The answer is `hit: false`, or `hit: true` with "
        "the partnership's `reference`, the `action` to take (`action_text` in words, `action_note` from the "
        "police unit), the `hit_code` and the `outcome`; never anything else about the alert. Every check is "
        "logged; partial identifiers (wildcards) are refused. 429 `rate_limited` with `Retry-After` when "
        "you or your organisation checked too much this minute."
    ),
)
def check(request, code: UUID, payload: CheckIn):
    user = request.auth
    _partnership, membership = _checker(user, code)
    try:
        result = services.check_identifier(
            user=user,
            membership=membership,
            kind=payload.kind,
            value=payload.value,
            manufacturer=payload.manufacturer,
            country=payload.country,
            document_type=payload.document_type,
            context=payload.context,
        )
    except services.RateLimited as exc:
        return _rate_limited(exc)
    return _answer(result)


@router.post(
    f"{R}/checks",
    response={200: ChecksOut, **CHECK},
    exclude_none=True,
    summary="Check up to 1,000 identifiers at once; each answered by its index",
    description=(
        "`items`: up to 1,000 identifiers (`kind`, `value`, and where needed `manufacturer`, `country`, "
        "`document_type`), one `context` for all. `results` answers each good identifier as `POST /check` "
        "does, with its `index`; `errors` names each bad one by its `index` and `field` (those are not "
        "logged). The good ones count towards your organisation's daily bulk quota (as batch rows do): 429 "
        "`rate_limited` with `Retry-After` when they would exceed it, and nothing is checked."
    ),
)
def check_many(request, code: UUID, payload: ChecksIn):
    user = request.auth
    _partnership, membership = _checker(user, code)
    try:
        answers = services.check_many(
            user=user,
            membership=membership,
            items=[item.dict() for item in payload.items],
            context=payload.context,
        )
    except services.RateLimited as exc:
        return _rate_limited(exc)
    results, errors = [], []
    for index, answer in enumerate(answers):
        if isinstance(answer, services.CheckError):
            errors.append({"index": answer.index, "field": answer.field, "message": str(answer.message)})
        else:
            results.append({"index": index, **_answer(answer)})
    return {"results": results, "errors": errors}


@router.get(
    f"{R}/checks",
    response={200: list[CheckLogOut], **READ},
    exclude_none=True,
    summary="Your own checks, newest first, with the outcome of those that hit",
)
@paginate(LimitOffsetPagination)
def check_log(request, code: UUID):
    user = request.auth
    partnership, _membership = _checker(user, code)
    return _CheckLog(selectors.check_list(user=user, partnership=partnership))


class _CheckLog:
    """A lazily sliced check log (for ``paginate``) whose page is read as the API answers it."""

    def __init__(self, queryset):
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        page = list(self.queryset[key])
        batches = {}
        batch_ids = {check.batch_id for check in page if check.batch_id}
        if batch_ids:
            batches = dict(BatchCheck.objects.filter(pk__in=batch_ids).values_list("pk", "code"))
        return [
            {
                "kind": check.kind,
                "key": check.key,
                "context": check.context,
                "checked_at": check.checked_at,
                "hit": check.hit,
                "outcome": check.hit_outcome or None,
                "reference": check.hit_reference or None,
                "hit_code": check.hit_code,
                "batch": batches.get(check.batch_id),
            }
            for check in page
        ]


# Batches ----------------------------------------------------------------------------------------------


@router.get(
    f"{R}/batches",
    response={200: list[BatchOut], **READ},
    summary="Your organisation's batch checks, newest first",
)
@paginate(LimitOffsetPagination)
def batch_index(request, code: UUID):
    user = request.auth
    partnership, _membership = _checker(user, code)
    return selectors.batch_list(user=user, partnership=partnership).select_related("user")


@router.post(
    f"{R}/batches",
    response={201: BatchDetail, **CHECK},
    summary="Upload a CSV file of identifiers to check in the background (multipart `file` and `context`)",
    description=(
        "A CSV with a header line naming the columns `kind` and `value` (and where needed `manufacturer`, "
        "`country`, `document_type`), up to the platform's row and size limits. The batch is checked in the "
        "background; follow its `progress` at `GET /batches/{batch_code}` and read its hits at "
        "`GET /batches/{batch_code}/hits`. 429 `rate_limited` when the day's batch quota is used up."
    ),
)
def batch_new(request, code: UUID, payload: Form[BatchIn], file: File[UploadedFile]):
    user = request.auth
    partnership, membership = _checker(user, code)
    try:
        batch = services.batch_create(user=user, membership=membership, file=file, context=payload.context)
    except services.RateLimited as exc:
        return _rate_limited(exc)
    return Status(201, selectors.get_batch(user=user, partnership=partnership, code=batch.code))


@router.get(
    BATCH,
    response={200: BatchDetail, **READ},
    summary="One batch check of your organisation, with its progress and the rows it could not check",
)
def batch_detail(request, code: UUID, batch_code: UUID):
    user = request.auth
    partnership, _membership = _checker(user, code)
    return selectors.get_batch(user=user, partnership=partnership, code=batch_code)


@router.get(
    f"{BATCH}/hits",
    response={200: list[CheckerHitOut], **READ},
    summary="The hits of one batch check: line, your value, the reference, the action and the outcome",
)
@paginate(LimitOffsetPagination)
def batch_hit_index(request, code: UUID, batch_code: UUID):
    user = request.auth
    partnership, _membership = _checker(user, code)
    batch = selectors.get_batch(user=user, partnership=partnership, code=batch_code)
    return _CheckerHits(selectors.batch_hits(user=user, batch=batch).select_related("alert"))


class _CheckerHits(_CheckLog):
    """A page of hits as the checking partner sees them."""

    def __getitem__(self, key):
        return [
            {
                "code": hit.code,
                "batch_line": hit.batch_line,
                "checked_value": hit.checked_value,
                "reference": hit.alert.reference,
                "action": hit.alert.action,
                "action_text": str(hit.alert.get_action_display()),
                "action_note": hit.alert.action_note,
                "outcome": str(selectors.checker_outcome(hit)),
                "checked_at": hit.checked_at,
            }
            for hit in self.queryset[key]
        ]


# Alerts and identifiers -------------------------------------------------------------------------------


def _alerts(queryset):
    """What an alert's answer reads besides the alert: its owning unit, author and identifiers."""
    return queryset.select_related("owner__organisation", "created_by").prefetch_related(
        Prefetch("identifiers", queryset=Identifier.objects.order_by("id"))
    )


def _alert(user, partnership, alert_code):
    alert = selectors.get_alert(user=user, partnership=partnership, code=alert_code)
    return _alerts(Alert.objects.filter(pk=alert.pk)).get()


def _own_alert(user, code, alert_code):
    """An alert the caller's unit owns (404 outsiders and unknown codes, 403 everyone else)."""
    partnership, membership = _police(user, code, write=True)
    alert = selectors.get_alert(user=user, partnership=partnership, code=alert_code)
    permissions.ensure(
        permissions.can_change_alert(membership, alert),
        _("Only members of the owning unit may change this alert."),
    )
    return partnership, alert


class AlertFilters(Schema):
    status: AlertStatusValue | None = None  # type: ignore[valid-type]
    category: CategoryValue | None = None  # type: ignore[valid-type]
    mine: bool = Field(False, description="Only the alerts your unit owns.")
    q: str = Field("", max_length=200, description="Words of the reference, case reference or description.")


@router.get(
    f"{R}/alerts",
    response={200: list[AlertOut], **READ},
    summary="The partnership's alerts, newest first (law-enforcement members)",
)
@paginate(LimitOffsetPagination)
def alert_index(request, code: UUID, filters: Query[AlertFilters]):
    user = request.auth
    partnership, _membership = _police(user, code)
    return _alerts(
        selectors.alert_list(
            user=user,
            partnership=partnership,
            status=filters.status,
            category=filters.category,
            mine=filters.mine,
            q=filters.q,
        )
    )


@router.post(
    f"{R}/alerts",
    response={201: AlertOut, **WRITE},
    summary="Register a stolen or wanted object with its identifiers (law-enforcement members)",
    description=(
        "Your own unit owns the alert. `identifiers`: at least one (`kind`, `value`, and where the kind needs "
        "them `manufacturer`, `country`, `document_type`). The partnership's reference (`REG-<year>-<n>`) is "
        "given; alerts sharing an identifier are reported as overlaps, and earlier checks of its identifiers "
        "in the retention window become late hits."
    ),
)
def alert_new(request, code: UUID, payload: AlertIn):
    user = request.auth
    partnership, _membership = _police(user, code, write=True)
    alert = services.alert_create(user=user, partnership=partnership, **payload.dict())
    return Status(201, _alert(user, partnership, alert.code))


@router.get(
    ALERT,
    response={200: AlertOut, **READ},
    summary="One alert with its identifiers (law-enforcement members)",
)
def alert_detail(request, code: UUID, alert_code: UUID):
    user = request.auth
    partnership, _membership = _police(user, code)
    return _alert(user, partnership, alert_code)


@router.patch(
    ALERT,
    response={200: AlertOut, **WRITE},
    summary="Change an alert (members of the owning unit); fields left out keep their value",
)
def alert_edit(request, code: UUID, alert_code: UUID, payload: AlertPatch):
    user = request.auth
    partnership, alert = _own_alert(user, code, alert_code)
    changes = patch_changes(payload, *AlertPatch.model_fields)
    if changes:
        with state_conflicts():
            services.alert_update(user=user, alert=alert, **changes)
    return _alert(user, partnership, alert_code)


@router.post(
    f"{ALERT}/status",
    response={200: AlertOut, **WRITE},
    summary="Mark an alert located or withdrawn, or active again (members of the owning unit)",
)
def alert_status(request, code: UUID, alert_code: UUID, payload: AlertStatusIn):
    user = request.auth
    partnership, alert = _own_alert(user, code, alert_code)
    with state_conflicts():
        services.alert_set_status(user=user, alert=alert, status=payload.status, reason=payload.reason)
    return _alert(user, partnership, alert_code)


@router.post(
    f"{ALERT}/identifiers",
    response={201: IdentifierOut, **WRITE},
    summary="Add an identifier to an alert (members of the owning unit); may produce overlaps and late hits",
)
def identifier_new(request, code: UUID, alert_code: UUID, payload: IdentifierIn):
    user = request.auth
    _partnership, alert = _own_alert(user, code, alert_code)
    with state_conflicts():
        identifier = services.identifier_add(
            user=user,
            alert=alert,
            kind=payload.kind,
            value=payload.value,
            manufacturer=payload.manufacturer,
            country=payload.country,
            document_type=payload.document_type,
        )
    return Status(201, identifier)


@router.delete(
    f"{ALERT}/identifiers/{{identifier_code}}",
    response={204: None, **WRITE},
    summary="Remove an identifier from an alert (members of the owning unit); the last one cannot go",
)
def identifier_delete(request, code: UUID, alert_code: UUID, identifier_code: UUID, reason: str = ""):
    """``reason`` is accepted for compatibility and not kept: the audit trail, read by every coordinator of
    the partnership, records the removal with the alert's reference and the identifier's kind only."""
    user = request.auth
    _partnership, alert = _own_alert(user, code, alert_code)
    identifier = alert.identifiers.filter(code=identifier_code).first()
    if identifier is None:
        raise Http404(_("Not found."))
    try:
        services.identifier_remove(user=user, identifier=identifier)
    except ValidationError as exc:
        # The last identifier of an alert cannot go: the alert's state, not the request, is in the way.
        if hasattr(exc, "error_dict") and set(exc.error_dict) == {"identifier"}:
            raise HttpError(409, " ".join(exc.messages)) from exc
        raise
    return Status(204, None)


# Hits and overlaps ------------------------------------------------------------------------------------


def _hits(queryset):
    return queryset.select_related(
        "alert__owner__organisation",
        "identifier",
        "checked_by",
        "checked_by_organisation",
        "decided_by",
    )


def _hit(user, partnership, hit_code):
    hit = selectors.get_hit(user=user, partnership=partnership, code=hit_code)
    return _hits(Hit.objects.filter(pk=hit.pk)).get()


@router.get(
    f"{R}/hits",
    response={200: list[HitOut], **READ},
    summary="Hits on the partnership's alerts, newest first (law-enforcement members)",
)
@paginate(LimitOffsetPagination)
def hit_index(request, code: UUID, status: HitStatusValue | None = None):  # type: ignore[valid-type]
    user = request.auth
    partnership, _membership = _police(user, code)
    return _hits(selectors.hit_list(user=user, partnership=partnership, status=status))


@router.get(
    HIT,
    response={200: HitOut, **READ},
    summary="One hit: the alert, who checked, when and why (law-enforcement members)",
)
def hit_detail(request, code: UUID, hit_code: UUID):
    user = request.auth
    partnership, _membership = _police(user, code)
    return _hit(user, partnership, hit_code)


@router.post(
    f"{HIT}/decision",
    response={200: HitOut, **WRITE},
    summary="Confirm or reject a hit (members of the owning unit); the checking partner learns the outcome",
)
def hit_decision(request, code: UUID, hit_code: UUID, payload: HitDecisionIn):
    user = request.auth
    partnership, membership = _police(user, code, write=True)
    hit = selectors.get_hit(user=user, partnership=partnership, code=hit_code)
    permissions.ensure(
        permissions.can_decide_hit(membership, hit), _("Only members of the owning unit may decide this hit.")
    )
    with state_conflicts():
        services.hit_decide(user=user, hit=hit, status=payload.status, note=payload.note)
    return _hit(user, partnership, hit_code)


def _overlaps(queryset):
    return queryset.select_related("first__owner__organisation", "second__owner__organisation", "resolved_by")


@router.get(
    f"{R}/overlaps",
    response={200: list[OverlapOut], **READ},
    summary="Alerts that share an identifier (law-enforcement members)",
)
@paginate(LimitOffsetPagination)
def overlap_index(request, code: UUID, status: OverlapStatusValue | None = None):  # type: ignore[valid-type]
    user = request.auth
    partnership, _membership = _police(user, code)
    return _overlaps(selectors.overlap_list(user=user, partnership=partnership, status=status))


@router.post(
    f"{OVERLAP}/resolution",
    response={200: OverlapOut, **WRITE},
    summary="Resolve an overlap: same object, different objects, or dismissed (a unit owning either alert)",
)
def overlap_resolution(request, code: UUID, overlap_code: UUID, payload: OverlapResolutionIn):
    user = request.auth
    partnership, membership = _police(user, code, write=True)
    overlap = selectors.get_overlap(user=user, partnership=partnership, code=overlap_code)
    permissions.ensure(
        permissions.can_resolve_overlap(membership, overlap),
        _("Only members of a unit owning one of the alerts may resolve this overlap."),
    )
    with state_conflicts():
        overlap = services.overlap_resolve(user=user, overlap=overlap, status=payload.status)
    return _overlaps(Overlap.objects.filter(pk=overlap.pk)).get()


# Search, export, import, settings ---------------------------------------------------------------------


class SearchParams(Schema):
    kind: KindValue  # type: ignore[valid-type]
    value: str = Field(min_length=1, max_length=200, description="The identifier, or most of it.")
    max_distance: int = Field(2, ge=1, le=2, description="Characters apart: 1 or 2.")
    limit: int = Field(50, ge=1, le=200)


@router.get(
    f"{R}/search",
    response={200: SearchOut, **with_errors(403, 422)},
    summary="Close identifiers: stored identifiers one or two characters from a value (law enforcement)",
    description=(
        "Finds typos and look-alike characters in the partnership's alerts. Law-enforcement members only: "
        "partners check exact identifiers. Every search is recorded in the audit trail."
    ),
)
def search(request, code: UUID, params: Query[SearchParams]):
    user = request.auth
    partnership, membership = _police(user, code)
    permissions.ensure(permissions.can_search(membership))
    matches = services.close_identifier_search(
        user=user,
        partnership=partnership,
        kind=params.kind,
        value=params.value,
        max_distance=params.max_distance,
        limit=params.limit,
    )
    return {"items": matches}


@router.get(
    f"{R}/export",
    response={200: dict, **READ},
    summary="Export the partnership's alerts as JSON for other systems (law-enforcement members)",
    description="`status`: only alerts in this state (default: all). The export is recorded in the audit "
    "trail.",
)
def export(request, code: UUID, status: AlertStatusValue | None = None):  # type: ignore[valid-type]
    user = request.auth
    partnership, membership = _police(user, code)
    permissions.ensure(permissions.can_export(membership))
    return services.alerts_export(user=user, partnership=partnership, status=status)


#: At most this many created, merged and rejected entries are listed in an import's report.
REPORT_LIMIT = 1000


@router.post(
    f"{R}/imports",
    response={200: ImportOut, **WRITE, 422: ImportRejectedOut},
    summary="Import alerts from CSV or JSON with a mapping (law-enforcement members; atomic)",
    description=(
        "Multipart: `file` (CSV or JSON), and either `mapping` (a built-in mapping by name: `safepact`) or "
        "`mapping_file` (a JSON mapping). Rows naming the same object are merged into one alert with "
        "several identifiers; your unit owns the alerts. With `dry_run` nothing is stored and the report "
        "says what would be created, merged and rejected, by line. Otherwise one rejected line stores "
        "nothing: 422 with the report."
    ),
)
def import_alerts(
    request,
    code: UUID,
    payload: Form[ImportIn],
    file: File[UploadedFile],
    mapping_file: File[UploadedFile | None] = None,
):
    user = request.auth
    partnership, membership = _police(user, code, write=True)
    permissions.ensure(permissions.can_import(membership))
    mapping = _mapping(payload.mapping, mapping_file)
    try:
        report = services.import_alerts(
            actor=user,
            partnership=partnership,
            owner=membership.partner,
            data=file,
            file_name=file.name or "import",
            mapping=mapping,
            dry_run=payload.dry_run,
        )
    except services.ImportRejected as exc:
        return Status(
            422, {"detail": str(exc), "code": "invalid", "report": exc.report.as_dict(limit=REPORT_LIMIT)}
        )
    return report.as_dict(limit=REPORT_LIMIT)


def _mapping(name: str, upload):
    """The mapping of an import: a built-in one by name, or an uploaded JSON mapping (422 naming the field).
    A name is never read as a path: the server's files are no mappings."""
    if upload is not None and name:
        raise ValidationError({"mapping": _("Give either a mapping name or a mapping file, not both.")})
    if upload is None:
        if not name:
            raise ValidationError({"mapping": _("Give a mapping name (e.g. safepact) or a mapping file.")})
        if name not in BUILTIN_MAPPINGS:
            raise ValidationError(
                {
                    "mapping": _(
                        "Unknown mapping %(name)s: choose one of %(names)s, or upload a mapping file."
                    )
                    % {"name": name, "names": ", ".join(sorted(BUILTIN_MAPPINGS))}
                }
            )
        return services.load_mapping(name)
    try:
        return services.load_mapping(upload)
    except ValidationError as exc:
        raise ValidationError({"mapping_file": exc.messages}) from exc


@router.get(
    f"{R}/settings",
    response={200: SettingsOut, **READ},
    summary="The registry's settings: escalation time, check-log retention, alert lifetime",
)
def settings_detail(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return selectors.settings_for(partnership)


@router.put(
    f"{R}/settings",
    response={200: SettingsOut, **WRITE},
    summary="Change the registry's settings (coordinators); fields left out keep their value",
    description="`retention_days` lies between the bounds the platform sets.",
)
def settings_put(request, code: UUID, payload: SettingsIn):
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    permissions.ensure(
        permissions.can_change_settings(partnership.membership),
        _("Only coordinators of this partnership can do this."),
    )
    current = selectors.settings_for(partnership)
    values = {
        "escalation_hours": current.escalation_hours,
        "retention_days": current.retention_days,
        "default_alert_days": current.default_alert_days,
        **payload.dict(exclude_unset=True, exclude_none=True),
    }
    services.settings_update(user=user, partnership=partnership, **values)
    return selectors.settings_for(partnership)
