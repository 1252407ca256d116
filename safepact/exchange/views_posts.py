"""Pages: posts, documents, files, access log, search, settings (being written)."""

from django.http import HttpResponse


def home(request, code):
    return HttpResponse(status=404)
