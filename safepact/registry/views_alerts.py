"""Law-enforcement pages (stub until the pages land)."""

from django.http import Http404


def alerts(request, **kwargs):
    raise Http404


def alert_new(request, **kwargs):
    raise Http404


def alert(request, **kwargs):
    raise Http404


def alert_edit(request, **kwargs):
    raise Http404


def alert_status(request, **kwargs):
    raise Http404


def identifier_new(request, **kwargs):
    raise Http404


def identifier_delete(request, **kwargs):
    raise Http404


def hits(request, **kwargs):
    raise Http404


def hit(request, **kwargs):
    raise Http404


def hit_decide(request, **kwargs):
    raise Http404


def overlaps(request, **kwargs):
    raise Http404


def overlap_resolve(request, **kwargs):
    raise Http404


def search(request, **kwargs):
    raise Http404


def import_alerts(request, **kwargs):
    raise Http404


def export(request, **kwargs):
    raise Http404


def registry_settings(request, **kwargs):
    raise Http404
