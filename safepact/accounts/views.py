from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from safepact.accounts.services import user_set_language


def lockout(request, credentials, *args, **kwargs):
    """Placeholder replaced by the login views (django-axes lockout response)."""
    from django.http import HttpResponse

    return HttpResponse(status=429)


@require_POST
def set_language(request):
    """Switch language: stored in a cookie, and on the profile of a logged-in person."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language in dict(settings.LANGUAGES):
        if request.user.is_authenticated:

            user_set_language(user=request.user, language=language)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def login_view(request):
    raise NotImplementedError


logout_view = profile = two_factor_setup = sudo_view = login_view
