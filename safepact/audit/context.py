"""Per-request context for audit events (the client IP), set by middleware."""

from contextvars import ContextVar

current_ip: ContextVar[str] = ContextVar("safepact_audit_ip", default="")


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(request.META.get("REMOTE_ADDR", "") or "")
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
