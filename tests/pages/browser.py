"""A person at the pages, as the journeys need one: open, fill in, submit, read the outcome;
axe-core runs on every page shown (no serious or critical violation allowed)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.conftest import LiveServer
from tests.pages.support import page_url

AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))))
  .catch(e => done([{id: 'axe-failed: ' + e, impact: 'critical', nodes: 0}]));
"""
BLOCKING = ("serious", "critical")
#: (page and title, shows errors) already checked in this run.
_CHECKED: set[tuple[str, bool]] = set()


@dataclass
class Person:
    driver: Any
    axe_source: str
    server: LiveServer
    checked: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def open(self, url: str) -> None:
        self.driver.get(url)
        self.check_accessibility()

    def open_page(self, page: str, tenant: str = "") -> None:
        self.open(page_url(self.server, page, tenant))

    def fill(self, values: Mapping[str, str]) -> None:
        for name, value in values.items():
            element = self.driver.find_element(By.NAME, name)
            element.clear()
            element.send_keys(value)

    def solve_captcha(self) -> None:
        """Type the text of the captcha the page shows (the test server's known texts)."""
        self.fill({"captcha_answer": self.server.captcha.last})

    def submit(self, step: str | None = None) -> None:
        """Press the form's one submit button (of the form for ``step`` on a choice page)."""
        if step is None:
            forms = self.driver.find_elements(By.CSS_SELECTOR, "form")
            assert len(forms) == 1, "one form expected"
            form = forms[0]
        else:
            form = self.driver.find_element(
                By.XPATH, f"//form[input[@name='step' and @value='{step}']]"
            )
        buttons = form.find_elements(By.CSS_SELECTOR, "button, input[type=submit]")
        assert len(buttons) == 1 and buttons[0].get_attribute("type") == "submit"
        old = self.driver.find_element(By.TAG_NAME, "html")
        buttons[0].click()
        WebDriverWait(self.driver, 20).until(lambda _driver: _gone(old))
        self.check_accessibility()

    def outcome(self) -> str:
        found = self.driver.find_elements(By.ID, "outcome")
        assert found, f"no outcome on {self.driver.current_url}: {self.text()[:300]}"
        return str(found[0].get_attribute("data-outcome"))

    def text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def check_accessibility(self) -> None:
        """axe-core on this page, once per run for each page, title and error state (a page
        shown again the same way renders the same template)."""
        title = f"{self.driver.current_url.split('?')[0].rsplit('/', 1)[-1]}: {self.driver.title}"
        errors = bool(self.driver.find_elements(By.CSS_SELECTOR, "[aria-invalid=true]"))
        if (title, errors) in _CHECKED:
            return
        _CHECKED.add((title, errors))
        self.driver.execute_script(self.axe_source)
        violations = self.driver.execute_async_script(AXE_RUN)
        self.checked[title] = violations
        report = os.environ.get("RECOVERY_AXE_REPORT")
        if report:
            with open(report, "a", encoding="utf-8") as handle:
                handle.write(json.dumps({"page": title, "violations": violations}) + "\n")
        blocking = [v for v in violations if v["impact"] in BLOCKING]
        assert not blocking, f"axe-core on {title}: {blocking}"


def _gone(element: Any) -> bool:
    """The page the element belonged to was replaced. Chromium reports a replaced document's node
    either as stale or as "does not belong to the document": both mean gone."""
    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException among them
        return True
    return False
