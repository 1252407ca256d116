from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from safepact.accounts.policy import two_factor_required


class UserLanguageMiddleware:
    """A logged-in person sees the language of their profile; others the cookie or browser choice.

    Runs after LocaleMiddleware and AuthenticationMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class TwoFactorRequiredMiddleware:
    """People who must use 2FA reach nothing but the set-up page until they have verified a code."""

    ALLOWED_PREFIXES = ("/static/", "/healthz", "/i18n/", "/account/logout", "/account/2fa/setup")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not user.is_verified()
            and two_factor_required(user)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": _("Two-factor authentication is required."), "code": "2fa_required"},
                    status=403,
                )
            return redirect(reverse("accounts:2fa_setup"))
        return self.get_response(request)
