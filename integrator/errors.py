"""Domain errors: a stable code for programs and a message for people, in the active language."""


class DomainError(Exception):
    code = "error"
    message = "An error occurred."

    def __init__(self, message=None, **params):
        self.params = params
        if message is not None:
            self.message = message
        super().__init__(str(self))

    def __str__(self):
        return str(self.message) % self.params if self.params else str(self.message)
