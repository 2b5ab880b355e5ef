"""getCaptcha is limited per client address: each captcha is rendered and kept for its lifetime,
so an unlimited caller filled the table (200 in 2.2 s from one address)."""

from __future__ import annotations

from tests.support import envelope, post_envelope


def test_captchas_per_address_are_limited(serve) -> None:
    live = serve(limit_captchas_per_address="3/minute")
    service = live.client()
    issued = [service.getCaptcha() for _ in range(3)]
    assert all(bean.secretKey for bean in issued)
    last_text = live.captcha.last
    refused = post_envelope(live.url, envelope("getCaptcha"), auth=live.auth)
    assert b"18013 Too many requests; try again later" in refused.content, refused.text
    assert b"<faultcode>" in refused.content
    assert live.captcha.last == last_text  # nothing rendered or stored for the refused call
