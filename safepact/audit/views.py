def trail(request, code):
    raise NotImplementedError
