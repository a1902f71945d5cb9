"""Uploads are limited by size and, for images, by the real type and pixel count (read from the
bytes), with a message saying what to upload instead; nothing is saved when refused."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from catalog.models import Product
from core.uploads import image_upload_validate
from tests.factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _image(fmt: str, size: tuple[int, int] = (60, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (18, 130, 125)).save(buffer, format=fmt)
    return buffer.getvalue()


def _upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_covers_are_accepted(fmt: str) -> None:
    image_upload_validate(_upload(f"cover.{fmt.lower()}", _image(fmt)))


def test_a_gif_is_refused_by_its_bytes_whatever_its_name_says() -> None:
    with pytest.raises(ValidationError) as refused:
        image_upload_validate(_upload("cover.png", _image("GIF")))
    assert refused.value.code == "image_type"
    assert "GIF" in refused.value.messages[0]


def test_a_script_named_like_an_image_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        image_upload_validate(_upload("cover.jpg", b"<script>alert(1)</script>", "image/jpeg"))
    assert refused.value.code == "not_an_image"


def test_a_file_over_the_size_limit_is_refused_before_it_is_decoded() -> None:
    with pytest.raises(ValidationError) as refused:
        image_upload_validate(_upload("cover.png", b"\0" * 2048), max_bytes=1024)
    assert refused.value.code == "file_too_large"
    assert "1.0" in refused.value.messages[0]


def test_a_small_file_that_decodes_to_too_many_pixels_is_refused() -> None:
    bomb = _image("PNG", size=(4000, 3000))
    with pytest.raises(ValidationError) as refused:
        image_upload_validate(_upload("cover.png", bomb), max_pixels=1_000_000)
    assert refused.value.code == "image_too_large"


def _admin_change(client: Client, product: Product, cover: SimpleUploadedFile) -> str:
    url = reverse("admin:catalog_product_change", args=[product.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "cover_image"}
    data["topics"] = []
    for prefix in ("variants", "credits", "rights", "bundle_items", "chapters", "lessons"):
        for suffix in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            data.setdefault(f"{prefix}-{suffix}", "0")
    data["cover_image"] = cover
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    return response.content.decode()


def test_the_catalogue_admin_refuses_a_gif_cover_and_keeps_the_product_unchanged() -> None:
    staff = UserFactory(is_staff=True, is_superuser=True)
    product = Product.objects.create(kind=Product.Kind.BOOK, owner=PartnerFactory(), title="Book", slug="book")
    client = Client()
    client.force_login(staff)
    page = _admin_change(client, product, _upload("cover.jpg", _image("GIF"), "image/jpeg"))
    assert "Images of type GIF are not accepted. Upload a JPEG, PNG, WEBP file." in page
    product.refresh_from_db()
    assert not product.cover_image
