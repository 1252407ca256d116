"""The client's IP address, for the audit trail and login rate limiting.

Without a proxy, ``REMOTE_ADDR``. Behind ``SAFEPACT_TRUSTED_PROXY_COUNT`` reverse proxies that each
append to ``X-Forwarded-For``, the address the outermost trusted proxy saw: counting from the right,
so a client cannot forge it by sending its own header.
"""

from ipaddress import ip_address

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or ""
    count = getattr(settings, "SAFEPACT_TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()
    ]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ip_address(candidate))
    except ValueError:
        return remote
