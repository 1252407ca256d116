"""Partner pages (stub until the pages land)."""

from django.http import Http404


def home(request, **kwargs):
    raise Http404


def check(request, **kwargs):
    raise Http404


def checks(request, **kwargs):
    raise Http404


def batches(request, **kwargs):
    raise Http404


def batch_new(request, **kwargs):
    raise Http404


def batch(request, **kwargs):
    raise Http404


def batch_results(request, **kwargs):
    raise Http404
