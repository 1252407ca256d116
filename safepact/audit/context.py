"""Per-request context for audit events (the client IP), set by middleware."""

from contextvars import ContextVar

from safepact.lib.client_ip import client_ip

current_ip: ContextVar[str] = ContextVar("safepact_audit_ip", default="")


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
