"""A real browser against a live ``bmkg serve``: Debian's headless Chromium, driven by selenium.

It opens the home page, follows a topic and checks that its charts load, searches for a
model and opens its page, loads a library question on the query page, runs it and sees the
rows. Each step saves a screenshot to test-artifacts/browser/. Chromium must come from the
system (``apt-get install chromium chromium-driver``); nothing is downloaded.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,900")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists() or not CHROMEDRIVER.exists(),
                       reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"),
]


@pytest.fixture(scope="module")
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip install selenium)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def site(shipped_build, live_servers):
    root, _result = shipped_build
    return live_servers(root)


def screenshot(driver, name: str) -> Path:
    """The whole page, as a user scrolling through it would see it."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("window.scrollTo(0, 0); return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(900, min(height, 4000)))
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 900)
    return path


def no_console_errors(driver) -> None:
    """Nothing the page did was blocked (our own CSP included) and nothing failed to load."""
    errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors


def test_a_reader_browses_the_graph_and_runs_a_query(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(browser, 30)
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)

    browser.get(site.url + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "bmkg: the big-model knowledge graph"
    topics = browser.find_elements(By.CSS_SELECTOR, "#topics ul.topics a")
    assert len(topics) == 16
    screenshot(browser, "1-home")
    no_console_errors(browser)

    next(a for a in topics if a.text == "Language Model").click()
    wait.until(ready.title_contains("Language Model"))
    charts = browser.find_elements(By.CSS_SELECTOR, "figure.chart img")
    assert len(charts) == 4
    wait.until(lambda d: all(d.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
                             for img in charts))
    assert all(img.get_attribute("alt") for img in charts)
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.models tbody tr")) == 25
    screenshot(browser, "2-topic")
    no_console_errors(browser)

    search = browser.find_element(By.CSS_SELECTOR, "header form.search input[name=q]")
    search.send_keys("GPT-3 175B")
    search.submit()
    wait.until(ready.title_contains("Search"))
    browser.find_element(By.LINK_TEXT, "GPT-3 175B (davinci)").click()
    wait.until(ready.title_contains("GPT-3 175B (davinci)"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "GPT-3 175B (davinci)"
    inferred = browser.find_element(By.ID, "inferred")
    assert "performs task" in inferred.text and "declared to imply this topic" in inferred.text
    screenshot(browser, "3-entity")
    browser.find_element(By.LINK_TEXT, "OpenAI").click()
    wait.until(ready.title_contains("OpenAI"))
    assert browser.find_element(By.CSS_SELECTOR, "p.wikidata a.wd").get_attribute("href").startswith(
        "https://www.wikidata.org/wiki/Q")
    no_console_errors(browser)

    browser.get(site.url + "/query")
    Select(browser.find_element(By.ID, "name")).select_by_value("top-accelerators-per-topic")
    # query.js loads the question as soon as it is chosen; the Load button does it without JavaScript
    wait.until(lambda d: "Top training accelerators per topic" in d.find_element(By.ID, "query").get_attribute("value"))
    browser.find_element(By.ID, "run").click()
    wait.until(ready.presence_of_element_located((By.ID, "row-count")))
    rows = browser.find_elements(By.CSS_SELECTOR, "table.results tbody tr")
    assert len(rows) > 5
    assert "NVIDIA A100" in browser.find_element(By.CSS_SELECTOR, "table.results").text
    assert browser.find_elements(By.CSS_SELECTOR, "form.downloads button[name=format]")
    screenshot(browser, "4-query")
    no_console_errors(browser)
