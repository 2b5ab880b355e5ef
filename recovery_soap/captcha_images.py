"""Captcha images (JPEG, as legacy clients expect from the .jpg image path)."""

from __future__ import annotations

import io
from functools import cache
from typing import Any


@cache
def _generator() -> Any:
    # Imported on the first captcha: Pillow and its fonts cost a few MB in every worker.
    from captcha.image import ImageCaptcha

    return ImageCaptcha(width=200, height=70)


def render_jpeg(text: str) -> bytes:
    image = _generator().generate_image(text).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
