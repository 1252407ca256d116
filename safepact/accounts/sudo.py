"""A short re-authentication ("sudo") window for sensitive actions."""

import functools
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from safepact.lib import clock

SESSION_KEY = "safepact_sudo_until"


def sudo_grant(request) -> None:
    request.session[SESSION_KEY] = clock.now().timestamp() + settings.SAFEPACT_SUDO_SECONDS


def sudo_active(request) -> bool:
    until = request.session.get(SESSION_KEY)
    return until is not None and clock.now().timestamp() < float(until)


def sudo_required(view):
    """Send the person to confirm their password (and code) first, then back here."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not sudo_active(request):
            return redirect(reverse("accounts:sudo") + "?" + urlencode({"next": request.get_full_path()}))
        return view(request, *args, **kwargs)

    return wrapper
