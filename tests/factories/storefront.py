"""A small, realistic shop for storefront tests: a course, a book in two formats and a
bundle of both, with topics, contributors, previews and a supplement; and a large
catalogue made with bulk_create for query-count tests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from catalog.isbn import isbn13_check_digit
from catalog.models import (
    Book,
    BundleItem,
    Chapter,
    Contributor,
    Course,
    Lesson,
    LessonSupplement,
    Product,
    ProductContributor,
    Rights,
    Topic,
    Variant,
)
from tests.factories import PartnerFactory
from users.models import Partner


def isbn(stem: int) -> str:
    """A valid ISBN-13 in the 978-7 (China) range from a number."""
    first12 = f"9787{stem:08d}"
    return first12 + str(isbn13_check_digit(first12))


@dataclass
class ShopWorld:
    partner: Partner
    topic: Topic
    subtopic: Topic
    course: Variant
    ebook: Variant
    print_book: Variant
    bundle: Variant


def shop_world() -> ShopWorld:
    partner = PartnerFactory(name="学而出版社", slug="xueer-press")
    topic = Topic.objects.create(slug="psychology", name="心理学", name_en="Psychology")
    subtopic = Topic.objects.create(
        slug="positive-psychology", name="积极心理学", name_en="Positive psychology", parent=topic
    )
    teacher = Contributor.objects.create(slug="li-ming", name="李明", bio="北京大学心理学系教授。")
    author = Contributor.objects.create(slug="tal-ben-shahar", name="Tal Ben-Shahar", sort_name="Ben-Shahar, Tal")
    translator = Contributor.objects.create(slug="wang-fang", name="汪芳")

    course_product = Product.objects.create(
        kind=Product.Kind.COURSE,
        owner=partner,
        title="积极心理学十二讲",
        subtitle="用科学的方法过更好的生活",
        slug="positive-psychology-course",
        description="<p>十二堂课，带你了解<strong>幸福</strong>的科学。</p><script>alert(1)</script>",
        status=Product.Status.PUBLISHED,
        language="zh",
    )
    course = Course.objects.create(product=course_product, what_you_learn="认识情绪\n\n培养习惯")
    lessons = [
        Lesson.objects.create(
            course=course,
            position=i,
            title=title,
            duration_seconds=600 + i * 60,
            media_ref=f"lessons/lesson-{i}.mp3" if i != 3 else f"lessons/lesson-{i}.mp4",
            body=f"第{i}讲的笔记。\n\n要点一。",
            is_free_preview=i == 1,
        )
        for i, title in enumerate(["什么是幸福", "感恩的力量", "习惯与改变", "与压力相处"], start=1)
    ]
    ProductContributor.objects.create(
        product=course_product, contributor=teacher, role=ProductContributor.Role.INSTRUCTOR
    )
    Rights.objects.create(product=course_product, territories="WORLD")
    course_variant = Variant.objects.create(
        product=course_product, format=Variant.Format.COURSE, sku="ZQ-COURSE-1", price=Decimal("199.00")
    )

    book_product = Product.objects.create(
        kind=Product.Kind.BOOK,
        owner=partner,
        title="幸福的方法",
        subtitle="哈佛大学最受欢迎的幸福课",
        slug="happiness-book",
        description="<p>一本关于幸福的书。</p>",
        status=Product.Status.PUBLISHED,
        language="zh",
        publisher_name="学而出版社",
    )
    book = Book.objects.create(product=book_product, page_count=288)
    chapters = [
        Chapter.objects.create(
            book=book,
            number=i,
            title=title,
            excerpt=f"{title}的正文。\n\n第二段。",
            page_start=i * 20,
            page_end=i * 20 + 19,
            is_free_preview=i == 1,
        )
        for i, title in enumerate(["幸福是什么", "感恩日记", "简化生活"], start=1)
    ]
    ProductContributor.objects.create(product=book_product, contributor=author, role=ProductContributor.Role.AUTHOR)
    ProductContributor.objects.create(
        product=book_product, contributor=translator, role=ProductContributor.Role.TRANSLATOR, position=1
    )
    Rights.objects.create(product=book_product, territories="WORLD")
    ebook = Variant.objects.create(
        product=book_product, format=Variant.Format.EBOOK, sku="ZQ-BOOK-E", isbn13=isbn(1), price=Decimal("49.00")
    )
    print_book = Variant.objects.create(
        product=book_product, format=Variant.Format.PRINT, sku="ZQ-BOOK-P", isbn13=isbn(2), price=Decimal("68.00")
    )
    LessonSupplement.objects.create(lesson=lessons[1], chapter=chapters[1], note="课后读这一章。")

    bundle_product = Product.objects.create(
        kind=Product.Kind.BUNDLE,
        owner=partner,
        title="积极心理学：课程＋书",
        slug="positive-psychology-bundle",
        description="<p>课程和书一起学。</p>",
        status=Product.Status.PUBLISHED,
        is_featured=True,
    )
    BundleItem.objects.create(bundle=bundle_product, variant=course_variant, position=0)
    BundleItem.objects.create(bundle=bundle_product, variant=ebook, position=1)
    bundle = Variant.objects.create(
        product=bundle_product, format=Variant.Format.BUNDLE, sku="ZQ-BUNDLE-1", price=Decimal("199.00")
    )
    for product in (course_product, book_product, bundle_product):
        product.topics.add(subtopic)
    return ShopWorld(partner, topic, subtopic, course_variant, ebook, print_book, bundle)


def bulk_catalogue(*, count: int, partner: Partner | None = None, prefix: str = "bulk") -> None:
    """``count`` sellable products (courses, books and bundles, with credits, topics and
    rights) in a handful of bulk inserts."""
    partner = partner or PartnerFactory()
    topic = Topic.objects.create(slug=f"{prefix}-topic", name="批量", name_en="Bulk")
    contributor = Contributor.objects.create(slug=f"{prefix}-author", name="批量作者")
    kinds = [Product.Kind.COURSE, Product.Kind.BOOK, Product.Kind.BUNDLE]
    products = Product.objects.bulk_create(
        [
            Product(
                kind=kinds[i % 3],
                owner=partner,
                title=f"{prefix} 产品 {i}",
                slug=f"{prefix}-{i}",
                status=Product.Status.PUBLISHED,
                language="zh" if i % 2 else "en",
                rating_average=Decimal(i % 5),
                rating_count=i % 7,
            )
            for i in range(count)
        ]
    )
    Course.objects.bulk_create([Course(product=p) for p in products if p.kind == Product.Kind.COURSE])
    Book.objects.bulk_create([Book(product=p) for p in products if p.kind == Product.Kind.BOOK])
    Rights.objects.bulk_create([Rights(product=p, territories="WORLD") for p in products])
    fmt = {
        Product.Kind.COURSE: Variant.Format.COURSE,
        Product.Kind.BOOK: Variant.Format.EBOOK,
        Product.Kind.BUNDLE: Variant.Format.BUNDLE,
    }
    variants = Variant.objects.bulk_create(
        [
            Variant(product=p, format=fmt[Product.Kind(p.kind)], sku=f"{prefix}-SKU-{i}", price=Decimal(10 + i % 90))
            for i, p in enumerate(products)
        ]
    )
    plain = [v for v in variants if v.format != Variant.Format.BUNDLE]
    BundleItem.objects.bulk_create(
        [
            BundleItem(bundle=v.product, variant=plain[(i * 2 + k) % len(plain)], position=k)
            for i, v in enumerate(v for v in variants if v.format == Variant.Format.BUNDLE)
            for k in range(2)
        ]
    )
    ProductContributor.objects.bulk_create(
        [ProductContributor(product=p, contributor=contributor, role=ProductContributor.Role.AUTHOR) for p in products]
    )
    Product.topics.through.objects.bulk_create([Product.topics.through(product=p, topic=topic) for p in products])
