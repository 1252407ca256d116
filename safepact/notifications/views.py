"""Pages of notifications (being written)."""

urlpatterns: list = []
