"""Account pages: login (with the second step), logout, 2FA set-up, sudo, profile, API tokens."""

import base64
import functools
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_otp import login as otp_login

from safepact.accounts import selectors, services
from safepact.accounts.forms import (
    ApiTokenCreateForm,
    LoginCodeForm,
    LoginForm,
    NewPasswordForm,
    PasswordResetRequestForm,
    ProfileForm,
    SudoForm,
    TwoFactorConfirmForm,
)
from safepact.accounts.policy import has_confirmed_device, two_factor_required
from safepact.accounts.services import user_set_language
from safepact.accounts.sudo import sudo_active, sudo_grant
from safepact.lib import clock

PENDING_KEY = "safepact_pending_login"
PENDING_SECONDS = 5 * 60
# Wrong codes per password step; they also count towards the django-axes lockout (AXES_FAILURE_LIMIT).
CODE_TRIES = 3
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _safe_next(request, candidate: str | None, default: str | None = None) -> str:
    """``candidate`` when it points at this site, else ``default`` (the dashboard)."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or reverse(settings.LOGIN_REDIRECT_URL)


def lockout(request, original_response=None, credentials=None, *args, **kwargs):
    """django-axes calls this when an email+IP pair has failed too often."""
    if hasattr(request, "session"):
        request.session.pop(PENDING_KEY, None)
    cooloff_minutes = (
        int(settings.AXES_COOLOFF_TIME.total_seconds() // 60) if settings.AXES_COOLOFF_TIME else 0
    )
    if request.path.startswith(
        "/api/"
    ):  # API callers (e.g. signing with a password) get the API's error shape
        detail = _("Too many failed attempts. Try again in %(minutes)s minutes.") % {
            "minutes": cooloff_minutes
        }
        return JsonResponse({"detail": detail, "code": "locked_out"}, status=429)
    return render(request, "accounts/lockout.html", {"cooloff_minutes": cooloff_minutes}, status=429)


@require_POST
def set_language(request):
    """Switch language: stored in a cookie, and on the profile of a logged-in person."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in dict(settings.LANGUAGES):
        if request.user.is_authenticated:
            user_set_language(user=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


# Login -----------------------------------------------------------------------------------------


def _finish_login(request, user, device=None, next_url: str = ""):
    auth_login(request, user, backend=MODEL_BACKEND)
    if device is not None:
        otp_login(request, device)
    services.user_record_login(user=user, second_factor=device is not None)
    return redirect(_safe_next(request, next_url))


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request, next_url))
    form = LoginForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        user = form.user
        if has_confirmed_device(user):
            request.session.cycle_key()
            request.session[PENDING_KEY] = {
                "user": user.pk,
                "at": clock.now().timestamp(),
                "tries": 0,
                "next": _safe_next(request, next_url),
            }
            return redirect("accounts:login_code")
        return _finish_login(request, user, next_url=next_url)
    return render(request, "accounts/login.html", {"form": form, "next": next_url})


def _pending_login(request):
    """The pending login in the session, or None when there is none or it is older than 5 minutes."""
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    age = clock.now().timestamp() - float(pending.get("at", 0))
    if age < 0 or age > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    return pending


@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request):
    """Second step of the login: the six-digit code of the authenticator app."""
    pending = _pending_login(request)
    user = selectors.user_pending_login(user_id=pending["user"]) if pending else None
    device = selectors.totp_device_confirmed(user=user) if user else None
    if device is None:
        request.session.pop(PENDING_KEY, None)
        messages.warning(request, _("Your login took too long or was interrupted. Please log in again."))
        return redirect("accounts:login")
    form = LoginCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _details = device.verify_is_allowed()
        if not allowed:
            # django-otp slows down guessing: after a wrong code the device refuses for a moment.
            form.add_error("token", _("Too many wrong codes in a short time. Wait a moment and try again."))
        elif device.verify_token(form.cleaned_data["token"]):
            request.session.pop(PENDING_KEY, None)
            return _finish_login(request, user, device, pending.get("next", ""))
        else:
            # A wrong code also counts as a failed login for django-axes (same email+IP lockout).
            user_login_failed.send(sender=__name__, credentials={"username": user.email}, request=request)
            pending["tries"] = int(pending.get("tries", 0)) + 1
            if pending["tries"] >= CODE_TRIES:
                request.session.pop(PENDING_KEY, None)
                messages.error(request, _("Too many wrong codes. Log in again with your password."))
                return redirect("accounts:login")
            request.session[PENDING_KEY] = pending
            form.add_error("token", _("That code is not right. Check the time on your phone and try again."))
    return render(
        request,
        "accounts/login_code.html",
        {"form": form, "tries_left": CODE_TRIES - int(pending.get("tries", 0))},
    )


@require_POST
def logout_view(request):
    auth_logout(request)
    messages.success(request, _("You are logged out."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


# Two-factor set-up -------------------------------------------------------------------------------


def _qr_context(device) -> dict:
    url = device.config_url
    return {
        "device": device,
        "qr_svg": segno.make(url, error="m").svg_inline(
            scale=4,
            dark="#000000",
            light="#ffffff",
            svgid="totp-qr",
            svgclass="qr-code",
            title=_("QR code to add SafePact to your authenticator app"),
            desc=_("Scan it with your authenticator app, or type the secret key shown next to it."),
        ),
        "secret": base64.b32encode(device.bin_key).decode("ascii").rstrip("="),
        "config_url": url,
    }


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    """Enrol an authenticator app (QR code), or verify this session with the one you have."""
    user = request.user
    confirmed = selectors.totp_device_confirmed(user=user)
    next_url = _safe_next(
        request, request.POST.get("next") or request.GET.get("next"), reverse("accounts:profile")
    )
    action = request.POST.get("action", "")
    replace = request.GET.get("replace") == "1" or request.POST.get("replace") == "1"

    # Already enrolled but this session is not verified yet: ask for a code of the existing app.
    if confirmed is not None and not user.is_verified():
        form = TwoFactorConfirmForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            allowed, _details = confirmed.verify_is_allowed()
            if not allowed:
                form.add_error(
                    "token", _("Too many wrong codes in a short time. Wait a moment and try again.")
                )
            elif confirmed.verify_token(form.cleaned_data["token"]):
                otp_login(request, confirmed)
                messages.success(request, _("Thank you, your code is verified."))
                return redirect(next_url)
            else:
                form.add_error(
                    "token", _("That code is not right. Check the time on your phone and try again.")
                )
        return render(request, "accounts/2fa_verify.html", {"form": form, "next": next_url})

    if confirmed is not None and not replace:
        return render(request, "accounts/2fa_status.html", {"device": confirmed})

    if confirmed is not None and replace and not sudo_active(request):
        return redirect(reverse("accounts:sudo") + "?" + urlencode({"next": request.get_full_path()}))

    if request.method == "POST" and action == "restart":
        services.totp_device_start(user=user)
        return redirect(reverse("accounts:2fa_setup") + ("?replace=1" if replace else ""))

    pending = selectors.totp_device_pending(user=user) or services.totp_device_start(user=user)
    form = TwoFactorConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not pending.verify_is_allowed()[0]:
        form.add_error("token", _("Too many wrong codes in a short time. Wait a moment and try again."))
    elif request.method == "POST" and form.is_valid():
        try:
            device = services.totp_device_confirm(user=user, device=pending, token=form.cleaned_data["token"])
        except ValidationError as exc:
            for message in exc.message_dict.get("token", exc.messages):
                form.add_error("token", message)
        else:
            otp_login(request, device)
            messages.success(
                request, _("Two-factor authentication is on. You will need a code when you log in.")
            )
            return redirect(next_url)
    context = {"form": form, "replace": replace, "required": two_factor_required(user), "next": next_url}
    context.update(_qr_context(pending))
    return render(request, "accounts/2fa_setup.html", context)


def _sudo_guard(view):
    """Like ``sudo_required``, but safe for POST-only and HTMX actions: come back to ``next`` or the profile."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if sudo_active(request):
            return view(request, *args, **kwargs)
        back = request.get_full_path() if request.method == "GET" else reverse("accounts:profile")
        url = reverse("accounts:sudo") + "?" + urlencode({"next": back})
        if request.method != "GET":
            messages.info(request, _("Confirm your password first, then try again."))
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return redirect(url)

    return wrapper


@login_required
@require_POST
@_sudo_guard
def two_factor_remove(request):
    if two_factor_required(request.user):
        messages.error(
            request,
            _(
                "You cannot turn off two-factor authentication: your role requires it. You can set up a new app."
            ),
        )
        return redirect("accounts:profile")
    services.totp_device_remove(user=request.user)
    messages.success(request, _("Two-factor authentication is off."))
    return redirect("accounts:profile")


# Sudo ---------------------------------------------------------------------------------------------


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def sudo_view(request):
    """Confirm your password (and code) to open a short window for sensitive actions."""
    next_url = _safe_next(
        request, request.POST.get("next") or request.GET.get("next"), reverse("accounts:profile")
    )
    device = selectors.totp_device_confirmed(user=request.user)
    form = SudoForm(request.POST or None, request=request, device=device)
    if request.method == "POST" and form.is_valid():
        sudo_grant(request)
        if device is not None and not request.user.is_verified():
            otp_login(request, device)
        return redirect(next_url)
    minutes = max(1, settings.SAFEPACT_SUDO_SECONDS // 60)
    return render(request, "accounts/sudo.html", {"form": form, "next": next_url, "minutes": minutes})


# Profile and API tokens ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    user = request.user
    initial = {"full_name": user.full_name, "language": user.language}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_profile(user=user, full_name=form.cleaned_data["full_name"])
            user_set_language(user=user, language=form.cleaned_data["language"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            response = redirect("accounts:profile")
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                user.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            with translation.override(user.language):
                messages.success(request, _("Your profile is saved."))
            return response
    context = {
        "form": form,
        "memberships": selectors.organisation_memberships(user=user).order_by("organisation__name"),
        "device": selectors.totp_device_confirmed(user=user),
        "two_factor_required": two_factor_required(user),
        "tokens": selectors.api_token_list(user=user),
        "sudo": sudo_active(request),
    }
    return render(request, "accounts/profile.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@_sudo_guard
def token_create(request):
    form = ApiTokenCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.api_token_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            # never_cache: the page with the secret must not be kept by the browser or a proxy.
            return render(request, "accounts/token_created.html", {"token": token, "secret": secret})
    return render(request, "accounts/token_create.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
@_sudo_guard
def token_revoke(request, code):
    token = selectors.api_token_for_user(user=request.user, code=code)
    if request.method == "POST":
        token = services.api_token_revoke(user=request.user, token=token)
        if request.htmx:
            return render(request, "accounts/_token_row.html", {"token": token, "announce": True})
        messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
        return redirect(reverse("accounts:profile") + "#tokens")
    return render(request, "accounts/token_revoke.html", {"token": token})


# Password reset -------------------------------------------------------------------------------------


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetRequestForm
    template_name = "registration/reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    html_email_template_name = None
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def get_extra_email_context(self):
        return {"site_url": settings.SITE_URL}

    def form_valid(self, form):
        self.extra_email_context = self.get_extra_email_context()
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = NewPasswordForm
    template_name = "registration/reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")
    post_reset_login = False


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/reset_complete.html"
