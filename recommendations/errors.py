"""Errors the recommender's services raise for people to read (translated, with a stable code)."""

from __future__ import annotations

from core.errors import Conflict, DomainError


class UnknownModel(DomainError):
    code = "unknown_model"


class BadModelParameters(DomainError):
    code = "bad_model_parameters"


class TrainingRefused(Conflict):
    """Another run of the pipeline is queued or running (single flight)."""

    code = "training_in_progress"


class TrainingNotRetryable(Conflict):
    code = "training_not_retryable"


class TrainingDataMissing(DomainError):
    code = "no_training_data"


class TopMStoreUnavailable(Exception):
    """The top-m store cannot be reached; serving falls back to popularity."""
