"""Limits on what people may upload: size, and for images the real format and pixel count.

The type is read from the bytes (Pillow identifies the image), never from the file name or the
browser's Content-Type, both of which the uploader controls.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

COVER_MAX_BYTES = 5 * 1024 * 1024
COVER_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
# A cover never needs more; a small file that decodes to billions of pixels is a decompression bomb.
COVER_MAX_PIXELS = 40_000_000


def upload_size_validate(upload: File, *, max_bytes: int) -> None:
    size = upload.size or 0
    if size > max_bytes:
        raise ValidationError(
            _("The file is too large: %(size)s. The limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(max_bytes)},
            code="file_too_large",
        )


def image_upload_validate(
    upload: File,
    *,
    max_bytes: int = COVER_MAX_BYTES,
    formats: frozenset[str] = COVER_FORMATS,
    max_pixels: int = COVER_MAX_PIXELS,
) -> None:
    """Raise ``ValidationError`` (translated, saying what to do) unless ``upload`` is an image of
    one of ``formats`` within the size and pixel limits. Leaves the file at its start."""
    upload_size_validate(upload, max_bytes=max_bytes)
    allowed = ", ".join(sorted(formats))
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            kind = image.format or ""
            width, height = image.size
            if kind in formats and width * height <= max_pixels:
                image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            _("This file is not an image we can read. Upload a %(formats)s file.") % {"formats": allowed},
            code="not_an_image",
        ) from exc
    finally:
        upload.seek(0)
    if kind not in formats:
        raise ValidationError(
            _("Images of type %(kind)s are not accepted. Upload a %(formats)s file.")
            % {"kind": kind or "?", "formats": allowed},
            code="image_type",
        )
    if width * height > max_pixels:
        raise ValidationError(
            _("The image is too large: %(width)d × %(height)d pixels. Make it smaller than %(mp)d megapixels.")
            % {"width": width, "height": height, "mp": max_pixels // 1_000_000},
            code="image_too_large",
        )
