"""Training runs: requesting one (single-flight, idempotent), running it, the promotion gate,
sweeping runs whose worker died, and retrying.

Locking contract: every state change locks the run row (``select_for_update``)
and goes through :func:`training_run_transition`, which appends a
:class:`~recommendations.models.TrainingRunEvent`. Promotion locks the active
version row before switching, and the database allows one active version only.
The heavy work (reading data, fitting) runs outside any transaction; its result
is committed only if the run is still ``running`` when it finishes, so a run the
sweeper has declared dead never produces a version.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import scipy.sparse as sp
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from recommendations.artifacts import ServingModel, artifact_delete, artifact_dir, artifact_save
from recommendations.conf import recsys_setting
from recommendations.data import Dataset, Snapshot, dataset_build, snapshot_take
from recommendations.errors import (
    BadModelParameters,
    TrainingDataMissing,
    TrainingNotRetryable,
    TrainingRefused,
    UnknownModel,
)
from recommendations.ml.base import ModelError, Recommender, model_class, model_names
from recommendations.ml.evaluation import MAIN_ALIAS, MAIN_MODEL, model_build
from recommendations.ml.interactions import binarize
from recommendations.ml.item_cosine import cosine_similarity_pruned
from recommendations.ml.metrics import ranking_metrics
from recommendations.ml.popularity import PopularityRecommender
from recommendations.ml.progress import Progress
from recommendations.ml.splits import Split, split_random_holdout
from recommendations.models import DEFAULT_PIPELINE, ModelVersion, TrainingRun, TrainingRunEvent
from users.models import User

logger = logging.getLogger("recommendations.training")

NEIGHBOURS_KEPT = 30
PROGRESS_MIN_INTERVAL = 0.5
FALLBACK_BASELINE = "popularity"


# --- Requests -------------------------------------------------------------------------------------------


def model_spec_clean(*, model_name: str | None, params: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """The registered model name (``main`` and none mean the configured model) and its parameters,
    checked by building the model once; raises a translated error for a bad name or parameter."""
    name = model_name or recsys_setting("MODEL")
    if name == MAIN_ALIAS:
        name = MAIN_MODEL
    try:
        model_class(name)
    except ModelError:
        raise UnknownModel(
            _("There is no model called “%(name)s”. Choose one of: %(names)s.")
            % {"name": name, "names": ", ".join(model_names())}
        ) from None
    if params is None:
        params = dict(recsys_setting("MODEL_PARAMS")) if name == recsys_setting("MODEL") else {}
    if not isinstance(params, dict):
        raise BadModelParameters(_("Hyper-parameters must be an object of names and values."))
    try:
        model_build(name, params)
    except (ModelError, TypeError, ValueError) as exc:
        raise BadModelParameters(
            _("The hyper-parameters do not suit the %(name)s model: %(error)s") % {"name": name, "error": exc}
        ) from None
    return name, dict(params)


def _evaluation_protocol() -> dict[str, Any]:
    return {
        "k": int(recsys_setting("EVAL_K")),
        "test_fraction": float(recsys_setting("TEST_FRACTION")),
        "seed": int(recsys_setting("SPLIT_SEED")),
        "kind_weights": dict(recsys_setting("KIND_WEIGHTS")),
        "half_life_days": recsys_setting("HALF_LIFE_DAYS"),
        "cell_cap": recsys_setting("CELL_CAP"),
    }


def training_key(*, snapshot: Snapshot, model_name: str, params: dict[str, Any]) -> str:
    """The idempotency key: the same data, model, parameters and protocol give the same key."""
    payload = {
        "snapshot": snapshot.digest,
        "model": model_name,
        "params": params,
        "protocol": _evaluation_protocol(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class TrainingRequest:
    run: TrainingRun
    # False when an earlier run with the same key answered (queued, running or done).
    created: bool

    @property
    def refused(self) -> bool:
        return self.run.state == TrainingRun.State.REFUSED


def training_run_transition(*, run: TrainingRun, to_state: str, note: str = "", **fields: Any) -> TrainingRun:
    """Move ``run`` to ``to_state`` with ``fields`` set, and append its event.

    The caller holds ``select_for_update`` on the run inside a transaction."""
    if to_state not in TrainingRun.TRANSITIONS[run.state]:
        raise TrainingNotRetryable(
            _("A training run that is %(state)s cannot become %(to)s.")
            % {"state": run.get_state_display(), "to": TrainingRun.State(to_state).label}
        )
    from_state = run.state
    run.state = to_state
    for name, value in fields.items():
        setattr(run, name, value)
    if to_state in TrainingRun.FINAL_STATES:
        run.finished_at = run.finished_at or timezone.now()
    else:
        run.finished_at = None
    run.save()
    TrainingRunEvent.objects.create(run=run, from_state=from_state, to_state=to_state, note=note[:4000])
    return run


def _queue(run: TrainingRun) -> None:
    from recommendations.tasks import train_model

    transaction.on_commit(lambda: train_model.delay(run.pk))


def training_run_request(
    *,
    model_name: str | None = None,
    params: dict[str, Any] | None = None,
    trigger: str = TrainingRun.Trigger.ADMIN,
    requested_by: User | None = None,
    pipeline: str = DEFAULT_PIPELINE,
    enqueue: bool = True,
) -> TrainingRequest:
    """Ask for a model to be trained on the data as it is now.

    - The same data, model and parameters as a run that is queued, running or
      has succeeded: that run is returned (``created`` False), nothing is trained twice.
    - The same as a run that failed: that run is queued again.
    - Another run of the pipeline is queued or running: the request is recorded
      as a ``refused`` run (single flight) and returned.
    - Otherwise a new run is queued; with ``enqueue`` the ``train_model`` task
      is sent once the transaction commits (the ``gpu`` queue)."""
    name, clean_params = model_spec_clean(model_name=model_name, params=params)
    snapshot = snapshot_take()
    key = training_key(snapshot=snapshot, model_name=name, params=clean_params)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _request_locked(
                    key=key,
                    snapshot=snapshot,
                    name=name,
                    params=clean_params,
                    trigger=trigger,
                    requested_by=requested_by,
                    pipeline=pipeline,
                    enqueue=enqueue,
                )
        except IntegrityError:
            # A concurrent request inserted first; look again and answer with what it made.
            continue
    raise TrainingRefused(_("Another training request is being recorded right now. Try again in a moment."))


def _request_locked(
    *,
    key: str,
    snapshot: Snapshot,
    name: str,
    params: dict[str, Any],
    trigger: str,
    requested_by: User | None,
    pipeline: str,
    enqueue: bool,
) -> TrainingRequest:
    same = (
        TrainingRun.objects.select_for_update()
        .filter(idempotency_key=key, state__in=[*TrainingRun.ACTIVE_STATES, TrainingRun.State.SUCCEEDED])
        .first()
    )
    if same is not None:
        return TrainingRequest(run=same, created=False)
    active = TrainingRun.objects.select_for_update().filter(pipeline=pipeline, state__in=TrainingRun.ACTIVE_STATES)
    busy = active.first()
    failed = (
        TrainingRun.objects.select_for_update()
        .filter(idempotency_key=key, state=TrainingRun.State.FAILED)
        .order_by("-pk")
        .first()
    )
    if busy is None and failed is not None:
        training_run_transition(run=failed, to_state=TrainingRun.State.QUEUED, note="requested again", error="")
        if enqueue:
            _queue(failed)
        return TrainingRequest(run=failed, created=False)
    run = TrainingRun(
        pipeline=pipeline,
        model_name=name,
        params=params,
        data_snapshot=snapshot.digest,
        snapshot=snapshot.watermark,
        idempotency_key=key,
        trigger=trigger,
        requested_by=requested_by,
    )
    if busy is not None:
        message = _("Training run #%(run)s is %(state)s; one run at a time. Wait for it to finish.") % {
            "run": busy.pk,
            "state": busy.get_state_display(),
        }
        run.state = TrainingRun.State.REFUSED
        run.finished_at = timezone.now()
        run.error = message
        run.save()
        TrainingRunEvent.objects.create(run=run, from_state="", to_state=run.state, note=message)
        return TrainingRequest(run=run, created=True)
    run.save()
    TrainingRunEvent.objects.create(run=run, from_state="", to_state=run.state, note=f"trigger: {trigger}")
    if enqueue:
        _queue(run)
    return TrainingRequest(run=run, created=True)


def training_run_retry(*, run: TrainingRun, enqueue: bool = True) -> TrainingRun:
    """Queue a failed run again. Refused when it has not failed, or while another run is active."""
    with transaction.atomic():
        locked = TrainingRun.objects.select_for_update().get(pk=run.pk)
        if locked.state != TrainingRun.State.FAILED:
            raise TrainingNotRetryable(
                _("Only a failed run can be retried; run #%(run)s is %(state)s.")
                % {"run": locked.pk, "state": locked.get_state_display()}
            )
        busy = TrainingRun.objects.filter(pipeline=locked.pipeline, state__in=TrainingRun.ACTIVE_STATES).first()
        if busy is not None:
            raise TrainingRefused(
                _("Training run #%(run)s is %(state)s; retry when it has finished.")
                % {"run": busy.pk, "state": busy.get_state_display()}
            )
        done = TrainingRun.objects.filter(
            idempotency_key=locked.idempotency_key, state=TrainingRun.State.SUCCEEDED
        ).first()
        if done is not None:
            raise TrainingNotRetryable(
                _("The same data and parameters were already trained by run #%(run)s.") % {"run": done.pk}
            )
        training_run_transition(
            run=locked, to_state=TrainingRun.State.QUEUED, note="retry", error="", progress_percent=0
        )
        if enqueue:
            _queue(locked)
    return locked


# --- Stale runs -----------------------------------------------------------------------------------------


def training_runs_sweep_stale(*, now: datetime | None = None) -> list[int]:
    """Mark failed every running run whose heartbeat stopped and every queued run no worker took.

    A worker killed mid-training leaves its run ``running`` with an old
    heartbeat; after this it is ``failed`` (the active model keeps serving) and
    can be retried. Returns the ids marked."""
    now = now or timezone.now()
    stale_before = now - timedelta(minutes=float(recsys_setting("STALE_RUN_MINUTES")))
    queued_before = now - timedelta(hours=float(recsys_setting("QUEUED_RUN_HOURS")))
    marked: list[int] = []
    candidates = list(
        TrainingRun.objects.filter(state=TrainingRun.State.RUNNING, heartbeat_at__lt=stale_before).values_list(
            "pk", flat=True
        )
    ) + list(
        TrainingRun.objects.filter(state=TrainingRun.State.QUEUED, created_at__lt=queued_before).values_list(
            "pk", flat=True
        )
    )
    for pk in candidates:
        with transaction.atomic():
            run = TrainingRun.objects.select_for_update().get(pk=pk)
            if run.state == TrainingRun.State.RUNNING and run.heartbeat_at and run.heartbeat_at < stale_before:
                message = _(
                    "The worker stopped reporting (last heartbeat %(at)s); the run was marked failed and the "
                    "active model kept serving. Retry it."
                ) % {"at": timezone.localtime(run.heartbeat_at).strftime("%Y-%m-%d %H:%M:%S")}
            elif run.state == TrainingRun.State.QUEUED and run.created_at < queued_before:
                message = _("No worker on the gpu queue took the run; it was marked failed. Start a worker and retry.")
            else:
                continue
            training_run_transition(run=run, to_state=TrainingRun.State.FAILED, note="stale", error=message)
            marked.append(pk)
    if marked:
        logger.warning("training runs marked failed as stale: %s", marked)
    return marked


# --- Running --------------------------------------------------------------------------------------------


class _Heartbeat:
    """Stamps the run's heartbeat from a background thread while a long step gives no progress."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.interval = float(recsys_setting("HEARTBEAT_SECONDS"))
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name=f"training-heartbeat-{run_id}", daemon=True)

    def _beat(self) -> None:
        try:
            while not self.stop.wait(self.interval):
                try:
                    TrainingRun.objects.filter(pk=self.run_id, state=TrainingRun.State.RUNNING).update(
                        heartbeat_at=timezone.now()
                    )
                except Exception:  # a missed beat is harmless; the next one tries again
                    logger.exception("heartbeat of training run %s failed", self.run_id)
        finally:
            connection.close()

    def __enter__(self) -> _Heartbeat:
        if connection.vendor != "sqlite":
            # SQLite allows one writer; progress reports stamp the heartbeat there instead.
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)


class _ProgressReporter:
    """Turns model progress into the run's percent and message, at most twice a second."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.last = 0.0
        self.band = (0, 100)
        self.label = ""

    def phase(self, start: int, end: int, label: str) -> None:
        self.band = (start, end)
        self.label = label
        self.write(start, label, force=True)

    def write(self, percent: int, message: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_MIN_INTERVAL:
            return
        self.last = now
        TrainingRun.objects.filter(pk=self.run_id, state=TrainingRun.State.RUNNING).update(
            progress_percent=max(0, min(100, int(percent))),
            progress_message=message[:255],
            heartbeat_at=timezone.now(),
        )

    def __call__(self, progress: Progress) -> None:
        start, end = self.band
        percent = start + (end - start) * progress.fraction
        detail = f"{self.label}: {progress.stage} {progress.done}/{progress.total}"
        if "loss" in progress.metrics:
            detail += f" (loss {progress.metrics['loss']:.4f})"
        self.write(int(percent), detail, force=progress.done == progress.total)


def _features_for(model: Recommender, dataset: Dataset) -> dict[str, sp.csr_matrix | None]:
    """Feature matrices for fitting: only the main model uses them (others ignore features)."""
    if model.name == MAIN_MODEL:
        return {
            "user_features": dataset.user_features if dataset.user_features.shape[1] else None,
            "item_features": dataset.item_features if dataset.item_features.shape[1] else None,
        }
    return {"user_features": None, "item_features": None}


def _evaluate(
    model: Recommender,
    dataset: Dataset,
    split: Split,
    *,
    k: int,
    progress: Callable[[Progress], None] | None = None,
) -> dict[str, Any]:
    """Fit ``model`` on the training side (with features where it uses them) and measure it at ``k``."""
    features = _features_for(model, dataset)
    started = time.perf_counter()
    if isinstance(model, PopularityRecommender) and model.within_interests:
        model.fit(split.train, item_features=dataset.item_topics)
        user_features = dataset.user_topics
    else:
        model.fit(split.train, progress=progress, **features)
        user_features = features["user_features"]
    fit_seconds = time.perf_counter() - started
    users = split.test_users
    if len(users) == 0:
        metrics: dict[str, Any] = {
            "k": k,
            "users": 0,
            "precision": 0.0,
            "recall": 0.0,
            "ndcg": 0.0,
            "map": 0.0,
            "hit_rate": 0.0,
            "coverage": 0.0,
        }
    else:
        top = model.recommend(
            split.train[users], k, user_features=None if user_features is None else user_features[users]
        )
        metrics = ranking_metrics(top.items, split.test, users=users, k=k, n_items=split.train.shape[1]).as_dict()
    metrics["fit_seconds"] = round(fit_seconds, 3)
    return metrics


def _same_config(version: ModelVersion, name: str, params: dict[str, Any]) -> bool:
    return version.model_name == name and version.params == params


def promotion_allows(*, candidate_ndcg: float, baseline_ndcg: float | None, tolerance: float) -> bool:
    """The gate: a candidate is promoted unless its NDCG@K is below the baseline's by more than ``tolerance``."""
    return baseline_ndcg is None or candidate_ndcg >= baseline_ndcg - tolerance


def training_run_execute(*, run_id: int, worker: str = "") -> TrainingRun:
    """Train, evaluate, gate and save the model of a queued run.

    Safe to call twice: a run that is not queued is returned as it is (a
    running one whose heartbeat has stopped is first marked failed). Errors
    mark the run failed with the reason and leave the active model serving;
    nothing of the failed attempt is kept."""
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().get(pk=run_id)
        if run.state != TrainingRun.State.QUEUED:
            stale_before = timezone.now() - timedelta(minutes=float(recsys_setting("STALE_RUN_MINUTES")))
            if run.state == TrainingRun.State.RUNNING and run.heartbeat_at and run.heartbeat_at < stale_before:
                transaction.on_commit(lambda: training_runs_sweep_stale())
            return run
        now = timezone.now()
        training_run_transition(
            run=run,
            to_state=TrainingRun.State.RUNNING,
            note=f"worker {worker}" if worker else "",
            started_at=now,
            heartbeat_at=now,
            attempts=run.attempts + 1,
            worker=worker[:255],
            progress_percent=0,
            progress_message="",
            error="",
        )
    tag = f"r{run.pk}-{run.model_name}"
    path = artifact_dir(tag)
    try:
        with _Heartbeat(run.pk):
            version = _train(run, tag=tag)
    except Exception as exc:
        artifact_delete(path)
        message = str(exc) if isinstance(exc, TrainingDataMissing | ModelError) else f"{type(exc).__name__}: {exc}"
        logger.exception("training run %s failed", run.pk)
        with transaction.atomic():
            locked = TrainingRun.objects.select_for_update().get(pk=run.pk)
            if locked.state == TrainingRun.State.RUNNING:
                training_run_transition(
                    run=locked,
                    to_state=TrainingRun.State.FAILED,
                    note=traceback.format_exc()[-3000:],
                    error=message[:2000],
                )
        return TrainingRun.objects.get(pk=run.pk)
    if version is None:
        artifact_delete(path)
    return TrainingRun.objects.get(pk=run.pk)


def _train(run: TrainingRun, *, tag: str) -> ModelVersion | None:
    timings: dict[str, float] = {}
    report = _ProgressReporter(run.pk)
    k = int(recsys_setting("EVAL_K"))

    report.phase(2, 8, _("Reading interactions"))
    started = time.perf_counter()
    snapshot = Snapshot(watermark=run.snapshot, digest=run.data_snapshot)
    dataset = dataset_build(snapshot=snapshot)
    matrix = dataset.interactions.matrix
    timings["data"] = round(time.perf_counter() - started, 3)
    if matrix.nnz == 0:
        raise TrainingDataMissing(_("There are no purchases, ratings or views yet; there is nothing to learn from."))

    split = split_random_holdout(
        matrix, test_fraction=float(recsys_setting("TEST_FRACTION")), seed=int(recsys_setting("SPLIT_SEED"))
    )
    split_info = {
        "kind": "random_holdout",
        "test_fraction": float(recsys_setting("TEST_FRACTION")),
        "seed": int(recsys_setting("SPLIT_SEED")),
        "users_evaluated": len(split.test_users),
        "train_interactions": int(split.train.nnz),
        "test_interactions": int(split.test.nnz),
        "snapshot": run.data_snapshot,
    }

    report.phase(8, 40, _("Evaluating the candidate"))
    started = time.perf_counter()
    candidate_metrics = _evaluate(model_build(run.model_name, run.params), dataset, split, k=k, progress=report)
    timings["evaluate_candidate"] = round(time.perf_counter() - started, 3)

    report.phase(40, 55, _("Evaluating the active model on the same split"))
    started = time.perf_counter()
    active = ModelVersion.objects.filter(is_active=True).first()
    if active is not None and _same_config(active, run.model_name, run.params):
        baseline_metrics, baseline_label = candidate_metrics, active.tag
    elif active is not None:
        try:
            baseline_model = model_build(active.model_name, active.params)
        except ModelError:
            baseline_model = PopularityRecommender(within_interests=True)
        baseline_metrics = _evaluate(baseline_model, dataset, split, k=k, progress=report)
        baseline_label = active.tag
    else:
        baseline_metrics = _evaluate(PopularityRecommender(within_interests=True), dataset, split, k=k)
        baseline_label = FALLBACK_BASELINE
    timings["evaluate_baseline"] = round(time.perf_counter() - started, 3)
    tolerance = float(recsys_setting("PROMOTION_TOLERANCE"))
    promote = promotion_allows(
        candidate_ndcg=candidate_metrics["ndcg"], baseline_ndcg=baseline_metrics["ndcg"], tolerance=tolerance
    )

    report.phase(55, 90, _("Training on all the data"))
    started = time.perf_counter()
    final = model_build(run.model_name, run.params)
    final.fit(matrix, progress=report, **_features_for(final, dataset))
    popularity = PopularityRecommender(within_interests=True).fit(matrix, item_features=dataset.item_topics)
    timings["fit"] = round(time.perf_counter() - started, 3)

    report.phase(90, 97, _("Saving the model"))
    started = time.perf_counter()
    neighbours = cosine_similarity_pruned(binarize(matrix), neighbours=NEIGHBOURS_KEPT)
    serving = ServingModel(
        tag=tag,
        model=final,
        popularity=popularity,
        items=dataset.interactions.items,
        neighbours=neighbours,
        item_vocabulary=dataset.item_vocabulary,
        user_vocabulary=dataset.user_vocabulary,
        topic_vocabulary=dataset.topic_vocabulary,
        newest=dataset.newest,
    )
    path = artifact_save(serving)
    timings["save"] = round(time.perf_counter() - started, 3)

    metrics = {
        **candidate_metrics,
        "split": split_info,
        "baseline": {"label": baseline_label, **baseline_metrics},
    }
    for attribute in ("trained_on", "examples_per_second"):
        value = getattr(final, attribute, None)
        if value is not None:
            metrics[attribute] = value
    note = _("NDCG@%(k)s %(candidate).4f against %(baseline).4f for %(label)s (tolerance %(tolerance)s).") % {
        "k": k,
        "candidate": candidate_metrics["ndcg"],
        "baseline": baseline_metrics["ndcg"],
        "label": baseline_label,
        "tolerance": tolerance,
    }

    with transaction.atomic():
        locked = TrainingRun.objects.select_for_update().get(pk=run.pk)
        if locked.state != TrainingRun.State.RUNNING:
            logger.warning("training run %s finished after it was marked %s; result dropped", run.pk, locked.state)
            return None
        version = ModelVersion.objects.create(
            run=locked,
            tag=tag,
            model_name=run.model_name,
            params=run.params,
            metrics=_json_safe(metrics),
            ndcg=float(candidate_metrics["ndcg"]),
            baseline_ndcg=float(baseline_metrics["ndcg"]),
            baseline_label=baseline_label,
            tolerance=tolerance,
            decision=ModelVersion.Decision.PROMOTED if promote else ModelVersion.Decision.REJECTED,
            decision_note=note,
            artifact_path=str(path),
            n_users=dataset.n_users,
            n_items=dataset.n_items,
            n_interactions=int(matrix.nnz),
        )
        if promote:
            model_version_activate(version=version)
        training_run_transition(
            run=locked,
            to_state=TrainingRun.State.SUCCEEDED,
            note=note,
            timings=timings,
            progress_percent=100,
            progress_message=_("Promoted: %(tag)s serves now.") % {"tag": tag}
            if promote
            else _("Not promoted: %(tag)s is worse than %(label)s.") % {"tag": tag, "label": baseline_label},
        )
    return version


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def model_version_activate(*, version: ModelVersion) -> ModelVersion:
    """Make ``version`` the one that serves and queue the refresh of every user's top-m list.

    Only a promoted version may serve (an earlier one can be brought back). Runs
    inside the caller's transaction (or its own); locks the active row first."""
    if version.decision != ModelVersion.Decision.PROMOTED:
        raise TrainingNotRetryable(
            _("Version %(tag)s was not promoted by the gate, so it cannot serve.") % {"tag": version.tag}
        )
    with transaction.atomic():
        now = timezone.now()
        current = ModelVersion.objects.select_for_update().filter(is_active=True).exclude(pk=version.pk).first()
        if current is not None:
            ModelVersion.objects.filter(pk=current.pk).update(is_active=False, deactivated_at=now)
        ModelVersion.objects.filter(pk=version.pk).update(is_active=True, activated_at=now, deactivated_at=None)
        version.is_active = True
        version.activated_at = now
        version.deactivated_at = None
        version_id = version.pk

        def refresh() -> None:
            from recommendations.tasks import refresh_topm

            refresh_topm.delay(version_id)

        transaction.on_commit(refresh)
    return version


__all__ = [
    "TrainingRequest",
    "model_spec_clean",
    "model_version_activate",
    "promotion_allows",
    "snapshot_take",
    "training_key",
    "training_run_execute",
    "training_run_request",
    "training_run_retry",
    "training_run_transition",
    "training_runs_sweep_stale",
]
