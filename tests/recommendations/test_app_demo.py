"""The demo ends with a trained recommender and every shopper's list filled."""

from __future__ import annotations

import pytest

from commerce import demo as commerce_demo
from recommendations import demo
from recommendations.models import ModelVersion, TopMEntry, TrainingRun
from tests.factories import UserFactory
from tests.factories.catalog import bundle_of, sellable_book, sellable_course
from tests.recommendations import app_fixtures
from users import demo as users_demo

recsys_settings = app_fixtures.recsys_settings

pytestmark = pytest.mark.django_db


def test_the_demo_trains_the_recommender_and_fills_every_list_once(recsys_settings):
    for email, *_rest in users_demo.SHOPPERS:
        UserFactory(email=email)
    books = [sellable_book(title=f"Demo book {i}") for i in range(5)]
    courses = [sellable_course(title=f"Demo course {i}") for i in range(4)]
    bundle_of(books[0], courses[0], price="120.00", title="Demo bundle")
    commerce_demo.load()
    assert demo.demo_model_choice()[0] == "ease"  # a handful of shoppers: the cheap model
    summary = demo.load()
    version = ModelVersion.objects.get(is_active=True)
    assert version.tag in summary
    assert version.model_name == "ease"
    assert TopMEntry.objects.filter(model_version=version.tag).count() == version.topm_users > 0
    demo.load()
    assert TrainingRun.objects.count() == 1  # unchanged data: nothing trained twice
