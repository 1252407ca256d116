def dashboard(request):
    raise NotImplementedError


overview = invitation_accept = dashboard
