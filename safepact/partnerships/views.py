"""The partnership pages. Thin: parse with a form, fetch through an access helper, call a service, render.

Outsiders get 404 and members without the role 403 (raised by the access helpers in ``selectors``).
The overview serves the full page or, for HTMX requests, its body fragment; the small management
forms on it post with HTMX and get that fragment back, and work as plain forms without JavaScript.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from safepact.accounts.selectors import organisation_list_for_user_memberships
from safepact.accounts.sudo import sudo_required
from safepact.partnerships import hooks, services
from safepact.partnerships.forms import (
    InviteForm,
    MemberRoleForm,
    MemberSignatoryForm,
    MemberStatusForm,
    PartnershipCreateForm,
    PartnershipEditForm,
    PartnerStatusForm,
    SignUpForm,
    apply_service_errors,
    error_summary,
)
from safepact.partnerships.models import MembershipStatus, PartnerStatus, Role
from safepact.partnerships.permissions import can_manage
from safepact.partnerships.selectors import (
    dashboard_for,
    get_invitation_for_user,
    get_membership_for_user,
    get_partner_for_user,
    get_partnership_for_user,
    invitation_account_exists,
    invitation_open_list,
    invite_organisation_choices,
    member_list,
    partner_list,
)

SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"
OWN_ACCESS = gettext_lazy("You cannot take away your own access. Ask another coordinator to do this.")


def _overview_url(code, anchor: str = "") -> str:
    url = reverse("partnerships:overview", kwargs={"code": code})
    return f"{url}#{anchor}" if anchor else url


# Dashboard ---------------------------------------------------------------------------------------


def _attention_text(key: str, count: int) -> str | None:
    params = {"count": count}
    if key == "invitations_open":
        return (
            ngettext(
                "%(count)s invitation is waiting for an answer.",
                "%(count)s invitations are waiting for an answer.",
                count,
            )
            % params
        )
    if key == "invitations_expired":
        return (
            ngettext(
                "%(count)s invitation has expired without an answer.",
                "%(count)s invitations have expired without an answer.",
                count,
            )
            % params
        )
    if key == "partners_candidate":
        return (
            ngettext(
                "%(count)s candidate partner is waiting for a decision.",
                "%(count)s candidate partners are waiting for a decision.",
                count,
            )
            % params
        )
    if key == "partners_suspended":
        return (
            ngettext(
                "%(count)s partner is suspended.",
                "%(count)s partners are suspended.",
                count,
            )
            % params
        )
    return None


ATTENTION_ANCHORS = {
    "invitations_open": "invitations",
    "invitations_expired": "invitations",
    "partners_candidate": "partners",
    "partners_suspended": "partners",
}


@login_required
def dashboard(request):
    cards, panels = dashboard_for(user=request.user)
    for card in cards:
        code = card["partnership"].code
        card["attention_items"] = [
            {"text": text, "url": _overview_url(code, ATTENTION_ANCHORS.get(key, ""))}
            for key, count in card["attention"]
            if (text := _attention_text(key, count))
        ]
        card["attention_items"] += [
            {"text": item.text, "url": item.url} for item in card.get("extra_attention", [])
        ]
    return render(request, "partnerships/dashboard.html", {"cards": cards, "panels": panels})


# Start and edit ------------------------------------------------------------------------------------


@login_required
def create(request):
    organisations = organisation_list_for_user_memberships(user=request.user).order_by("name")
    if not organisations.exists():
        return render(request, "partnerships/create.html", {"form": None})
    form = PartnershipCreateForm(
        request.POST if request.method == "POST" else None,
        organisations=organisations,
        initial={"organisation": organisations.first()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            partnership = services.partnership_create(
                actor=request.user,
                organisation=data["organisation"],
                name=data["name"],
                purpose=data["purpose"],
                country=data["country"],
                crime_areas=data["crime_areas"],
                region=data["region"],
                municipality=data["municipality"],
                listing=data["listing"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, _("Your partnership %(name)s has started.") % {"name": partnership.name}
            )
            return redirect(_overview_url(partnership.code))
    return render(request, "partnerships/create.html", {"form": form})


@login_required
def edit(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    initial = {name: getattr(partnership, name) for name in services.PARTNERSHIP_FIELDS}
    initial["country"] = str(partnership.country)
    form = PartnershipEditForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {name: data[name] for name in services.PARTNERSHIP_FIELDS}
        try:
            services.partnership_update(
                actor=request.user, partnership=partnership, reason=data["reason"], **changes
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("The partnership has been updated."))
            return redirect(_overview_url(partnership.code))
    return render(request, "partnerships/edit.html", {"partnership": partnership, "form": form})


# Overview ------------------------------------------------------------------------------------------


def _render_overview(request, partnership):
    membership = partnership.membership
    is_coordinator = can_manage(membership)
    fragment = bool(request.htmx) and not request.htmx.boosted  # a boosted link wants the whole page
    context = {
        "partnership": partnership,
        "membership": membership,
        "is_coordinator": is_coordinator,
        "partners": partner_list(user=request.user, partnership=partnership),
        "members": member_list(user=request.user, partnership=partnership),
        "invitations": invitation_open_list(user=request.user, partnership=partnership)
        if is_coordinator
        else None,
        "roles": Role.choices,
        "partner_statuses": PartnerStatus.choices,
        "fragment": fragment,
        "sections": [
            {"label": section.label, "url": reverse(section.url_name, args=[partnership.code])}
            for section in hooks.sections()
        ],
        "notices": hooks.notices_for(user=request.user, partnership=partnership),
    }
    template = "partnerships/_overview_body.html" if fragment else "partnerships/overview.html"
    return render(request, template, context)


@login_required
def overview(request, code):
    return _render_overview(request, get_partnership_for_user(request.user, code))


def _back_to_overview(request, code, anchor: str):
    """After a management action: the fresh fragment for HTMX, a redirect otherwise."""
    if request.htmx:
        try:
            partnership = get_partnership_for_user(request.user, code)
        except Http404:  # the action removed the actor's own access
            return HttpResponseClientRedirect(reverse("partnerships:dashboard"))
        return _render_overview(request, partnership)
    return redirect(_overview_url(code, anchor))


def _report(request, form, success: str) -> None:
    if form.errors:
        messages.error(request, error_summary(form))
    else:
        messages.success(request, success)


@login_required
@require_POST
def member_status(request, code, m_code):
    membership = get_membership_for_user(request.user, code, m_code, manage=True)
    form = MemberStatusForm(request.POST)
    if form.is_valid():
        try:
            services.member_set_status(
                actor=request.user,
                membership=membership,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except Http404:  # the service's re-check refused a change that would lock the actor out
            form.add_error(None, OWN_ACCESS)
    if form.cleaned_data.get("status") == MembershipStatus.SUSPENDED:
        success = _("%(name)s has been suspended.") % {"name": membership.user}
    else:
        success = _("%(name)s is active again.") % {"name": membership.user}
    _report(request, form, success)
    return _back_to_overview(request, code, "members")


@login_required
@require_http_methods(["GET", "POST"])
def member_role(request, code, m_code):
    """Role changes are sensitive: check access first (404/403), then ask for a recent confirmation."""
    membership = get_membership_for_user(request.user, code, m_code, manage=True)
    return _member_role_confirmed(request, code=code, membership=membership)


@sudo_required
def _member_role_confirmed(request, *, code, membership):
    if request.method != "POST":  # back from the confirmation page: show the form again
        messages.info(request, _("Your identity is confirmed. Choose the new role again."))
        return redirect(_overview_url(code, "members"))
    form = MemberRoleForm(request.POST)
    if form.is_valid():
        try:
            membership = services.member_set_role(
                actor=request.user,
                membership=membership,
                role=form.cleaned_data["role"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    success = _("New role of %(name)s: %(role)s.") % {
        "name": membership.user,
        "role": membership.get_role_display(),
    }
    _report(request, form, success)
    return _back_to_overview(request, code, "members")


@login_required
@require_http_methods(["GET", "POST"])
def member_signatory(request, code, m_code):
    """Who may sign agreements for an organisation is as sensitive as a role: check access first
    (404/403), then ask for a recent confirmation, like a role change."""
    membership = get_membership_for_user(request.user, code, m_code, manage=True)
    return _member_signatory_confirmed(request, code=code, membership=membership)


@sudo_required
def _member_signatory_confirmed(request, *, code, membership):
    if request.method != "POST":  # back from the confirmation page: show the table again
        messages.info(request, _("Your identity is confirmed. Choose again whether the member may sign."))
        return redirect(_overview_url(code, "members"))
    form = MemberSignatoryForm(request.POST)
    if form.is_valid():
        try:
            membership = services.member_set_signatory(
                actor=request.user,
                membership=membership,
                value=form.cleaned_data["is_signatory"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
    params = {"name": membership.user, "organisation": membership.partner.organisation.name}
    if membership.is_signatory:
        success = _("%(name)s may now sign agreements on behalf of %(organisation)s.") % params
    else:
        success = _("%(name)s may no longer sign agreements on behalf of %(organisation)s.") % params
    _report(request, form, success)
    return _back_to_overview(request, code, "members")


@login_required
@require_POST
def partner_status(request, code, p_code):
    partner = get_partner_for_user(request.user, code, p_code, manage=True)
    form = PartnerStatusForm(request.POST)
    if form.is_valid():
        try:
            partner = services.partner_set_status(
                actor=request.user,
                partner=partner,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except Http404:  # the service's re-check refused a change that would lock the actor out
            form.add_error(None, OWN_ACCESS)
    success = _("New status of %(organisation)s: %(status)s.") % {
        "organisation": partner.organisation.name,
        "status": partner.get_status_display(),
    }
    _report(request, form, success)
    return _back_to_overview(request, code, "partners")


# Invitations ---------------------------------------------------------------------------------------


@login_required
def invite(request, code):
    partnership = get_partnership_for_user(request.user, code, manage=True)
    form = InviteForm(
        request.POST if request.method == "POST" else None,
        organisations=invite_organisation_choices(user=request.user, partnership=partnership),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation, _token = services.invitation_create(
                actor=request.user,
                partnership=partnership,
                email=data["email"],
                role=data["role"],
                organisation=data["organisation"],
                new_organisation=form.new_organisation(),
                message=data["message"],
            )
        except ValidationError as exc:
            apply_service_errors(
                form, exc, rename={"name": "new_name", "kind": "new_kind", "country": "new_country"}
            )
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect(_overview_url(partnership.code, "invitations"))
    return render(request, "partnerships/invite.html", {"partnership": partnership, "form": form})


@login_required
@require_POST
def invitation_revoke(request, code, inv_code):
    invitation = get_invitation_for_user(request.user, code, inv_code)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("The invitation to %(email)s has been revoked.") % {"email": invitation.email}
        )
    return _back_to_overview(request, code, "invitations")


def _invitation_problem(request, problem: str, status: int, invitation=None):
    return render(
        request,
        "partnerships/invitation_accept.html",
        {"problem": problem, "invitation": invitation},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """The link in the invitation email. The token itself is the credential; only its hash is stored."""
    invitation = services.invitation_by_token(token)
    if invitation is None:
        return _invitation_problem(request, "unknown", 404)
    user = request.user
    state = invitation.state
    if state == "accepted":
        if user.is_authenticated and invitation.accepted_by_id == user.pk:
            return redirect(_overview_url(invitation.partnership.code))
        return _invitation_problem(request, "accepted", 410)
    if state in ("expired", "revoked"):
        return _invitation_problem(request, state, 410)

    context = {"invitation": invitation, "problem": None}
    if user.is_authenticated:
        if user.email.lower() != invitation.email.lower():
            return _invitation_problem(request, "wrong_user", 403, invitation)
        if request.method == "POST":
            try:
                services.invitation_accept(user=user, token=token)
            except ValidationError as exc:
                context["error"] = " ".join(exc.messages)
            else:
                messages.success(
                    request, _("Welcome to %(partnership)s.") % {"partnership": invitation.partnership.name}
                )
                return redirect(_overview_url(invitation.partnership.code))
        return render(request, "partnerships/invitation_accept.html", context)

    if invitation_account_exists(invitation=invitation):
        login_url = reverse("accounts:login") + "?" + urlencode({"next": request.get_full_path()})
        context["login_url"] = login_url
        return render(request, "partnerships/invitation_accept.html", context)

    form = SignUpForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.invitation_accept_with_signup(
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                language=getattr(request, "LANGUAGE_CODE", "en"),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, rename={"password": "password1"})
        else:
            login(request, membership.user, backend=SESSION_BACKEND)
            messages.success(
                request, _("Welcome to %(partnership)s.") % {"partnership": invitation.partnership.name}
            )
            return redirect(_overview_url(invitation.partnership.code))
    context["form"] = form
    return render(request, "partnerships/invitation_accept.html", context)
