"""Background tasks of continuity: thin wrappers around services (django-tasks, database queue)."""

from django_tasks import task


@task()
def continuity_daily() -> dict:
    """The daily job (periodic job ``continuity.daily``): open the reports of ended periods, remind late
    partners, tell coordinators of late sections."""
    from safepact.continuity.services import run_daily

    result = run_daily()
    return {
        "reports_opened": result.reports_opened,
        "reminders_sent": result.reminders_sent,
        "escalations": result.escalations,
    }
