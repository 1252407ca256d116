import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safepact.settings")
application = get_wsgi_application()

# Load the URLconf (and with it every view and the API) now, then take everything loaded so far out of
# the garbage collector's sight: otherwise each full collection walks those objects again, which took
# 90-140 ms under load in the registry benchmark and put the 99th percentile of a check at 32 ms
# instead of 20 (docs/benchmarks.md). The objects loaded at start-up live as long as the process anyway.
get_resolver().url_patterns  # noqa: B018 - imports the views
gc.collect()
gc.freeze()
