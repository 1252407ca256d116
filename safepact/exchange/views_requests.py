"""Pages: information requests, Five Safes assessments, the data-sharing register (being written)."""

from django.http import HttpResponse


def request_list(request, code):
    return HttpResponse(status=404)
