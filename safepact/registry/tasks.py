"""Background tasks of the registry: thin wrappers around services (django-tasks, database queue)."""

from django_tasks import task

from safepact.lib.scheduler import register_interval, register_periodic


@task()
def registry_daily() -> dict:
    """The daily job (``registry.daily``): expire alerts past their expiry date, purge the check log beyond
    each partnership's retention window and drop old rate-limit counters."""
    from safepact.registry.services.daily import run_daily

    return run_daily()


@task()
def registry_escalate() -> int:
    """Every few minutes (``registry.escalate``): escalate hits nobody handled within the partnership's
    escalation time (default 12 hours)."""
    from safepact.registry.services.hits import escalate_due_hits

    return escalate_due_hits()


@task()
def registry_check_batch(batch_id: int) -> dict:
    """Check one uploaded batch file (``BatchCheck``), updating its progress as it goes."""
    from safepact.registry.services.checks import batch_run

    return batch_run(batch_id=batch_id)


register_periodic("registry.daily", registry_daily)
register_interval("registry.escalate", registry_escalate)
