"""Pages for the objectives area of formation."""

urlpatterns: list = []
