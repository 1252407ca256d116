"""Pages for the directory area of formation."""

urlpatterns: list = []
