"""The recommender dashboard in the admin."""

from __future__ import annotations

import pytest

from insights.models import Event
from recommendations.models import ModelVersion, TrainingRun
from recommendations.services import training_run_execute, training_run_request
from tests.factories import UserFactory
from tests.recommendations import app_fixtures

recsys_settings = app_fixtures.recsys_settings
world = app_fixtures.world

pytestmark = pytest.mark.django_db
DASHBOARD = "/admin/recommendations/modelversion/dashboard/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_dashboard_shows_the_active_version_chart_and_online_figures(admin_client, recsys_settings, world):
    run = training_run_execute(run_id=training_run_request(enqueue=False).run.pk)
    version = ModelVersion.objects.get(run=run)
    user = world.users[0]
    for position, product in enumerate(world.products[:4], start=1):
        Event.objects.create(
            kind=Event.Kind.RECOMMENDATION_IMPRESSION,
            user=user,
            product=product,
            context={"model_version": version.tag, "slot": "home", "position": position},
        )
    Event.objects.create(
        kind=Event.Kind.CLICK, user=user, product=world.products[0], context={"model_version": version.tag}
    )
    response = admin_client.get(DASHBOARD, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert version.tag in page
    assert "data:image/svg+xml;base64," in page
    online = {row.model_version: row for row in response.context["online"]}
    assert online[version.tag].impressions == 4
    assert online[version.tag].clicks == 1
    assert str(online[version.tag].click_through_percent) == "25.00"


def test_starting_training_from_the_dashboard_queues_a_run(admin_client, recsys_settings, world):
    response = admin_client.post(DASHBOARD, {"model": "ease", "params": '{"l2": 20}'})
    assert response.status_code == 302
    run = TrainingRun.objects.get()
    assert run.model_name == "ease"
    assert run.params == {"l2": 20}
    assert run.trigger == TrainingRun.Trigger.ADMIN


def test_bad_hyper_parameters_are_reported_on_the_form(admin_client, recsys_settings, world):
    response = admin_client.post(DASHBOARD, {"model": "ease", "params": '{"nope": 1}'}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "do not suit" in response.content.decode()
    assert not TrainingRun.objects.exists()


def test_people_who_are_not_staff_cannot_see_the_dashboard(client, user):
    client.force_login(user)
    assert client.get(DASHBOARD).status_code == 302  # to the admin login


def test_the_run_and_version_lists_render(admin_client, recsys_settings, world):
    training_run_execute(run_id=training_run_request(enqueue=False).run.pk)
    assert admin_client.get("/admin/recommendations/trainingrun/").status_code == 200
    assert admin_client.get("/admin/recommendations/modelversion/").status_code == 200
    run = TrainingRun.objects.get()
    assert admin_client.get(f"/admin/recommendations/trainingrun/{run.pk}/change/").status_code == 200
