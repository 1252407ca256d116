"""Pages of meetings (being written)."""

urlpatterns: list = []
