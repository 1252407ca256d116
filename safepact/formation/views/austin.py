"""Pages for the austin area of formation."""

urlpatterns: list = []
