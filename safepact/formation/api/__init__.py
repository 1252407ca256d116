"""Formation API: one router per area, mounted together at ``/api/v1/``.

Partnership-scoped paths start with ``/partnerships/{code}/``; the directory with ``/directory``.
"""

from ninja import Router

from safepact.formation.api import (
    austin,
    claimed,
    diligence,
    directory,
    objectives,
    pipeline,
    problem,
    structure,
)

router = Router()
for area in (claimed, problem, directory, pipeline, diligence, objectives, austin, structure):
    router.add_router("", area.router)
