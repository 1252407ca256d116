"""Background tasks of agreements: thin wrappers around services (django-tasks, database queue)."""

from django_tasks import task


@task()
def agreement_reminders() -> dict:
    """The daily job (periodic ``agreements.reminders``): expiry, then review/expiry reminders, once each."""
    from safepact.agreements.reminders import send_reminders

    return send_reminders().as_dict()
