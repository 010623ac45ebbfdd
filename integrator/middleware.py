from django.conf import settings
from django.utils import translation


class PortalLanguageMiddleware:
    """Turkish unless the person chose otherwise.

    The portal speaks the language kept in the language cookie (set by Django's ``set_language``
    view) and Turkish otherwise, whatever the browser asks for. The API, used by programs, follows
    ``Accept-Language``, as do the SOAP clients that push envelopes to us.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if request.path.startswith(("/api/", "/gib/")):  # programs: the API, and SOAP clients pushing to us
            language = translation.get_language_from_request(request)
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
