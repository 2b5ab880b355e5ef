#!/usr/bin/env python3
"""Screenshots of every self-service page, desktop and phone (360 px), into docs/pages/.

Serves the application on loopback with a throwaway SQLite database and a local SMTP sink,
walks the journeys in headless Chromium (Debian's chromium and chromium-driver) and writes
<page>-desktop.png and <page>-phone.png, reduced to a small palette so they stay small.

    python scripts/page-screenshots.py [--out docs/pages] [--lang en]
"""

from __future__ import annotations

import argparse
import base64
import email
import io
import re
import shutil
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

import waitress
from aiosmtpd.controller import Controller
from PIL import Image
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from recovery_soap.app import create_app
from recovery_soap.core import admin
from recovery_soap.core.challenges import set_answers
from recovery_soap.core.claims import EMAIL, GIVEN_NAME

CAPTCHA = "K7PX4Q"
PASSWORD = "Initial#Pass123"
SET1, SET2 = (f"http://wso2.org/claims/challengeQuestion{n}" for n in (1, 2))
DESKTOP = {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}
PHONE = {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": True}
LINK = re.compile(r"https?://\S+/accountrecoveryendpoint/\S+")


class Sink:
    """An SMTP server keeping the bodies of the messages it receives."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content)
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                self.bodies.append(part.get_payload(decode=True).decode())
        return "250 OK"


def start_server(database: Path, smtp_port: int) -> tuple[Any, str]:
    from recovery_soap.config import Settings

    settings = Settings(
        database_url=f"sqlite:///{database}",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        argon2_memory_kib=1024,
        argon2_time_cost=1,
        public_url="http://placeholder.invalid",
    )
    app = create_app(settings, captcha_text=lambda: CAPTCHA)
    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    return app, f"http://127.0.0.1:{server.effective_port}"


def add_users(app: Any) -> None:
    env = app.env
    with env.uow() as uow:
        for name, answers in (("alex", False), ("pat", True)):
            user = admin.add_user(
                env,
                uow,
                "carbon.super",
                name,
                PASSWORD,
                {EMAIL: f"{name}@example.test", GIVEN_NAME: name.title()},
            )
            if answers:
                set_answers(
                    env,
                    uow,
                    user,
                    [
                        (SET1, "City where you were born ?", "Colombo"),
                        (SET2, "Favorite sport ?", "Cricket"),
                    ],
                )
        uow.commit()


class Camera:
    def __init__(self, driver: Any, out: Path) -> None:
        self.driver, self.out = driver, out

    def shoot(self, name: str) -> None:
        for label, metrics in (("desktop", DESKTOP), ("phone", PHONE)):
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            layout = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
            height = min(int(layout["cssContentSize"]["height"]), 1400)
            full = {**metrics, "height": max(height, metrics["height"])}
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", full)
            shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
            image = Image.open(io.BytesIO(base64.b64decode(shot["data"]))).convert("RGB")
            small = image.quantize(colors=48, method=Image.Quantize.MEDIANCUT)
            small.save(self.out / f"{name}-{label}.png", optimize=True)
        self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def fill(self, **values: str) -> None:
        for field, value in values.items():
            self.driver.find_element(By.NAME, field).send_keys(value)

    def submit(self, step: str | None = None) -> None:
        where = f"//form[input[@name='step' and @value='{step}']]" if step else "//form"
        old = self.driver.find_element(By.TAG_NAME, "html")
        self.driver.find_element(By.XPATH, f"{where}//button[@type='submit']").click()
        WebDriverWait(self.driver, 20).until(expected_conditions.staleness_of(old))


def browser(profile: str, lang: str) -> Any:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--lang={lang}",
    ):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": lang})
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    return webdriver.Chrome(options=options, service=service)


def mailed(app: Any, sink: Sink, base: str, page: str) -> str:
    app.dispatcher.deliver_due(limit=100)
    for body in reversed(sink.bodies):
        for link in LINK.findall(body):
            if f"/{page}?" in link:
                return base + link[len("http://placeholder.invalid") :]
    raise SystemExit(f"no mail linking to {page}")


def walk(camera: Camera, app: Any, sink: Sink, base: str) -> None:
    page = f"{base}/accountrecoveryendpoint/"
    driver = camera.driver
    driver.get(page + "register.do")
    camera.shoot("register")
    camera.fill(
        username="sam",
        password=PASSWORD,
        confirm_password=PASSWORD,
        email="sam@example.test",
        first_name="Sam",
        last_name="Lee",
        captcha_answer=CAPTCHA,
    )
    camera.submit()
    camera.shoot("register-check-your-mail")
    driver.get(mailed(app, sink, base, "confirmregistration.do"))
    camera.shoot("confirmregistration")
    driver.get(page + "resendconfirmation.do")
    camera.shoot("resendconfirmation")
    driver.get(page + "recoverpassword.do")
    camera.shoot("recoverpassword")
    camera.fill(username="pat", captcha_answer=CAPTCHA)
    camera.submit()
    camera.shoot("recoverpassword-choose")
    camera.submit("questions")
    camera.shoot("recoverpassword-question")
    driver.get(page + "recoverpassword.do")
    camera.fill(username="alex", captcha_answer=CAPTCHA)
    camera.submit()
    driver.get(mailed(app, sink, base, "confirmrecovery.do"))
    camera.shoot("confirmrecovery")
    driver.get(page + "confirmrecovery.do?confirmation=0&username=alex&tenantdomain=carbon.super")
    camera.shoot("link-expired")
    driver.get(page + "recoverusername.do")
    camera.shoot("recoverusername")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/pages")
    parser.add_argument("--lang", default="en")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    sink = Sink()
    sink.controller.start()
    with tempfile.TemporaryDirectory() as scratch:
        app, base = start_server(Path(scratch) / "pages.db", sink.controller.port)
        add_users(app)
        driver = browser(str(Path(scratch) / "profile"), args.lang)
        try:
            walk(Camera(driver, out), app, sink, base)
        finally:
            driver.quit()
            sink.controller.stop()
    print(f"screenshots in {out}/")


if __name__ == "__main__":
    main()
