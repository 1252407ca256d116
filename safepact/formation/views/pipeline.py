"""Pages for the pipeline area of formation."""

urlpatterns: list = []
