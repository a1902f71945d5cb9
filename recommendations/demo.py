"""The demo's recommender: trained on the demo orders, reviews and events, with every top-m list filled.

Which model: the main model (``tf_hybrid``) needs enough users to learn
anything and to pick its blend on a held-out part; the demo world has a handful
of shoppers. With fewer than ``MIN_USERS_FOR_MAIN_MODEL`` users with
interactions (200 by default) the demo trains EASE — on these data the
strongest cheap model (Steck 2019; see ``docs/recommender.md``), closed form,
well under a second here — and otherwise the main model with few epochs
(``DEMO_MAIN_PARAMS``), which takes seconds on a CPU. The run goes through the
same services as production (snapshot, evaluation, gate, artifact, top-m), in
process. Running the demo again with unchanged data trains nothing: the
request finds the earlier run by its idempotency key.
"""

from __future__ import annotations

from typing import Any

from recommendations.conf import recsys_setting
from recommendations.data import interaction_records
from recommendations.models import ModelVersion, TrainingRun

DEMO_CHEAP_MODEL = ("ease", {"l2": 10.0})
DEMO_MAIN_PARAMS = {"epochs": 5, "dim": 32}


def demo_model_choice() -> tuple[str, dict[str, Any]]:
    users = len(set(interaction_records().users))
    if users >= int(recsys_setting("MIN_USERS_FOR_MAIN_MODEL")):
        return "tf_hybrid", dict(DEMO_MAIN_PARAMS)
    return DEMO_CHEAP_MODEL[0], dict(DEMO_CHEAP_MODEL[1])


def load(*, stdout: Any = None) -> str:
    from recommendations.services import training_run_execute, training_run_request
    from recommendations.tasks import refresh_topm

    name, params = demo_model_choice()
    request = training_run_request(model_name=name, params=params, trigger=TrainingRun.Trigger.DEMO, enqueue=False)
    run = request.run
    if run.state == TrainingRun.State.QUEUED:
        run = training_run_execute(run_id=run.pk, worker="demo")
    if run.state == TrainingRun.State.FAILED:
        return f"(training failed: {run.error})"
    if run.state == TrainingRun.State.REFUSED:
        return f"({run.error})"
    active = ModelVersion.objects.filter(is_active=True).first()
    if active is None:
        return "(no model is active)"
    if active.topm_refreshed_at is None:  # not yet refreshed by the promotion (e.g. no worker running)
        refresh_topm.apply(args=(active.pk,))
        active.refresh_from_db()
    return (
        f"({active.tag} active: NDCG@{active.metrics.get('k', '?')} {active.ndcg:.3f} on "
        f"{active.n_users} users × {active.n_items} products; {active.topm_users} top-m lists)"
    )
