"""Pages for the structure area of formation."""

urlpatterns: list = []
