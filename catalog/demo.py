"""The demo catalogue: a topic tree, platform courses with lessons, the two demo
publishers' books in several formats with chapters, bundles joining a course with its
books, contributors, rights (two with a rule to show), and reviews by the demo shoppers.

Deterministic (every choice is seeded by the product's slug) and idempotent: a product
that exists already is left exactly as it is, so running ``demo_data`` twice changes
nothing. Needs the partners and shoppers of ``users.demo``, which runs first.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.demo_content import BOOKS, BUNDLES, COURSES, REVIEW_TEXTS, TOPICS, BookSpec, CourseSpec
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
    ProductStatusEvent,
    Review,
    Rights,
    Topic,
    Variant,
)
from catalog.services import product_rating_refresh
from core.money import money_quantize
from users.models import Partner, User

PLATFORM = "zhiqiao"
# ISBN-13 registrant prefixes for the two demo publishers (group 7: Chinese-language publishers).
ISBN_REGISTRANT = {"qingsong-press": "5699", "yuanshan-books": "5411"}
# Where each publisher's books may be sold unless a book says otherwise.
PUBLISHER_TERRITORIES = {"qingsong-press": "CN HK MO TW", "yuanshan-books": "WORLD"}
# Two books show the rights rule: one sold only in mainland China, one not on sale until next year.
MAINLAND_ONLY = "city-of-rain"
ON_SALE_NEXT_YEAR = "global-economy-explained"
FEATURED = {
    "happiness-science-30-lectures",
    "first-time-manager",
    "ai-for-everyone",
    "chinese-history-big-picture",
    "the-quiet-strength",
    "brief-history-of-the-silk-road",
    "bundle-first-time-manager",
}
SHOPPERS = [
    "lin.xiao@example.com",
    "wang.lei@example.com",
    "chen.yu@example.com",
    "zhao.min@example.com",
    "alex.reed@example.com",
]
REVIEWS_PER_SHOPPER = 7


def _rng(key: str) -> random.Random:
    # Seeded by a stable digest (Python's str hash changes per process).
    return random.Random(int(hashlib.sha256(key.encode()).hexdigest()[:16], 16))  # noqa: S311 -- demo data


def isbn13(*, registrant: str, number: int) -> str:
    """A valid ISBN-13 in group 7 for ``registrant`` and publication ``number``."""
    first12 = f"9787{registrant}{number:04d}"
    return first12 + str(isbn13_check_digit(first12))


def _topics() -> dict[str, Topic]:
    topics: dict[str, Topic] = {}
    for i, (slug, name, name_en, children) in enumerate(TOPICS):
        root, _created = Topic.objects.get_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en, "position": i}
        )
        topics[slug] = root
        for j, (child_slug, child_name, child_en) in enumerate(children):
            topics[child_slug], _created = Topic.objects.get_or_create(
                slug=child_slug, defaults={"name": child_name, "name_en": child_en, "parent": root, "position": j}
            )
    return topics


def _contributor(name: str) -> Contributor:
    slug = "demo-" + hashlib.sha1(name.encode()).hexdigest()[:10]  # noqa: S324 -- a stable name, not a secret
    contributor, _created = Contributor.objects.get_or_create(slug=slug, defaults={"name": name})
    return contributor


def _lesson_note(title: str, language: str) -> str:
    if language == "en":
        return (
            f"In this lesson — {title} — we start from one everyday situation, name the idea behind it, "
            "and try it on two short cases. Write down one thing you will try this week."
        )
    return (
        f"本讲围绕「{title}」展开：先从一个日常场景说起，讲清背后的概念，"
        "再用两个案例说明怎样用在工作和生活里。课后请写下这周你准备尝试的一件事。"
    )


def _course(spec: CourseSpec, *, owner: Partner, topics: dict[str, Topic]) -> tuple[Product, bool]:
    product, created = Product.objects.get_or_create(
        slug=spec.slug,
        defaults={
            "kind": Product.Kind.COURSE,
            "owner": owner,
            "title": spec.title,
            "subtitle": spec.subtitle,
            "description": f"<p>{spec.what_you_learn}</p>",
            "language": spec.language,
            "status": Product.Status.PUBLISHED,
            "is_featured": spec.slug in FEATURED,
            "publisher_name": owner.name,
        },
    )
    if not created:
        return product, False
    rng = _rng(spec.slug)
    course = Course.objects.create(product=product, level=spec.level, what_you_learn=spec.what_you_learn)
    previews = rng.choice([1, 1, 2])
    Lesson.objects.bulk_create(
        Lesson(
            course=course,
            position=position,
            title=title,
            duration_seconds=rng.randrange(8, 29) * 60 + rng.randrange(0, 60),
            media_ref=f"media/courses/{spec.slug}/{position:02d}.m3u8",
            body=_lesson_note(title, spec.language),
            is_free_preview=position <= previews,
        )
        for position, title in enumerate(spec.lessons, start=1)
    )
    Variant.objects.create(
        product=product, format=Variant.Format.COURSE, sku=f"ZQ-{spec.slug}"[:64].upper(), price=Decimal(spec.price)
    )
    Rights.objects.create(product=product, territories="WORLD")
    ProductContributor.objects.create(
        product=product, contributor=_contributor(spec.instructor), role=ProductContributor.Role.INSTRUCTOR
    )
    product.topics.set([topics[slug] for slug in spec.topics])
    return product, True


def _chapter_text(spec: BookSpec, number: int, title: str) -> str:
    if number == 1:
        return "\n\n".join(spec.opening)
    if spec.language == "en":
        return f"{title}. {spec.description}"
    return f"本章「{title}」。{spec.description}"


def _book(spec: BookSpec, index: int, *, owners: dict[str, Partner], topics: dict[str, Topic]) -> tuple[Product, bool]:
    owner = owners[spec.owner]
    rng = _rng(spec.slug)
    product, created = Product.objects.get_or_create(
        slug=spec.slug,
        defaults={
            "kind": Product.Kind.BOOK,
            "owner": owner,
            "title": spec.title,
            "subtitle": spec.subtitle,
            "description": f"<p>{spec.description}</p>",
            "language": spec.language,
            "status": Product.Status.PUBLISHED,
            "is_featured": spec.slug in FEATURED,
            "publisher_name": owner.name,
            "published_on": date(rng.randrange(2018, 2027), rng.randrange(1, 13), 1),
            "record_reference": f"{spec.owner}-{spec.slug}",
        },
    )
    if not created:
        return product, False
    book = Book.objects.create(
        product=product, page_count=spec.pages, edition="第1版" if spec.language == "zh" else "1st"
    )
    per_chapter = spec.pages // len(spec.chapters)
    Chapter.objects.bulk_create(
        Chapter(
            book=book,
            number=number,
            title=title,
            excerpt=_chapter_text(spec, number, title),
            page_start=(number - 1) * per_chapter + 1,
            page_end=number * per_chapter,
            is_free_preview=number == 1,
        )
        for number, title in enumerate(spec.chapters, start=1)
    )
    registrant = ISBN_REGISTRANT[spec.owner]
    for offset, (fmt, price) in enumerate(spec.formats):
        Variant.objects.create(
            product=product,
            format=fmt,
            sku=f"{spec.owner[:2]}-{spec.slug}-{fmt}"[:64].upper(),
            isbn13=isbn13(registrant=registrant, number=index * 3 + offset + 1),
            price=Decimal(price),
        )
    if spec.slug == MAINLAND_ONLY:
        Rights.objects.create(product=product, territories="CN")
    elif spec.slug == ON_SALE_NEXT_YEAR:
        Rights.objects.create(
            product=product, territories="WORLD", valid_from=date(timezone.localdate().year + 1, 1, 1)
        )
    else:
        Rights.objects.create(product=product, territories=PUBLISHER_TERRITORIES[spec.owner])
    for position, (name, role) in enumerate(spec.credits):
        ProductContributor.objects.get_or_create(
            product=product, contributor=_contributor(name), role=role, defaults={"position": position}
        )
    product.topics.set([topics[slug] for slug in spec.topics])
    return product, True


def _bundle(course_slug: str, book_slugs: tuple[str, ...], discount: str, *, owner: Partner) -> tuple[Product, bool]:
    slug = f"bundle-{course_slug}"[:200]
    existing = Product.objects.filter(slug=slug).first()
    if existing is not None:
        return existing, False
    course = Product.objects.get(slug=course_slug)
    books = [Product.objects.get(slug=s) for s in book_slugs]
    items = [course.variants.get(format=Variant.Format.COURSE)]
    for book in books:
        variants = {v.format: v for v in book.variants.all()}
        items.append(variants.get(Variant.Format.EBOOK) or variants[Variant.Format.PRINT])
    total = sum((v.price for v in items), Decimal("0"))
    price = money_quantize((total * Decimal(discount)).quantize(Decimal("1"), rounding=ROUND_DOWN))
    book_titles = "、".join(f"《{b.title}》" for b in books)
    bundle = Product.objects.create(
        kind=Product.Kind.BUNDLE,
        owner=owner,
        slug=slug,
        title=f"{course.title}·学习套装",
        subtitle=f"课程 + {book_titles}",
        description=(
            f"<p>一起学更划算：课程「{course.title}」搭配{book_titles}，比分别购买节省 ¥{total - price}。</p>"
        ),
        language=course.language,
        status=Product.Status.PUBLISHED,
        is_featured=slug in FEATURED,
        publisher_name=owner.name,
    )
    BundleItem.objects.bulk_create(BundleItem(bundle=bundle, variant=v, position=i) for i, v in enumerate(items))
    Variant.objects.create(product=bundle, format=Variant.Format.BUNDLE, sku=f"ZQ-{slug}"[:64].upper(), price=price)
    bundle.topics.set(course.topics.all())
    _supplements(course=course, books=books)
    return bundle, True


def _supplements(*, course: Product, books: list[Product]) -> None:
    """Key chapters of each book become supplementary reading for lessons spread over the course."""
    lessons = list(Lesson.objects.filter(course__product=course).order_by("position"))
    for book in books:
        chapters = list(Chapter.objects.filter(book__product=book).order_by("number"))[1:4]
        for k, chapter in enumerate(chapters, start=1):
            lesson = lessons[min(len(lessons) - 1, k * len(lessons) // (len(chapters) + 1))]
            LessonSupplement.objects.get_or_create(
                lesson=lesson,
                chapter=chapter,
                defaults={"note": f"延伸阅读：《{book.title}》第{chapter.number}章「{chapter.title}」"},
            )


def _reviews(products: list[Product]) -> int:
    """Each demo shopper reviews a few products; a review once written is never rewritten."""
    created = 0
    touched: set[int] = set()
    reviewable = [p for p in products if p.kind != Product.Kind.BUNDLE]
    for email in SHOPPERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            continue
        rng = _rng(email)
        english = user.preferred_language == "en"
        texts = [t for t in REVIEW_TEXTS if t[1].isascii() == english] or REVIEW_TEXTS
        for product in rng.sample(reviewable, k=min(REVIEWS_PER_SHOPPER, len(reviewable))):
            rating, title, body = rng.choice(texts)
            _review, was_created = Review.objects.get_or_create(
                user=user, product=product, defaults={"rating": rating, "title": title, "body": body}
            )
            if was_created:
                created += 1
                touched.add(product.pk)
    for product in products:
        if product.pk in touched:
            product_rating_refresh(product=product)
    return created


def _say(stdout: Any, message: str) -> None:
    if stdout is not None:
        stdout.write(f"  {message}\n")


@transaction.atomic
def load(*, stdout: Any = None) -> str:
    slugs = [PLATFORM, *ISBN_REGISTRANT]
    owners = {p.slug: p for p in Partner.objects.filter(slug__in=slugs)}
    missing = sorted(set(slugs) - set(owners))
    if missing:
        raise RuntimeError(f"the demo partners {', '.join(missing)} are missing: load the users demo first")

    topics = _topics()
    _say(stdout, f"topics: {len(topics)}")

    products: list[Product] = []
    born: list[Product] = []
    new = 0
    for spec in COURSES:
        product, created = _course(spec, owner=owners[PLATFORM], topics=topics)
        products.append(product)
        new += created
        if created:
            born.append(product)
    _say(stdout, f"courses: {len(COURSES)}")
    for index, book_spec in enumerate(BOOKS):
        product, created = _book(book_spec, index, owners=owners, topics=topics)
        products.append(product)
        new += created
        if created:
            born.append(product)
    _say(stdout, f"books: {len(BOOKS)}")
    for course_slug, book_slugs, discount in BUNDLES:
        product, created = _bundle(course_slug, book_slugs, discount, owner=owners[PLATFORM])
        products.append(product)
        new += created
        if created:
            born.append(product)
    _say(stdout, f"bundles: {len(BUNDLES)}")
    ProductStatusEvent.objects.bulk_create(
        ProductStatusEvent(product=p, from_status="", to_status=p.status, source=ProductStatusEvent.Source.DEMO)
        for p in born
    )
    reviews = _reviews(products)
    _say(stdout, f"reviews written now: {reviews}")

    return (
        f"({len(products)} products, {new} new: {len(COURSES)} courses, {len(BOOKS)} books, "
        f"{len(BUNDLES)} bundles; {Lesson.objects.count()} lessons, {Chapter.objects.count()} chapters, "
        f"{Review.objects.count()} reviews)"
    )
