"""Training runs: single flight, idempotency, the promotion gate, stale runs and retries."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from insights.models import Event
from recommendations.errors import TrainingNotRetryable, TrainingRefused
from recommendations.models import ModelVersion, TopMEntry, TrainingRun
from recommendations.selectors import recommendations_for_user
from recommendations.services import (
    promotion_allows,
    training_run_execute,
    training_run_request,
    training_run_retry,
    training_runs_sweep_stale,
)
from recommendations.tasks import refresh_topm
from tests.recommendations import app_fixtures

recsys_settings = app_fixtures.recsys_settings
world = app_fixtures.world

pytestmark = pytest.mark.django_db


def _train(**kwargs):
    """Request and run a training; a promoted version's lists are refreshed as its commit would."""
    request = training_run_request(enqueue=False, **kwargs)
    run = training_run_execute(run_id=request.run.pk, worker="test")
    version = ModelVersion.objects.filter(run=run, is_active=True).first()
    if version is not None:
        refresh_topm(version.pk)
    return run


def test_a_run_trains_evaluates_and_activates_a_version_with_its_artifact(
    recsys_settings, world, django_capture_on_commit_callbacks
):
    # Callbacks run as a real commit would run them: the promotion queues the top-m refresh.
    with django_capture_on_commit_callbacks(execute=True):
        run = _train()
    assert run.state == TrainingRun.State.SUCCEEDED, run.error
    version = run.model_version
    assert version.is_active
    assert version.decision == ModelVersion.Decision.PROMOTED
    assert version.baseline_label == "popularity"
    assert version.metrics["k"] == 10
    assert version.metrics["users"] > 0
    for key in ("ndcg", "recall", "precision", "map", "hit_rate", "coverage", "fit_seconds"):
        assert key in version.metrics
    assert version.metrics["split"]["seed"] == 42
    assert version.ndcg > version.baseline_ndcg  # the clusters are learnable; popularity is not enough
    assert (Path(version.artifact_path) / "model" / "model.json").is_file()
    assert run.progress_percent == 100
    assert [e.to_state for e in run.events.all()] == ["queued", "running", "succeeded"]
    # Promotion refreshed every user's list (tasks run in-process in tests).
    assert TopMEntry.objects.filter(model_version=version.tag).count() == len(world.users)


def test_training_twice_with_the_same_snapshot_and_parameters_creates_one_version(recsys_settings, world):
    first = _train()
    again = training_run_request(enqueue=False)
    assert again.created is False
    assert again.run.pk == first.pk
    training_run_execute(run_id=again.run.pk)
    assert ModelVersion.objects.count() == 1
    assert TrainingRun.objects.count() == 1


def test_new_data_or_new_parameters_make_a_new_run(recsys_settings, world):
    first = _train()
    Event.objects.create(kind=Event.Kind.VIEW, user=world.users[0], product=world.products[1])
    second = training_run_request(enqueue=False)
    assert second.created and second.run.pk != first.pk
    assert second.run.data_snapshot != first.data_snapshot
    training_run_execute(run_id=second.run.pk)
    third = training_run_request(enqueue=False, params={"l2": 50.0})
    assert third.created and third.run.idempotency_key != second.run.idempotency_key


def test_a_second_request_while_one_is_queued_is_refused_and_recorded(recsys_settings, world):
    first = training_run_request(enqueue=False)
    second = training_run_request(enqueue=False, params={"l2": 99.0})
    assert second.refused
    assert f"#{first.run.pk}" in second.run.error
    assert second.run.finished_at is not None
    assert TrainingRun.objects.filter(state__in=["queued", "running"]).count() == 1


def test_the_promotion_gate_refuses_a_worse_model_and_records_both_figures(recsys_settings, world):
    good = _train().model_version
    worse = _train(model_name="popularity", params={}).model_version
    assert worse.decision == ModelVersion.Decision.REJECTED
    assert not worse.is_active
    assert worse.baseline_label == good.tag
    assert worse.ndcg < worse.baseline_ndcg
    good.refresh_from_db()
    assert good.is_active
    assert str(round(worse.ndcg, 4))[:5] in worse.decision_note or "NDCG" in worse.decision_note


def test_gate_tolerance():
    assert promotion_allows(candidate_ndcg=0.30, baseline_ndcg=0.30, tolerance=0.0)
    assert promotion_allows(candidate_ndcg=0.299, baseline_ndcg=0.30, tolerance=0.002)
    assert not promotion_allows(candidate_ndcg=0.29, baseline_ndcg=0.30, tolerance=0.002)
    assert promotion_allows(candidate_ndcg=0.0, baseline_ndcg=None, tolerance=0.0)


def test_a_stale_running_run_is_marked_failed_and_the_active_model_still_serves(recsys_settings, world):
    active = _train().model_version
    Event.objects.create(kind=Event.Kind.VIEW, user=world.users[1], product=world.products[2])
    killed = training_run_request(enqueue=False).run
    # What a worker killed mid-training leaves behind: running, heartbeat long ago.
    long_ago = timezone.now() - timedelta(hours=1)
    TrainingRun.objects.filter(pk=killed.pk).update(state="running", started_at=long_ago, heartbeat_at=long_ago)
    assert training_runs_sweep_stale() == [killed.pk]
    killed.refresh_from_db()
    assert killed.state == TrainingRun.State.FAILED
    assert "heartbeat" in killed.error or "心跳" in killed.error
    served = recommendations_for_user(user=world.users[0], m=5, slot="home")
    assert served.model_version == active.tag
    assert served.source == "model"
    # Retrying works, and produces a version of its own.
    retried = training_run_retry(run=killed, enqueue=False)
    assert retried.state == TrainingRun.State.QUEUED
    done = training_run_execute(run_id=killed.pk)
    assert done.state == TrainingRun.State.SUCCEEDED
    assert ModelVersion.objects.filter(run=done).exists()


def test_a_redelivered_task_for_a_finished_run_changes_nothing(recsys_settings, world):
    run = _train()
    again = training_run_execute(run_id=run.pk)
    assert again.state == TrainingRun.State.SUCCEEDED
    assert ModelVersion.objects.count() == 1


def test_only_failed_runs_can_be_retried(recsys_settings, world):
    run = _train()
    with pytest.raises(TrainingNotRetryable):
        training_run_retry(run=run)


def test_retry_is_refused_while_another_run_is_active(recsys_settings, world):
    failed = training_run_request(enqueue=False).run
    TrainingRun.objects.filter(pk=failed.pk).update(state="failed", finished_at=timezone.now())
    training_run_request(enqueue=False, params={"l2": 5.0})
    with pytest.raises(TrainingRefused):
        training_run_retry(run=failed)


def test_training_without_any_interaction_fails_with_a_clear_message(recsys_settings, db):
    run = _train()
    assert run.state == TrainingRun.State.FAILED
    assert "nothing to learn" in run.error or "无从学习" in run.error
    assert not ModelVersion.objects.exists()


def test_an_unknown_model_is_refused_before_anything_is_queued(recsys_settings, db):
    from recommendations.errors import UnknownModel

    with pytest.raises(UnknownModel):
        training_run_request(model_name="nope", enqueue=False)
    assert not TrainingRun.objects.exists()


def test_the_main_tensorflow_model_trains_through_the_pipeline_with_features(recsys_settings, world):
    run = _train(model_name="main", params={"epochs": 2, "dim": 8, "blend": 0.5})
    assert run.state == TrainingRun.State.SUCCEEDED, run.error
    version = run.model_version
    assert version.model_name == "tf_hybrid"
    assert version.metrics["trained_on"] in {"cpu", "gpu"}
    served = recommendations_for_user(user=world.users[0], m=5, slot="home")
    assert served.source == "model"
