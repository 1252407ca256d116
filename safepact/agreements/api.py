"""API for agreements: drafting, versions and their comparison, the lifecycle, parties, signing and
accession, withdrawal, comments, documents, verification, settings, the confidentiality gate and templates.

Same access rules as the pages: any active member reads (viewers too); coordinators draft, manage parties,
move the lifecycle and change the settings; members and coordinators comment while in review; an
authorised signatory signs or accedes for their organisation after re-authenticating in the request body
(``password``, and ``otp`` with an authenticator app), since an API call has no sudo window.

Paths nest under ``/partnerships/{code}/agreements``; agreements, parties and comments are named by their
``code``, versions by their ``number`` inside the agreement.
"""

from uuid import UUID

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, Status, UploadedFile
from ninja.pagination import paginate

from safepact.accounts.schemas import with_errors
from safepact.accounts.services import user_reauthenticate
from safepact.agreements import services, texts
from safepact.agreements.models import Agreement, Formality, Kind, Signature, SignatureMethod
from safepact.agreements.schemas import (
    AgreementDetail,
    AgreementIn,
    AgreementOut,
    AgreementPatch,
    CommentIn,
    CommentOut,
    CompareOut,
    GateOut,
    KindValue,
    LanguageValue,
    PartyIn,
    PartyOut,
    PartyPatch,
    SettingsIn,
    SettingsOut,
    SignatureOut,
    SignedOut,
    SignIn,
    StatusValue,
    TemplatesOut,
    TransitionIn,
    VerificationOut,
    VersionDetail,
    VersionIn,
    VersionOut,
    WithdrawIn,
)
from safepact.agreements.selectors import (
    agreement_list,
    comment_list,
    confidentiality_status,
    get_agreement_for_user,
    get_comment_for_user,
    get_party_for_user,
    get_version_for_user,
    latest_version,
    party_list,
    settings_for,
    sign_option,
    signature_list,
    signing_state,
    version_list,
)
from safepact.lib.pagination import LimitOffsetPagination
from safepact.partnerships.selectors import get_partnership_for_user, partner_list

router = Router(tags=["agreements"])

READ = with_errors()
WRITE = with_errors(403, 422)
BASE = "/{code}/agreements"
ONE = BASE + "/{agreement_code}"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _detail(user, agreement):
    """The agreement re-read with its counts, signing state and what the caller can do about signing."""
    partnership = agreement.partnership
    fresh = agreement_list(user=user, partnership=partnership).get(pk=agreement.pk)
    fresh.partnership = partnership
    fresh.signing = signing_state(fresh)
    fresh.option = sign_option(user, fresh)
    fresh.latest = latest_version(fresh)
    return fresh


def _version_detail(version):
    parsed = texts.parse(version.body)
    version.sections = [section.heading for section in parsed.sections]
    version.unresolved = texts.unresolved(version.body)
    return version


def _file(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# Agreements -----------------------------------------------------------------------------------------


@router.get(BASE, response=list[AgreementOut], summary="The partnership's agreements, newest first")
@paginate(LimitOffsetPagination)
def agreement_index(
    request,
    code: UUID,
    status: StatusValue | None = None,  # type: ignore[valid-type]
    kind: KindValue | None = None,  # type: ignore[valid-type]
):
    partnership = get_partnership_for_user(request.auth, code)
    return agreement_list(user=request.auth, partnership=partnership, status=status, kind=kind)


@router.post(
    BASE,
    response={201: AgreementDetail, **WRITE},
    summary="Draft an agreement from its template, pre-filled from the partnership's data (coordinator)",
)
def agreement_new(request, code: UUID, payload: AgreementIn):
    user = request.auth
    partnership = get_partnership_for_user(user, code, manage=True)
    data = payload.dict()
    supersedes = data.pop("supersedes")
    if supersedes is not None:
        supersedes = agreement_list(user=user, partnership=partnership).filter(code=supersedes).first()
        if supersedes is None:
            raise ValidationError({"supersedes": _("No agreement of this partnership has this code.")})
    parties = data.pop("parties")
    agreement = services.agreement_create(
        actor=user,
        partnership=partnership,
        partner_codes=[str(c) for c in parties] if parties is not None else None,
        supersedes=supersedes,
        **data,
    )
    return Status(201, _detail(user, agreement))


# Registered before ``{agreement_code}`` so that "verify" is never taken for an agreement's code.
@router.post(
    f"{BASE}/verify",
    response={200: VerificationOut, **with_errors(422)},
    summary="Tell whether a PDF corresponds to a version SafePact produced (and who signed it)",
)
def agreement_verify(request, code: UUID, file: File[UploadedFile]):
    from safepact.agreements import documents

    get_partnership_for_user(request.auth, code)
    if file.size is not None and file.size > documents.MAX_VERIFY_BYTES:
        raise ValidationError(
            {
                "file": _("The file is too big to verify (at most %(size)s MB).")
                % {"size": documents.MAX_VERIFY_BYTES // (1024 * 1024)}
            }
        )
    data = file.read(documents.MAX_VERIFY_BYTES + 1)
    if len(data) > documents.MAX_VERIFY_BYTES:
        raise ValidationError({"file": _("The file is too big to verify.")})
    return documents.verify_pdf(user=request.auth, data=data)


@router.get(ONE, response={200: AgreementDetail, **READ}, summary="One agreement, with its signing state")
def agreement_detail(request, code: UUID, agreement_code: UUID):
    agreement = get_agreement_for_user(request.auth, code, agreement_code)
    return _detail(request.auth, agreement)


@router.patch(
    ONE,
    response={200: AgreementDetail, **WRITE},
    summary="Change the title, formality, quorum or dates (coordinator; once final only the review date)",
)
def agreement_edit(request, code: UUID, agreement_code: UUID, payload: AgreementPatch):
    agreement = get_agreement_for_user(request.auth, code, agreement_code, manage=True)
    changes = payload.dict(exclude_unset=True)
    reason = changes.pop("reason", "")
    agreement = services.agreement_update(actor=request.auth, agreement=agreement, reason=reason, **changes)
    return _detail(request.auth, agreement)


@router.post(
    f"{ONE}/transitions",
    response={200: AgreementDetail, **WRITE},
    summary="Move the agreement through its lifecycle (coordinator)",
    description=(
        "`submit`: draft → in review; `draft`: in review or final → draft; `finalise`: freeze the "
        "latest version and record its SHA-256; `open-signing`: final → signing; `terminate`: end it "
        "(a `reason` is required). An invalid move answers 422 with the reason."
    ),
)
def agreement_transition(request, code: UUID, agreement_code: UUID, payload: TransitionIn):
    user = request.auth
    agreement = get_agreement_for_user(user, code, agreement_code, manage=True)
    action, reason = payload.action, payload.reason
    if action == "submit":
        agreement = services.agreement_submit_for_review(actor=user, agreement=agreement)
    elif action == "draft":
        agreement = services.agreement_return_to_draft(actor=user, agreement=agreement, reason=reason)
    elif action == "finalise":
        agreement = services.agreement_finalise(actor=user, agreement=agreement)
    elif action == "open-signing":
        agreement = services.agreement_open_signing(actor=user, agreement=agreement)
    else:
        agreement = services.agreement_terminate(actor=user, agreement=agreement, reason=reason)
    return _detail(user, agreement)


# Versions -------------------------------------------------------------------------------------------


@router.get(f"{ONE}/versions", response=list[VersionOut], summary="Every saved version, newest first")
@paginate(LimitOffsetPagination)
def version_index(request, code: UUID, agreement_code: UUID):
    agreement = get_agreement_for_user(request.auth, code, agreement_code)
    return version_list(agreement=agreement)


@router.post(
    f"{ONE}/versions",
    response={200: VersionDetail, 201: VersionDetail, **WRITE},
    summary="Save the text as a new version (coordinator, while draft or in review)",
    description="201 with the new version; 200 with the latest one when the text did not change.",
)
def version_new(request, code: UUID, agreement_code: UUID, payload: VersionIn):
    agreement = get_agreement_for_user(request.auth, code, agreement_code, manage=True)
    version, created = services.version_save(
        actor=request.auth, agreement=agreement, body=payload.body, note=payload.note
    )
    version.agreement = agreement
    return Status(201 if created else 200, _version_detail(version))


@router.get(
    f"{ONE}/versions/{{number}}", response={200: VersionDetail, **READ}, summary="One version, with its text"
)
def version_detail(request, code: UUID, agreement_code: UUID, number: int):
    version = get_version_for_user(request.auth, code, agreement_code, number)
    return _version_detail(version)


@router.get(
    f"{ONE}/versions/{{number}}/pdf",
    response={200: None, **READ},
    summary="The version as PDF, with a signature page (recorded, so it can be verified later)",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}, "description": "PDF file"}}},
)
def version_pdf(request, code: UUID, agreement_code: UUID, number: int):
    from safepact.agreements import documents

    version = get_version_for_user(request.auth, code, agreement_code, number)
    data, filename = documents.export_pdf(actor=request.auth, agreement=version.agreement, version=version)
    return _file(data, filename, "application/pdf")


@router.get(
    f"{ONE}/versions/{{number}}/docx",
    response={200: None, **READ},
    summary="The version as DOCX, for editing outside SafePact",
    openapi_extra={"responses": {200: {"content": {DOCX: {}}, "description": "DOCX file"}}},
)
def version_docx(request, code: UUID, agreement_code: UUID, number: int):
    from safepact.agreements import documents

    version = get_version_for_user(request.auth, code, agreement_code, number)
    data, filename = documents.export_docx(actor=request.auth, agreement=version.agreement, version=version)
    return _file(data, filename, DOCX)


@router.get(
    f"{ONE}/compare",
    response={200: CompareOut, **with_errors(422)},
    summary="A readable line diff between two versions",
    description="Default: `to` the latest version, `from` the one before it.",
)
def version_compare(
    request,
    code: UUID,
    agreement_code: UUID,
    from_version: int | None = Query(None, alias="from", ge=1, le=1_000_000),
    to_version: int | None = Query(None, alias="to", ge=1, le=1_000_000),
):
    agreement = get_agreement_for_user(request.auth, code, agreement_code)
    numbers = set(agreement.versions.values_list("number", flat=True))
    to_number = to_version or max(numbers)
    from_number = from_version or max(to_number - 1, 1)
    bodies = dict(
        agreement.versions.filter(number__in=[from_number, to_number]).values_list("number", "body")
    )
    for field, number in (("from", from_number), ("to", to_number)):
        if number not in bodies:
            raise ValidationError(
                {field: _("This agreement has no version %(number)s.") % {"number": number}}
            )
    diff = texts.diff(bodies[from_number], bodies[to_number])
    return {
        "from_version": from_number,
        "to_version": to_number,
        "added": diff.added,
        "removed": diff.removed,
        "lines": diff.lines,
    }


# Parties --------------------------------------------------------------------------------------------


def _parties_with_signatures(agreement):
    signed = Signature.objects.filter(party=OuterRef("pk"), version_id=agreement.final_version_id)
    return party_list(agreement=agreement).annotate(
        signed_at=Subquery(signed.order_by("signed_at").values("signed_at")[:1])
    )


def _party_out(party):
    return _parties_with_signatures(party.agreement).get(pk=party.pk)


@router.get(f"{ONE}/parties", response=list[PartyOut], summary="The parties, with when each signed")
@paginate(LimitOffsetPagination)
def party_index(request, code: UUID, agreement_code: UUID):
    agreement = get_agreement_for_user(request.auth, code, agreement_code)
    return _parties_with_signatures(agreement)


@router.post(
    f"{ONE}/parties",
    response={201: PartyOut, **WRITE},
    summary="Add a partner as party (coordinator, drafting)",
)
def party_new(request, code: UUID, agreement_code: UUID, payload: PartyIn):
    agreement = get_agreement_for_user(request.auth, code, agreement_code, manage=True)
    partner = partner_list(user=request.auth, partnership=agreement.partnership).filter(code=payload.partner)
    partner = partner.first()
    if partner is None:
        raise ValidationError({"partner": _("This partnership has no partner with this code.")})
    party = services.party_add(
        actor=request.auth, agreement=agreement, partner=partner, required=payload.required
    )
    party.agreement = agreement
    return Status(201, _party_out(party))


@router.patch(
    f"{ONE}/parties/{{party_code}}",
    response={200: PartyOut, **WRITE},
    summary="Make a party's signature required or optional (coordinator, drafting)",
)
def party_edit(request, code: UUID, agreement_code: UUID, party_code: UUID, payload: PartyPatch):
    get_agreement_for_user(request.auth, code, agreement_code, manage=True)
    party = get_party_for_user(request.auth, code, agreement_code, party_code)
    services.party_set_required(actor=request.auth, party=party, required=payload.required)
    return _party_out(party)


@router.delete(
    f"{ONE}/parties/{{party_code}}",
    response={204: None, **WRITE},
    summary="Remove a party (coordinator, drafting)",
)
def party_delete(request, code: UUID, agreement_code: UUID, party_code: UUID):
    get_agreement_for_user(request.auth, code, agreement_code, manage=True)
    party = get_party_for_user(request.auth, code, agreement_code, party_code)
    services.party_remove(actor=request.auth, party=party)
    return Status(204, None)


@router.post(
    f"{ONE}/parties/{{party_code}}/withdraw",
    response={200: PartyOut, **WRITE},
    summary="A party withdraws, with a date and a reason (coordinator, or the party's authorised signatory)",
)
def party_withdraw(request, code: UUID, agreement_code: UUID, party_code: UUID, payload: WithdrawIn):
    get_agreement_for_user(request.auth, code, agreement_code, write=True)
    party = get_party_for_user(request.auth, code, agreement_code, party_code)
    services.party_withdraw(actor=request.auth, party=party, on_date=payload.on_date, reason=payload.reason)
    return _party_out(party)


# Signatures -----------------------------------------------------------------------------------------


@router.get(
    f"{ONE}/signatures",
    response=list[SignatureOut],
    summary="Every signature: who signed which text (by its SHA-256) for which organisation, and when",
)
@paginate(LimitOffsetPagination)
def signature_index(request, code: UUID, agreement_code: UUID):
    agreement = get_agreement_for_user(request.auth, code, agreement_code)
    return signature_list(agreement=agreement)


def _signed(request, code, agreement_code, payload: SignIn, sign):
    user = request.auth
    agreement = get_agreement_for_user(user, code, agreement_code, write=True)
    user_reauthenticate(request=request, user=user, password=payload.password, otp=payload.otp)
    signature = sign(actor=user, agreement=agreement, reauthenticated=True, method=SignatureMethod.API)
    signature = signature_list(agreement=agreement).get(pk=signature.pk)
    signature.agreement_status = Agreement.objects.values_list("status", flat=True).get(pk=agreement.pk)
    return Status(201, signature)


@router.post(
    f"{ONE}/sign",
    response={201: SignedOut, **WRITE},
    summary="Sign the final text for your organisation (authorised signatory; password and code)",
    description=(
        "Re-authenticate in the body: `password`, and `otp` when you use an authenticator app. A wrong "
        "one answers 422 naming it (and counts towards the login lockout); without the signatory flag 403."
    ),
)
def agreement_sign(request, code: UUID, agreement_code: UUID, payload: SignIn):
    return _signed(request, code, agreement_code, payload, services.agreement_sign)


@router.post(
    f"{ONE}/accede",
    response={201: SignedOut, **WRITE},
    summary="Join an agreement in force by signing it (authorised signatory of a partner not yet a party)",
)
def agreement_accede(request, code: UUID, agreement_code: UUID, payload: SignIn):
    return _signed(request, code, agreement_code, payload, services.agreement_accede)


# Comments -------------------------------------------------------------------------------------------


@router.get(f"{ONE}/comments", response=list[CommentOut], summary="Comments on the sections, oldest first")
@paginate(LimitOffsetPagination)
def comment_index(request, code: UUID, agreement_code: UUID):
    agreement = get_agreement_for_user(request.auth, code, agreement_code)
    return comment_list(agreement=agreement)


@router.post(
    f"{ONE}/comments",
    response={201: CommentOut, **WRITE},
    summary="Comment on a section while the agreement is in review (members and coordinators)",
)
def comment_new(request, code: UUID, agreement_code: UUID, payload: CommentIn):
    agreement = get_agreement_for_user(request.auth, code, agreement_code, write=True)
    version = None
    if payload.version is not None:
        version = agreement.versions.filter(number=payload.version).first()
        if version is None:
            raise ValidationError({"version": _("This agreement has no such version.")})
    comment = services.comment_add(
        actor=request.auth, agreement=agreement, section=payload.section, body=payload.body, version=version
    )
    return Status(201, comment_list(agreement=agreement).get(pk=comment.pk))


@router.post(
    f"{ONE}/comments/{{comment_code}}/resolve",
    response={200: CommentOut, **WRITE},
    summary="Mark a comment resolved (its author or a coordinator)",
)
def comment_resolve(request, code: UUID, agreement_code: UUID, comment_code: UUID):
    comment = get_comment_for_user(request.auth, code, agreement_code, comment_code)
    services.comment_resolve(actor=request.auth, comment=comment)
    return comment_list(agreement=comment.agreement).get(pk=comment.pk)


# Settings, gate, templates --------------------------------------------------------------------------


@router.get(
    "/{code}/agreement-settings",
    response={200: SettingsOut, **READ},
    summary="The confidentiality gate and the reminder periods",
)
def settings_detail(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return settings_for(partnership=partnership)


@router.put(
    "/{code}/agreement-settings",
    response={200: SettingsOut, **WRITE},
    summary="Change the confidentiality gate and the reminder periods (coordinator)",
)
def settings_put(request, code: UUID, payload: SettingsIn):
    partnership = get_partnership_for_user(request.auth, code, manage=True)
    return services.agreement_settings_update(actor=request.auth, partnership=partnership, **payload.dict())


@router.get(
    "/{code}/agreement-gate",
    response={200: GateOut, **READ},
    summary="Whether TLP:AMBER and TLP:RED content is withheld from you, and what to sign",
)
def gate_detail(request, code: UUID):
    partnership = get_partnership_for_user(request.auth, code)
    return confidentiality_status(request.auth, partnership)


@router.get(
    "/{code}/agreement-templates",
    response={200: TemplatesOut, **READ},
    summary="Agreement types, formality levels, and the sections each template requires per level",
)
def template_index(request, code: UUID, lang: LanguageValue | None = None):  # type: ignore[valid-type]
    """The templates in the languages agreements can be written in (``lang``: one of them)."""
    get_partnership_for_user(request.auth, code)
    languages = {value: label for value, label in settings.LANGUAGES if lang in (None, value)}
    return {
        "kinds": [{"value": value, "label": str(label)} for value, label in Kind.choices],
        "formalities": [{"value": value, "label": str(label)} for value, label in Formality.choices],
        "languages": [{"value": value, "label": str(label)} for value, label in settings.LANGUAGES],
        "templates": [t for t in texts.all_templates() if t.language in languages],
    }
