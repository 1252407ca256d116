"""Pages of notifications: my notifications (newest first, paginated), marking them read, the unread
badge of the navigation (an HTMX fragment the base template loads lazily) and the email setting.

Only ever the person's own notifications: anyone else's code answers 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from safepact.lib.tlp import TLP
from safepact.notifications import services
from safepact.notifications.emails import is_restricted
from safepact.notifications.forms import SettingForm
from safepact.notifications.selectors import (
    get_notification_for_user,
    notification_list,
    setting_for,
    unread_count,
)

PER_PAGE = 25


def _decorate(notification):
    """What the item template needs: the label as a ``TLP`` and whether the body is withheld."""
    notification.tlp_label = TLP(notification.tlp)
    notification.restricted = is_restricted(notification)
    return notification


def _safe_next(request) -> str | None:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@login_required
@require_GET
def notification_list_view(request):
    unread = request.GET.get("unread") in ("1", "true")
    found = notification_list(user=request.user, unread=unread)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = [_decorate(notification) for notification in page.object_list]
    context = {"page": page, "unread": unread, "unread_total": unread_count(user=request.user)}
    template = "notifications/_results.html" if request.htmx and not request.htmx.boosted else None
    return render(request, template or "notifications/list.html", context)


@login_required
@require_POST
def notification_read(request, notification_code):
    notification = get_notification_for_user(request.user, notification_code)
    services.notification_mark_read(user=request.user, notification=notification)
    target = _safe_next(request)
    if target:
        return redirect(target)
    if request.htmx:
        return render(request, "notifications/_item.html", {"notification": _decorate(notification)})
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request):
    count = services.notification_mark_all_read(user=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)d notification was marked read.", "%(count)d notifications were marked read.", count
        )
        % {"count": count},
    )
    return redirect("notifications:list")


@login_required
def notification_settings(request):
    current = setting_for(user=request.user)
    form = SettingForm(
        request.POST if request.method == "POST" else None, initial={"email_mode": current.email_mode}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.setting_update(user=request.user, email_mode=form.cleaned_data["email_mode"])
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            messages.success(request, _("Your notification settings were saved."))
            return redirect("notifications:settings")
    return render(request, "notifications/settings.html", {"form": form})


@require_GET
def notification_badge(request):
    """The unread count for the navigation; empty for anonymous visitors (never a login redirect)."""
    if not request.user.is_authenticated:
        return HttpResponse("")
    response = render(request, "notifications/_badge.html", {"count": unread_count(user=request.user)})
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("notifications/", notification_list_view, name="list"),
    path("notifications/read-all/", notification_read_all, name="read_all"),
    path("notifications/settings/", notification_settings, name="settings"),
    path("notifications/badge/", notification_badge, name="badge"),
    path("notifications/<uuid:notification_code>/read/", notification_read, name="read"),
]
