"""Formation pages. Each area's views module holds its own ``urlpatterns`` (full paths: partnership pages
under ``p/<uuid:code>/formation/``, the directory under ``directory/``)."""

from safepact.formation.views import (
    austin,
    claimed,
    diligence,
    directory,
    objectives,
    pipeline,
    problem,
    structure,
)

app_name = "formation"
urlpatterns = [
    *claimed.urlpatterns,
    *problem.urlpatterns,
    *directory.urlpatterns,
    *pipeline.urlpatterns,
    *diligence.urlpatterns,
    *objectives.urlpatterns,
    *austin.urlpatterns,
    *structure.urlpatterns,
]
