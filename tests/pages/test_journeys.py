"""Whole journeys in headless Chromium against the real server, mail through a real SMTP server:
sign-up, confirmation, forgotten password by mail and by challenge questions, forgotten user
name, expired and replayed links, a phone-sized screen; axe-core checks every page shown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests
from selenium.webdriver.common.by import By

from recovery_soap.core import admin, registration
from recovery_soap.core.challenges import set_answers
from recovery_soap.core.claims import EMAIL, GIVEN_NAME
from recovery_soap.pages.form_fields import LAST_NAME
from tests.conftest import LiveServer, unique
from tests.pages.browser import Person
from tests.pages.support import (
    NEW_PASSWORD,
    OLD_PASSWORD,
    PUBLIC,
    mailed_link,
    outcome_of,
    pages_caller,
    query_of,
)
from tests.rest.support import token_response
from tests.soap.flows import Q1, Q2, SET1, SET2
from tests.support import body_of


@pytest.fixture
def person(browser: Any, axe_source: str, pages_server: LiveServer) -> Person:
    browser.delete_all_cookies()
    return Person(browser, axe_source, pages_server)


def _logs_in(server: LiveServer, username: str, password: str) -> bool:
    answer = token_response(
        server, {"grant_type": "password", "username": username, "password": password}
    )
    return answer.status_code == 200


def _user_with_answers(server: LiveServer, name: str) -> None:
    env = server.app.env
    with env.uow() as uow:
        user = admin.add_user(
            env,
            uow,
            "carbon.super",
            name,
            OLD_PASSWORD,
            {EMAIL: f"{name}@example.test", GIVEN_NAME: "Pat", LAST_NAME: "Lee"},
        )
        set_answers(env, uow, user, [(SET1, Q1, "Colombo"), (SET2, Q2, "Cricket")])
        uow.commit()


def test_sign_up_confirm_and_recover_the_password_by_mail(person: Person) -> None:
    server, name = person.server, unique("signup")
    address = f"{name}@example.test"
    person.open_page("register.do")
    person.fill(
        {
            "username": name,
            "password": OLD_PASSWORD,
            "confirm_password": OLD_PASSWORD,
            "email": address,
            "first_name": "Alex",
            "last_name": "Doe",
        }
    )
    person.solve_captcha()
    person.submit()
    assert person.outcome() == "success"
    assert not _logs_in(server, name, OLD_PASSWORD)  # locked until confirmed

    link = mailed_link(server, address, "confirmregistration.do")
    assert query_of(link) == {
        "confirmation": query_of(link)["confirmation"],
        "userstoredomain": "PRIMARY",
        "username": name,
        "tenantdomain": "carbon.super",
    }
    for _ in range(2):  # a mail scanner and a link preview open it first: nothing is spent
        scanned = requests.get(link, timeout=30)
        assert scanned.status_code == 200 and outcome_of(scanned.text) is None
    person.open(link)
    assert person.driver.find_element(By.CSS_SELECTOR, "button[type=submit]").text
    person.solve_captcha()
    person.submit()
    assert person.outcome() == "success"
    assert _logs_in(server, name, OLD_PASSWORD)

    person.open(link)  # replayed: spent
    assert person.outcome() == "error"

    person.open_page("recoverpassword.do")
    person.fill({"username": name})
    person.solve_captcha()
    person.submit()
    assert person.outcome() == "success"
    link = mailed_link(server, address, "confirmrecovery.do")
    assert requests.get(link, timeout=30).status_code == 200  # scanned, not spent
    person.open(link)
    person.fill({"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    person.solve_captcha()
    person.submit()
    assert person.outcome() == "success", person.text()
    assert _logs_in(server, name, NEW_PASSWORD)
    assert not _logs_in(server, name, OLD_PASSWORD)

    replayed = requests.get(link, timeout=30)
    assert replayed.status_code == 200 and outcome_of(replayed.text) == "error"


def test_challenge_questions_recover_the_password(person: Person) -> None:
    server, name = person.server, unique("questions")
    _user_with_answers(server, name)
    person.open_page("recoverpassword.do")
    person.fill({"username": name})
    person.solve_captcha()
    person.submit()
    person.submit(step="questions")
    for set_id, answer in ((SET1, "Colombo"), (SET2, "Cricket")):
        person.fill({set_id: answer})  # each answer input is named by its question set
        person.submit()
    person.fill({"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    person.submit()
    assert person.outcome() == "success", person.text()
    assert _logs_in(server, name, NEW_PASSWORD)
    assert not _logs_in(server, name, OLD_PASSWORD)


def test_a_wrong_answer_ends_the_attempt(person: Person) -> None:
    name = unique("wrong")
    _user_with_answers(person.server, name)
    person.open_page("recoverpassword.do")
    person.fill({"username": name})
    person.solve_captcha()
    person.submit()
    person.submit(step="questions")
    person.fill({SET1: "Nowhere"})
    person.submit()
    assert person.outcome() == "error"
    assert _logs_in(person.server, name, OLD_PASSWORD)


def test_the_user_name_is_mailed(person: Person) -> None:
    server, name = person.server, unique("forgetful")
    _user_with_answers(server, name)
    person.open_page("recoverusername.do")
    person.fill({"email": f"{name}@example.test", "first_name": "Pat", "last_name": "Lee"})
    person.solve_captcha()
    person.submit()
    assert person.outcome() == "success"
    assert name not in person.text()  # by mail only
    server.deliver_mail()
    mails = server.smtp.mailbox.for_address(f"{name}@example.test")
    assert mails and name in body_of(mails[-1])


def test_an_expired_link_says_start_again(person: Person) -> None:
    server, name = person.server, unique("late")
    address = f"{name}@example.test"
    registration.register_user(
        server.app.env,
        pages_caller(server),
        name,
        OLD_PASSWORD,
        [(EMAIL, address), (GIVEN_NAME, "Sam")],
        None,
        "carbon.super",
    )
    link = mailed_link(server, address, "confirmregistration.do")
    server.clock.advance(days=2)
    person.open(link)
    assert person.outcome() == "error"
    assert person.driver.find_element(By.CSS_SELECTOR, "#outcome ~ .links a")


def test_the_pages_fit_a_phone(person: Person) -> None:
    driver = person.driver
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 360, "height": 740, "deviceScaleFactor": 2, "mobile": True},
    )
    try:
        for page in ("register.do", "recoverpassword.do", "recoverusername.do"):
            person.open_page(page)
            width = driver.execute_script("return document.documentElement.scrollWidth")
            assert width <= 360, f"{page} scrolls sideways on a phone ({width}px)"
            button = driver.find_element(By.CSS_SELECTOR, "button[type=submit]")
            assert button.size["width"] >= 280
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_errors_are_tied_to_their_fields(person: Person) -> None:
    person.open_page("register.do")
    person.fill(
        {
            "username": unique("typo"),
            "password": OLD_PASSWORD,
            "confirm_password": NEW_PASSWORD,
            "email": "typo@example.test",
            "first_name": "Kim",
            "last_name": "Ray",
        }
    )
    person.solve_captcha()
    person.submit()
    field = person.driver.find_element(By.NAME, "confirm_password")
    assert field.get_attribute("aria-invalid") == "true"
    error = person.driver.find_element(By.ID, str(field.get_attribute("aria-describedby")))
    assert error.text and "error" in str(error.get_attribute("class"))


def test_the_confirmation_mail_is_sent_again(person: Person) -> None:
    server, name = person.server, unique("again")
    address = f"{name}@example.test"
    registration.register_user(
        server.app.env,
        pages_caller(server),
        name,
        OLD_PASSWORD,
        [(EMAIL, address), (GIVEN_NAME, "Jo")],
        None,
        "carbon.super",
    )
    server.deliver_mail()
    sent = len(server.smtp.mailbox.for_address(address))
    person.open_page("resendconfirmation.do")
    person.fill({"username": name})
    person.submit()
    assert person.outcome() == "success"
    server.deliver_mail()
    assert len(server.smtp.mailbox.for_address(address)) == sent + 1
    person.open(mailed_link(server, address, "confirmregistration.do"))
    person.solve_captcha()
    person.submit()
    assert person.outcome() == "success"


def test_code_and_answers_asks_the_questions_after_the_link(
    browser: Any, axe_source: str, serve: Callable[..., LiveServer]
) -> None:
    server = serve(public_url=PUBLIC, recovery_proof="code_and_answers")
    browser.delete_all_cookies()
    person, name = Person(browser, axe_source, server), unique("both")
    _user_with_answers(server, name)
    person.open_page("recoverpassword.do")
    person.fill({"username": name})
    person.solve_captcha()
    person.submit()
    assert person.outcome() == "success"  # no choice: the mail comes first
    person.open(mailed_link(server, f"{name}@example.test", "confirmrecovery.do"))
    assert not person.driver.find_elements(By.NAME, "password")
    person.solve_captcha()
    person.submit()
    for set_id, answer in ((SET1, "Colombo"), (SET2, "Cricket")):
        person.fill({set_id: answer})
        person.submit()
    person.fill({"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    person.submit()
    assert person.outcome() == "success", person.text()
    assert _logs_in(server, name, NEW_PASSWORD)
