"""The base of every error a service raises for a user to read.

Services raise subclasses with a stable ``code`` and a translated
``message`` that says what was wrong and what to do; the API's error body
and the pages both show them as they are.
"""

from django.utils.encoding import force_str


class DomainError(Exception):
    code = "invalid"
    status_code = 400

    def __init__(self, message: object, *, code: str | None = None) -> None:
        self.message = force_str(message)
        if code is not None:
            self.code = code
        super().__init__(self.message)


class NotAllowed(DomainError):
    code = "not_allowed"
    status_code = 403


class Conflict(DomainError):
    code = "conflict"
    status_code = 409
