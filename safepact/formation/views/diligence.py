"""Pages for the diligence area of formation."""

urlpatterns: list = []
