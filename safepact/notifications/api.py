"""API of notifications: my notifications (paginated, newest first, ``?unread=true``), marking them
read, and my email setting. Only ever the caller's own: anyone else's code answers 404."""

from uuid import UUID

from ninja import Router
from ninja.pagination import paginate

from safepact.accounts.schemas import with_errors
from safepact.lib.pagination import LimitOffsetPagination
from safepact.notifications import services
from safepact.notifications.schemas import NotificationOut, ReadAllOut, SettingIn, SettingOut
from safepact.notifications.selectors import get_notification_for_user, notification_list, setting_for

router = Router(tags=["notifications"])


@router.get("", response=list[NotificationOut], summary="My notifications, newest first")
@paginate(LimitOffsetPagination)
def notification_index(request, unread: bool = False):
    return notification_list(user=request.auth, unread=unread)


@router.post(
    "/read-all", response={200: ReadAllOut, **with_errors()}, summary="Mark all my notifications read"
)
def notification_read_all(request):
    return {"marked_read": services.notification_mark_all_read(user=request.auth)}


@router.get("/settings", response={200: SettingOut, **with_errors()}, summary="My email setting")
def setting_get(request):
    return setting_for(user=request.auth)


@router.put(
    "/settings",
    response={200: SettingOut, **with_errors(422)},
    summary="Choose to be emailed at once, in a daily digest, or not at all",
)
def setting_put(request, payload: SettingIn):
    return services.setting_update(user=request.auth, email_mode=payload.email_mode)


@router.post(
    "/{notification_code}/read",
    response={200: NotificationOut, **with_errors()},
    summary="Mark one of my notifications read",
)
def notification_read(request, notification_code: UUID):
    notification = get_notification_for_user(request.auth, notification_code)
    return services.notification_mark_read(user=request.auth, notification=notification)
