"""Background tasks of the exchange: thin wrappers around services (django-tasks, database queue)."""

from django_tasks import task


@task()
def exchange_daily() -> dict:
    """The daily job (periodic job ``exchange.daily``): reminders before request deadlines, overdue requests
    and their escalation, the register's review reminders and the retention purge."""
    from safepact.exchange.services.daily import run_daily

    return run_daily()
