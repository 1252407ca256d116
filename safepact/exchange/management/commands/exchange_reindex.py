"""``python manage.py exchange_reindex``: rebuild the search index of the information exchange.

For operators: after restoring a backup made without the index, after a migration that rebuilt the
``exchange_searchentry`` table on SQLite, or when search seems to miss items. Every post, document and
information request gets its entry again, in one transaction; searching works throughout (readers see the
old index until the rebuild commits).
"""

from django.core.management.base import BaseCommand

from safepact.exchange.search import reindex_all


class Command(BaseCommand):
    help = "Rebuild the search index of posts, documents and information requests."

    def handle(self, *args, **options):
        counts = reindex_all()
        summary = ", ".join(f"{count} {kind}(s)" for kind, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Search index rebuilt: {summary}."))
