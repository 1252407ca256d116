"""Background tasks of formation: thin wrappers around services (django-tasks, database queue)."""

from django_tasks import task


@task()
def formation_reminders() -> int:
    """The daily job (periodic ``formation.reminders``): due-diligence reassessments due, once a day."""
    from safepact.formation.services.diligence import reminders_send

    return reminders_send()
