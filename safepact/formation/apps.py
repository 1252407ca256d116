import importlib

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

AREAS = ("claimed", "problem", "directory", "pipeline", "diligence", "objectives", "austin", "structure")
# Modules of ``services`` with a ``register()`` besides the areas: the formation part of ``manage.py demo``.
EXTRAS = ("demo",)


class FormationConfig(AppConfig):
    name = "safepact.formation"
    label = "formation"
    verbose_name = _("Forming a partnership")

    def ready(self):
        # Each area may hook into partnerships (sections, attention, partner activation) and the
        # audit trail's action labels through a ``register()`` in its services module.
        for area in (*AREAS, *EXTRAS):
            module = importlib.import_module(f"safepact.formation.services.{area}")
            register = getattr(module, "register", None)
            if register is not None:
                register()
        from safepact.formation.tasks import formation_reminders
        from safepact.lib.scheduler import register_periodic

        register_periodic("formation.reminders", formation_reminders)
