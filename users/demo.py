"""Demo accounts: the platform, two publishers, their staff, and shoppers with profiles and consents."""

from __future__ import annotations

from typing import Any

from users.models import Consent, Partner, Profile, User
from users.services import consent_grant, membership_set

DEMO_PASSWORD = "zhiqiao-demo-2026"  # noqa: S105 -- printed by make demo; demo accounts only

PARTNERS = [
    ("zhiqiao", "知桥平台 Zhiqiao Platform", Partner.Kind.PLATFORM),
    ("qingsong-press", "青松出版社 Qingsong Press", Partner.Kind.PUBLISHER),
    ("yuanshan-books", "远山文化 Yuanshan Books", Partner.Kind.PUBLISHER),
]

SHOPPERS = [
    ("lin.xiao@example.com", "林晓", 1992, "female", "浙江", "产品经理", ["management", "psychology"]),
    ("wang.lei@example.com", "王磊", 1985, "male", "北京", "工程师", ["technology", "history"]),
    ("chen.yu@example.com", "陈雨", 2000, "female", "广东", "学生", ["literature", "language"]),
    ("zhao.min@example.com", "赵敏", 1978, "female", "上海", "教师", ["education", "psychology"]),
    ("alex.reed@example.com", "Alex Reed", 1990, "male", "Hong Kong", "Analyst", ["finance", "technology"]),
]


def _user(email: str, display_name: str, **extra: Any) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, display_name=display_name, **extra)
    Profile.objects.get_or_create(user=user)
    return user


def load(*, stdout: Any = None) -> str:
    partners = {}
    for slug, name, kind in PARTNERS:
        partners[slug], _created = Partner.objects.get_or_create(slug=slug, defaults={"name": name, "kind": kind})

    _user("admin@zhiqiao.local", "知桥管理员", is_staff=True, is_superuser=True)
    for slug in ("qingsong-press", "yuanshan-books"):
        owner = _user(f"owner@{slug}.example.com", f"{partners[slug].name} owner")
        analyst = _user(f"analyst@{slug}.example.com", f"{partners[slug].name} analyst")
        membership_set(partner=partners[slug], user=owner, role="owner")
        membership_set(partner=partners[slug], user=analyst, role="analyst")

    for i, (email, name, birth_year, gender, region, occupation, interests) in enumerate(SHOPPERS):
        user = _user(email, name, preferred_language="en" if name.isascii() else "zh-hans")
        Profile.objects.filter(user=user).update(
            birth_year=birth_year, gender=gender, region=region, occupation=occupation, declared_interests=interests
        )
        # Most shoppers share insight with one publisher; one shares nothing.
        if i < len(SHOPPERS) - 1:
            consent_grant(
                user=user,
                partner=partners["qingsong-press" if i % 2 == 0 else "yuanshan-books"],
                purpose=Consent.Purpose.AUDIENCE_INSIGHTS,
                data_categories=["demographics", "interests", "purchases"],
                notice_version="2026-10",
                source="demo",
            )
    if stdout is not None:
        stdout.write(f"  log in as admin@zhiqiao.local, a publisher owner or a shopper; password: {DEMO_PASSWORD}")
    return f"({User.objects.count()} users, {Partner.objects.count()} partners)"
