"""Wiring at start-up (``RegistryConfig.ready``): audit labels (of the actions, and of registry objects as
targets: references only, see ``audit_labels``), the partnership's "Registry" section, the demo and the
background jobs (daily: alert expiry and the check-log purge; every few minutes: hit escalation)."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from safepact.partnerships.hooks import register_demo, register_section
    from safepact.registry import audit_labels, tasks  # noqa: F401 - tasks registers the periodic jobs
    from safepact.registry.demo import registry_demo
    from safepact.registry.services import alerts, checks, transfer

    for part in (audit_labels, alerts, checks, transfer):
        part.register()
    register_section(_("Registry"), "registry:home")
    register_demo(registry_demo)
