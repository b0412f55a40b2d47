"""`derive serve` in a real browser: Debian's headless Chromium driven by Selenium through its chromedriver.

A student's session, as the page contract (element ids) describes it: type an
answer, see the reading typeset (KaTeX) after a pause, press Check, read the
verdict; a wrong answer shows its diagnosis, an unreadable one the position of
the fault; the solution unfolds step by step with rule names; a pasted
derivation gets its marks; the equiv page compares two expressions. Hostile
text (`<script>`) stays text. No page logs a script error or a
Content-Security-Policy violation.

Screenshots go to $DERIVE_SCREENSHOTS, or to the test's temporary directory.
Chromium and chromedriver come from Debian's packages (`bash .ci/setup`
installs them as root); Selenium never downloads a driver (no Selenium
Manager). Outside CI the test is skipped where they are missing; in CI ($CI
set) that is a failure.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.serving import served

WAIT = 30.0  # seconds for a preview or a verdict: the checks run in the server's isolated workers
HOSTILE = "<script>alert(1)</script>"


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser test (`bash .ci/setup` as root installs "
                    "Debian's chromium and chromium-driver)", pytrace=False)
    pytest.skip(reason)


def cli_json(*args: str):
    done = subprocess.run([sys.executable, "-m", "derive.cli", *args, "--json"], capture_output=True, text=True,
                          timeout=300)
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def server():
    with served() as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if not chromium or not chromedriver:
        _unavailable("chromium or chromedriver is not installed")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("selenium is not installed (the test extras: pip install -e '.[test]')")
    saved = os.environ.get("SE_OFFLINE")
    os.environ["SE_OFFLINE"] = "true"  # never let Selenium Manager look for a driver on the internet
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,1024", "--lang=en-GB"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        if saved is None:
            os.environ.pop("SE_OFFLINE", None)
        else:
            os.environ["SE_OFFLINE"] = saved


@pytest.fixture(scope="module")
def screens(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("DERIVE_SCREENSHOTS") or tmp_path_factory.mktemp("screens"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def student(browser, server, screens):
    """The browser, on a page of the server; the console must stay free of script errors and CSP violations."""
    from selenium.common.exceptions import NoAlertPresentException

    browser.get_log("browser")  # forget what earlier tests logged
    yield Student(browser, server.url, screens)
    try:
        text = browser.switch_to.alert.text
        pytest.fail(f"a page raised an alert: {text!r}")
    except NoAlertPresentException:
        pass
    problems = [entry["message"] for entry in browser.get_log("browser") if _is_fault(entry)]
    assert not problems, "the browser console shows:\n" + "\n".join(problems)


def _is_fault(entry) -> bool:
    message = entry["message"]
    if "Content Security Policy" in message or "Content-Security-Policy" in message:
        return True
    if entry["level"] != "SEVERE":
        return False
    # an unreadable answer is a 400 from the API, by design: the page shows it, the console notes it
    return not re.search(r"status of (400|422)\b", message)


class Student:
    def __init__(self, driver, url: str, screens: Path):
        self.driver, self.url, self.screens = driver, url, screens

    def open(self, path: str) -> None:
        self.driver.get(self.url + path)

    def find(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def type(self, css: str, text: str) -> None:
        box = self.find(css)
        box.clear()
        box.send_keys(text)

    def until(self, condition, what: str):
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        try:
            return WebDriverWait(self.driver, WAIT, poll_frequency=0.1).until(lambda _: condition())
        except TimeoutException:
            self.shot("timeout")
            raise AssertionError(f"waited {WAIT:.0f} s for {what}; the page shows:\n"
                                 + self.find("body").text) from None

    def text_of(self, css: str) -> str:
        found = self.find_all(css)
        return found[0].text if found else ""

    def wait_text(self, css: str, predicate, what: str) -> str:
        return str(self.until(lambda: (lambda t: t if predicate(t) else None)(self.text_of(css)), what))

    def scrollbars(self, css: str) -> bool:
        """Whether the element shows a scrollbar (a fraction's few pixels of overflow once made one appear)."""
        return bool(self.driver.execute_script(
            "const e = arguments[0]; return e.offsetWidth - e.clientWidth > 2 || e.offsetHeight - e.clientHeight > 2",
            self.find(css)))

    def scroll_to(self, css: str) -> None:
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", self.find(css))

    def shot(self, name: str) -> Path:
        path = self.screens / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


def is_verdict(word: str):
    """The verdict as words: 'equivalent' must not match 'not equivalent'."""
    def holds(text: str) -> bool:
        lowered = text.lower()
        return word in lowered and (word != "equivalent" or "not equivalent" not in lowered)
    return holds


# -- the problem list ----------------------------------------------------------------------------------
def test_problem_list_in_course_order(student):
    from derive.problem.course import ordered

    student.open("/")
    links = student.find_all("a.problem-link")
    student.shot("01-problem-list")
    hrefs = [link.get_attribute("href").removeprefix(student.url) for link in links]
    assert hrefs == [f"/problems/{problem}" for problem in ordered()]


# -- one part, from the first keystroke to the verdict ------------------------------------------------
def test_right_answer_is_typeset_then_equivalent(student):
    student.open("/problems/tanh-derivative")
    student.type("#answer-derivative", "1 - tanh(x)^2")
    student.until(lambda: student.find_all("#preview-derivative .katex"), "the preview typeset by KaTeX")
    assert not student.find_all("#preview-derivative .parse-error")
    student.shot("02-preview-typeset")
    student.find("#check-derivative").click()
    student.wait_text("#verdict-derivative", is_verdict("equivalent"), "the verdict 'equivalent'")
    student.shot("03-verdict-equivalent")


def test_wrong_answer_shows_its_diagnosis(student):
    from derive.checking import check

    answer = r"\sigma_i(1-\sigma_j)"
    expected = check("softmax-jacobian/jacobian", answer)
    assert expected.verdict == "not_equivalent" and expected.diagnosis
    student.open("/problems/softmax-jacobian")
    student.type("#answer-jacobian", answer)
    student.until(lambda: student.find_all("#preview-jacobian .katex"), "the preview of the wrong answer")
    student.find("#check-jacobian").click()
    shown = student.wait_text("#verdict-jacobian", is_verdict("not equivalent"), "the verdict 'not equivalent'")
    for reason in expected.diagnosis:
        assert str(reason) in shown
    counterexample = expected.counterexample
    assert counterexample["student_value"] in shown and counterexample["reference_value"] in shown
    for entry, value in counterexample["point"]["x"].items():  # a vector's entries one by one, not as JSON
        assert f"x_{entry} = {value}" in shown
    student.scroll_to("section#part-jacobian")
    student.shot("04-verdict-wrong-diagnosis")


def test_unreadable_answer_shows_where(student):
    from derive.checking import check

    answer = "1 - tanh(x"
    message = check("tanh-derivative/derivative", answer).message
    position = re.findall(r"column \d+", message)[-1]
    student.open("/problems/tanh-derivative")
    student.type("#answer-derivative", answer)
    shown = student.wait_text("#preview-derivative .parse-error", lambda t: position in t,
                              f"the parse error at {position}")
    assert not student.find_all("#preview-derivative .katex")
    student.shot("05-parse-error")
    student.find("#check-derivative").click()
    student.wait_text("#verdict-derivative", is_verdict("invalid"), "the verdict 'invalid'")
    assert shown


def test_preview_follows_the_text(student):
    """A reading replaces the error as soon as the text is mended (the page keeps no stale preview)."""
    student.open("/problems/tanh-derivative")
    student.type("#answer-derivative", "1 - tanh(x")
    student.until(lambda: student.find_all("#preview-derivative .parse-error"), "the parse error")
    student.find("#answer-derivative").send_keys(")^2")
    student.until(lambda: student.find_all("#preview-derivative .katex")
                  and not student.find_all("#preview-derivative .parse-error"), "the mended reading")


# -- the solution and the derivation box --------------------------------------------------------------
def test_solution_step_by_step_with_rule_names(student):
    part = cli_json("tanh-derivative", "--part", "derivative")["parts"][0]
    student.open("/problems/tanh-derivative")
    assert not student.find("div#solution-derivative").is_displayed()
    student.find("button#show-solution-derivative").click()
    student.until(lambda: student.find("div#solution-derivative").is_displayed()
                  and len(student.find_all("div#solution-derivative .katex")) >= len(part["steps"]),
                  "the solution's steps typeset")
    shown = student.text_of("div#solution-derivative")
    for step in part["steps"]:
        assert step["rule"] in shown
    student.scroll_to("section#part-derivative")
    student.shot("06-solution")


def test_pasted_derivation_gets_marks(student):
    work = "d/dx tanh(x) = d/dx (sinh(x)/cosh(x))\n= (cosh(x)^2 - sinh(x)^2)/cosh(x)^2\n= 1 + tanh(x)^2\n"
    student.open("/problems/tanh-derivative")
    from selenium.webdriver.support.ui import Select

    Select(student.find("select#steps-part")).select_by_value("derivative")
    student.type("textarea#steps-input", work)
    student.find("button#steps-check").click()
    student.wait_text("div#steps-result", lambda t: "✗" in t, "the marks of the pasted derivation")
    assert [td.text for td in student.find_all("#steps-result td.mark")] == ["✓", "✓", "✗"]  # not the counts line
    student.scroll_to("section#steps")
    student.shot("07-steps-marks")


# -- two free expressions -------------------------------------------------------------------------------
def test_equiv_page(student):
    student.open("/equiv")
    student.type("textarea#equiv-first", "1/(1+exp(-2x))")
    student.type("textarea#equiv-second", "tanh(x)/2 + 1/2")
    student.until(lambda: student.find_all("#equiv-first-preview .katex") and student.find_all(
        "#equiv-second-preview .katex"), "both free expressions' previews typeset")
    assert not student.scrollbars("#equiv-first-preview") and not student.scrollbars("#equiv-second-preview")
    student.find("button#equiv-check").click()
    student.wait_text("div#equiv-result", is_verdict("equivalent"), "equiv's verdict 'equivalent'")
    student.shot("08-equiv")
    student.type("textarea#equiv-second", "tanh(x)/2")
    student.find("button#equiv-check").click()
    student.wait_text("div#equiv-result", is_verdict("not equivalent"), "equiv's verdict 'not equivalent'")


# -- hostile text stays text ----------------------------------------------------------------------------
def _only_our_scripts(student) -> None:
    sources = student.driver.execute_script(
        "return Array.from(document.scripts).map(s => s.src ? new URL(s.src).pathname : 'inline: ' + s.text)")
    assert all(source.startswith("/static/") for source in sources), sources


def test_script_in_an_answer_is_text(student):
    student.open("/problems/tanh-derivative")
    student.type("#answer-derivative", HOSTILE)
    shown = student.wait_text("#preview-derivative", lambda t: HOSTILE in t, "the hostile answer quoted as text")
    assert "column" in shown
    student.find("#check-derivative").click()
    student.wait_text("#verdict-derivative", lambda t: t.strip() and "…" not in t, "the verdict of the hostile answer")
    _only_our_scripts(student)
    assert student.find("#answer-derivative").get_attribute("value") == HOSTILE
    assert not student.find_all("#part-derivative script, #part-derivative img")
    student.shot("09-hostile-answer")


def test_script_in_equiv_and_steps_is_text(student):
    student.open("/equiv")
    student.type("textarea#equiv-first", HOSTILE)
    student.type("textarea#equiv-second", "x")
    student.find("button#equiv-check").click()
    student.until(lambda: student.text_of("div#equiv-result"), "equiv's answer to the hostile text")
    _only_our_scripts(student)
    student.open("/problems/tanh-derivative")
    student.type("textarea#steps-input", f"d/dx tanh(x) = {HOSTILE}\n")
    student.find("button#steps-check").click()
    student.until(lambda: student.text_of("div#steps-result"), "the marks of the hostile derivation")
    _only_our_scripts(student)
    assert not student.find_all("#steps-result script")


# -- a server without solutions --------------------------------------------------------------------------
def test_no_solutions_server_sends_no_solution(browser, screens):
    """With --no-solutions the page has no solution button, and the steps are not in the page at all."""
    part = cli_json("tanh-derivative", "--part", "derivative")["parts"][0]
    with served("--no-solutions") as sheet:
        student = Student(browser, sheet.url, screens)
        student.open("/problems/tanh-derivative")
        student.until(lambda: student.find_all("#answer-derivative"), "the answer box")
        assert not student.find_all("#solution-derivative")
        source = browser.page_source
        assert not [step["note"] for step in part["steps"] if step["note"] and step["note"] in source]
        assert part["answer"]["index_ascii"] not in source
        student.type("#answer-derivative", "1 - tanh(x)^2")
        student.find("#check-derivative").click()
        student.wait_text("#verdict-derivative", is_verdict("equivalent"), "the verdict without solutions")
