"""The first authentication backend: refuses a locked-out username or address before any password
is checked (django-axes), then ``ModelBackend`` checks the password."""

from axes.backends import AxesStandaloneBackend


class LoginAttemptsBackend(AxesStandaloneBackend):
    """Axes' check for every login that comes with a request (the login page, the admin's).

    ``authenticate()`` without a request is a program's, not a person's at the door (the test
    client's ``login()``, a shell): nothing to count it against, so it is let through to the next
    backend. API keys never pass through here (``tenants.api_auth``)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
