"""Catalogue changes retire what the storefront cached about the catalogue (``storefront.cache``).

Connected in ``StorefrontConfig.ready()``. A finished catalogue import counts as
a change too: imports write in bulk, which sends no per-row signals.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from catalog.models import (
    BundleItem,
    Contributor,
    ImportJob,
    Product,
    ProductContributor,
    Review,
    Rights,
    Topic,
    Variant,
)
from storefront.cache import catalogue_version_bump

# Rows whose change can alter what is sellable or what a product card shows.
CATALOGUE_MODELS = (Product, Variant, Rights, BundleItem, ProductContributor, Contributor, Topic, Review)


def _bump_now_and_after_commit() -> None:
    # Now, so that this request sees the change; after the commit too, so that a
    # request that read (and cached) the old catalogue in between is not kept.
    catalogue_version_bump()
    transaction.on_commit(catalogue_version_bump)


def catalogue_changed(sender: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):  # fixtures being loaded
        return
    _bump_now_and_after_commit()


def topics_changed(sender: Any, action: str, **kwargs: Any) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        _bump_now_and_after_commit()


def import_job_saved(sender: Any, instance: ImportJob, **kwargs: Any) -> None:
    if instance.finished_at is not None:
        _bump_now_and_after_commit()


def connect() -> None:
    for model in CATALOGUE_MODELS:
        uid = f"storefront-catalogue-{model._meta.label_lower}"
        post_save.connect(catalogue_changed, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(catalogue_changed, sender=model, dispatch_uid=f"{uid}-delete")
    m2m_changed.connect(topics_changed, sender=Product.topics.through, dispatch_uid="storefront-catalogue-topics")
    post_save.connect(import_job_saved, sender=ImportJob, dispatch_uid="storefront-catalogue-imports")
