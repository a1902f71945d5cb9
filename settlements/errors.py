"""Errors the settlement services raise, with a stable code and a translated message."""

from core.errors import Conflict, DomainError


class ContractInvalid(DomainError):
    code = "contract_invalid"

    def __init__(self, message: object, *, field: str = "__all__", code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.field = field


class RunInvalid(DomainError):
    code = "run_invalid"


class RunTransitionRefused(Conflict):
    code = "run_transition_refused"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
