"""The report in a real browser: Debian's headless Chromium, driven through its own chromedriver by selenium.

The page must load every image and log no console error; a screenshot of each case is kept under
build/test-artifacts/report/. The check is proven to catch a missing image: a copy of the report with one SVG
deleted must fail it. Without chromium the test fails (run `make tools`), never skips.
"""

import shutil
import tempfile
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts" / "report"
CHROMIUM = "chromium"
CHROMEDRIVER = "chromedriver"
# Flags that run Chromium headless as root in a container, with nothing reaching out to the network.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
WINDOW = (1200, 900)
MAX_SCREENSHOT_HEIGHT = 12000
PAGE_LOAD_TIMEOUT_S = 60
# Every <img> (complete, with a decoded width) and every inline <svg> (with content), in page order.
IMAGES_SCRIPT = """
return {
  images: Array.from(document.images, i => ({src: i.getAttribute('src'), complete: i.complete, width: i.naturalWidth})),
  svgs: Array.from(document.querySelectorAll('svg'), s => s.childElementCount),
};
"""


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} not found: the browser test needs Debian's chromium and chromium-driver (`make tools`)"
    return path


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _tool(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="alertkit-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console messages, read by get_log
    driver = webdriver.Chrome(service=Service(_tool(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT_S)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def page_problems(driver, index: Path, screenshot: Path) -> tuple[int, list[str]]:
    """Open the page; (images found, every image that did not load and every console error). Keeps a
    full-page screenshot."""
    driver.get_log("browser")  # drop messages of an earlier page
    driver.get(index.resolve().as_uri())
    found = driver.execute_script(IMAGES_SCRIPT)
    problems = [f"image {i['src']} did not load" for i in found["images"] if not i["complete"] or i["width"] <= 0]
    problems += [f"inline svg {n} is empty" for n, count in enumerate(found["svgs"]) if count == 0]
    problems += [f"console {m['level']}: {m['message']}" for m in driver.get_log("browser") if m["level"] == "SEVERE"]
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(WINDOW[0], min(max(height, WINDOW[1]), MAX_SCREENSHOT_HEIGHT))
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(screenshot)), screenshot
    driver.set_window_size(*WINDOW)
    return len(found["images"]), problems


def test_every_image_loads_and_no_console_error(browser, built_report):
    count, problems = page_problems(browser, built_report / "index.html", ARTIFACTS / "report.png")
    assert problems == []
    assert count == len(list((built_report / "plots").rglob("*.svg"))) == 3
    assert (ARTIFACTS / "report.png").stat().st_size > 0


def test_the_check_catches_a_missing_image(browser, built_report, tmp_path):
    broken = tmp_path / "report"
    shutil.copytree(built_report, broken)
    missing = "plots/nulls/geo-nulls--TrafficGone.svg"
    (broken / missing).unlink()
    count, problems = page_problems(browser, broken / "index.html", ARTIFACTS / "report-missing-image.png")
    assert count == 3
    assert f"image {missing} did not load" in problems
    assert any(p.startswith("console SEVERE:") and "geo-nulls--TrafficGone.svg" in p for p in problems), problems
    assert len(problems) == 2  # the other images still load
