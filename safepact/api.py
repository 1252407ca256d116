"""The one JSON API, at /api/v1/. One router per app; errors are {"detail": ..., "code": ...}."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer

from safepact.accounts.services import api_token_authenticate


class BearerToken(HttpBearer):
    """``Authorization: Bearer sp_…`` with a personal API token."""

    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
            request.auth_method = "token"
        return user


class SessionCookie(APIKeyCookie):
    """The browser session, with CSRF protection on unsafe methods."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = "Session cookie of a logged-in browser (CSRF token required for writes)."

    def _get_key(self, request):
        # No session, nothing to protect: answer 401 (not a CSRF 403) to an anonymous request.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            request.auth_method = "session"
            return user
        return None


def _null_character_at(value, path: tuple = ()):
    """The path of the first string holding a NUL character (PostgreSQL cannot store one), or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return (*path, key)
        found = _null_character_at(item, (*path, key))
        if found is not None:
            return found
    return None


class SafeParser(Parser):
    """JSON bodies and query strings without NUL characters: 422 naming the field, never a database 500."""

    def _refuse(self, source: str, path: tuple):
        raise NinjaValidationError(
            [
                {
                    "loc": [source, *path],
                    "msg": "text must not contain NUL (\\u0000) characters",
                    "type": "null",
                }
            ]
        )

    def parse_body(self, request):
        data = super().parse_body(request)
        path = _null_character_at(data)
        if path is not None:
            self._refuse("body", path)
        return data

    def parse_querydict(self, data, list_fields, request):
        parsed = super().parse_querydict(data, list_fields, request)
        path = _null_character_at({k: v for k, v in parsed.items() if isinstance(v, (str, list))})
        if path is not None:
            self._refuse("query", path)
        return parsed


api = NinjaAPI(
    parser=SafeParser(),
    title="SafePact API",
    version="1",
    description=(
        "JSON API of SafePact. Authenticate with a personal token (`Authorization: Bearer …`, "
        "created on your profile page) or a browser session. Partnership-scoped resources nest under "
        "`/partnerships/{code}/`. Lists take `limit` and `offset`. Errors are "
        '`{"detail": "...", "code": "..."}`: 401 without credentials, 404 for anything you may not see, '
        "403 when your role does not allow the action, 422 for bad input."
    ),
    urls_namespace="api",
    auth=[BearerToken(), SessionCookie(csrf=True)],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request, status: int, detail, code: str):
    return api.create_response(request, {"detail": detail, "code": code}, status=status)


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, str(exc) or "Not found.", "not_found")


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _error(request, 403, str(exc) or "You do not have permission to do this.", "forbidden")


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return _error(request, 401, "Authentication required: send a bearer token or log in.", "unauthenticated")


@api.exception_handler(HttpError)
def http_error(request, exc):
    """Errors ninja raises itself: unparsable body (400), CSRF refused (403), throttled (429), ..."""
    from django.utils.translation import gettext as _

    if isinstance(
        exc.__cause__, NinjaValidationError
    ):  # our parser refused a value (ninja wraps it in a 400)
        return invalid_request(request, exc.__cause__)
    codes = {
        400: "bad_request",
        403: "forbidden",
        405: "method_not_allowed",
        409: "conflict",
        429: "throttled",
    }
    detail, code = str(exc), codes.get(exc.status_code, "error")
    if exc.status_code == 400 and detail.startswith("Cannot parse request body"):
        detail, code = (
            _("%(field)s: the request body is not valid JSON.") % {"field": "body"},
            "malformed_json",
        )
    elif exc.status_code == 403 and "CSRF" in detail:
        detail = _("CSRF check failed: send the X-CSRFToken header with a write in a browser session.")
        code = "csrf"
    return _error(request, exc.status_code, detail, code)


@api.exception_handler(ValidationError)
def invalid(request, exc):
    if hasattr(exc, "error_dict"):
        fields = {
            name: [str(m) for e in errors for m in e.messages] for name, errors in exc.error_dict.items()
        }
        first = next(iter(fields.items()))
        detail = f"{first[0]}: {first[1][0]}" if first[0] != "__all__" else first[1][0]
        return api.create_response(
            request, {"detail": detail, "code": "invalid", "fields": fields}, status=422
        )
    return _error(request, 422, " ".join(exc.messages), "invalid")


@api.exception_handler(NinjaValidationError)
def invalid_request(request, exc):
    first = exc.errors[0] if exc.errors else {}
    loc = list(first.get("loc", []))
    if loc and loc[0] in ("body", "query", "path", "header", "cookie", "form", "file"):
        loc = loc[1:]
    where = ".".join(str(p) for p in loc if p != "payload")
    detail = f"{where}: {first.get('msg', 'invalid')}" if where else first.get("msg", "invalid input")
    return api.create_response(
        request, {"detail": detail, "code": "invalid", "errors": exc.errors}, status=422
    )


from safepact.accounts.api import router as accounts_router  # noqa: E402
from safepact.agreements.api import router as agreements_router  # noqa: E402
from safepact.audit.api import router as audit_router  # noqa: E402
from safepact.continuity.api import router as continuity_router  # noqa: E402
from safepact.exchange.api import router as exchange_router  # noqa: E402
from safepact.formation.api import router as formation_router  # noqa: E402
from safepact.meetings.api import personal_router as my_meetings_router  # noqa: E402
from safepact.meetings.api import router as meetings_router  # noqa: E402
from safepact.notifications.api import router as notifications_router  # noqa: E402
from safepact.partnerships.api import organisations_router  # noqa: E402
from safepact.partnerships.api import router as partnerships_router  # noqa: E402
from safepact.registry.api import router as registry_router  # noqa: E402

api.add_router("/", accounts_router)
api.add_router("/organisations", organisations_router)
api.add_router("/partnerships", partnerships_router)
api.add_router("/partnerships", audit_router)
api.add_router("/partnerships", agreements_router)
api.add_router("/", formation_router)
api.add_router("/partnerships", meetings_router)
api.add_router("/meetings", my_meetings_router)
api.add_router("/partnerships", continuity_router)
api.add_router("/partnerships", exchange_router)
api.add_router("/partnerships", registry_router)
api.add_router("/notifications", notifications_router)
