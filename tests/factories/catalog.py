from __future__ import annotations

from decimal import Decimal

import factory

from catalog.models import (
    Book,
    BundleItem,
    Chapter,
    Contributor,
    Course,
    Lesson,
    Product,
    ProductContributor,
    Review,
    Rights,
    Topic,
    Variant,
)
from tests.factories import PartnerFactory


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    slug = factory.Sequence(lambda n: f"topic-{n}")
    name = factory.Sequence(lambda n: f"主题{n}")
    name_en = factory.Sequence(lambda n: f"Topic {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    kind = Product.Kind.BOOK
    owner = factory.SubFactory(PartnerFactory)
    title = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    status = Product.Status.PUBLISHED
    language = "zh"


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    format = Variant.Format.EBOOK
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    price = Decimal("49.00")
    currency = "CNY"


class RightsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rights

    product = factory.SubFactory(ProductFactory)
    territories = "WORLD"


def sellable_book(*, price: str = "49.00", fmt: str = Variant.Format.EBOOK, **product_kwargs: object) -> Variant:
    """A published book with one variant and world rights."""
    product = ProductFactory(kind=Product.Kind.BOOK, **product_kwargs)
    Book.objects.create(product=product, page_count=240)
    RightsFactory(product=product)
    return VariantFactory(product=product, format=fmt, price=Decimal(price))


def sellable_course(*, price: str = "199.00", lessons: int = 3, **product_kwargs: object) -> Variant:
    product = ProductFactory(kind=Product.Kind.COURSE, **product_kwargs)
    course = Course.objects.create(product=product)
    for i in range(1, lessons + 1):
        Lesson.objects.create(
            course=course, position=i, title=f"Lesson {i}", duration_seconds=600, is_free_preview=i == 1
        )
    RightsFactory(product=product)
    return VariantFactory(product=product, format=Variant.Format.COURSE, price=Decimal(price))


def bundle_of(*variants: Variant, price: str = "199.00", **product_kwargs: object) -> Variant:
    product = ProductFactory(kind=Product.Kind.BUNDLE, **product_kwargs)
    for i, v in enumerate(variants):
        BundleItem.objects.create(bundle=product, variant=v, position=i)
    return VariantFactory(product=product, format=Variant.Format.BUNDLE, price=Decimal(price))


def add_chapters(book: Book, count: int = 3) -> list[Chapter]:
    return [
        Chapter.objects.create(book=book, number=i, title=f"Chapter {i}", excerpt="…", is_free_preview=i == 1)
        for i in range(1, count + 1)
    ]


class ContributorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contributor

    slug = factory.Sequence(lambda n: f"contributor-{n}")
    name = factory.Sequence(lambda n: f"作者{n}")


class CreditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductContributor

    product = factory.SubFactory(ProductFactory)
    contributor = factory.SubFactory(ContributorFactory)
    role = ProductContributor.Role.AUTHOR


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    user = factory.SubFactory("tests.factories.UserFactory")
    product = factory.SubFactory(ProductFactory)
    rating = 5
    title = "好书"
    body = "值得一读。"


def rich_book(*, chapters: int = 3, topics: int = 1, **product_kwargs: object) -> Variant:
    """A sellable book with chapters, an author, a translator and topics (for query-count tests)."""
    variant = sellable_book(**product_kwargs)
    add_chapters(variant.product.book, count=chapters)
    CreditFactory(product=variant.product, role=ProductContributor.Role.AUTHOR)
    CreditFactory(product=variant.product, role=ProductContributor.Role.TRANSLATOR)
    variant.product.topics.add(*[TopicFactory() for _ in range(topics)])
    return variant


def rich_course(*, lessons: int = 3, **product_kwargs: object) -> Variant:
    """A sellable course with lessons and an instructor (for query-count tests)."""
    variant = sellable_course(lessons=lessons, **product_kwargs)
    CreditFactory(product=variant.product, role=ProductContributor.Role.INSTRUCTOR)
    return variant
