"""Pages for the claimed area of formation."""

urlpatterns: list = []
