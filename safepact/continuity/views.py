"""Pages of continuity (being written)."""

urlpatterns: list = []
