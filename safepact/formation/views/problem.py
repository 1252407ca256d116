"""Pages for the problem area of formation."""

urlpatterns: list = []
