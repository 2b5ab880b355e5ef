"""Captcha challenges: the answer's hash and the image, taken (deleted) when checked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select

from recovery_soap.core.model import CaptchaRecord
from recovery_soap.store.base import Repository, captchas_t


class CaptchaRepository(Repository):
    def add(
        self,
        key_hash: str,
        image_id: str,
        answer_hash: str,
        image: bytes,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        self._c.execute(
            insert(captchas_t).values(
                key_hash=key_hash,
                image_id=image_id,
                answer_hash=answer_hash,
                image=image,
                created_at=now,
                expires_at=expires_at,
            )
        )

    def take(self, key_hash: str, now: datetime) -> CaptchaRecord | None:
        row = self._c.execute(
            delete(captchas_t)
            .where(captchas_t.c.key_hash == key_hash)
            .returning(captchas_t.c.answer_hash, captchas_t.c.expires_at)
        ).first()
        return (
            CaptchaRecord(answer_hash=row.answer_hash, expires_at=row.expires_at) if row else None
        )

    def image(self, image_id: str, now: datetime) -> bytes | None:
        found: bytes | None = self._c.execute(
            select(captchas_t.c.image).where(
                captchas_t.c.image_id == image_id, captchas_t.c.expires_at > now
            )
        ).scalar_one_or_none()
        return found

    def purge(self, now: datetime) -> None:
        self._c.execute(delete(captchas_t).where(captchas_t.c.expires_at <= now))
