"""Captcha images (JPEG, as legacy clients expect from the .jpg image path)."""

from __future__ import annotations

import io

from captcha.image import ImageCaptcha

_GENERATOR = ImageCaptcha(width=200, height=70)


def render_jpeg(text: str) -> bytes:
    image = _GENERATOR.generate_image(text).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
