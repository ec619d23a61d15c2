"""
The sample API in headless Chromium (Debian's chromium, driven through its chromedriver by
Selenium) under real gunicorn: the browsable API renders with its stylesheet, its HTML form
creates a book, and Swagger UI lists the endpoints. Screenshots go to each test's tmp dir.
"""

from __future__ import annotations

import shutil

import pytest

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (requirements-dev.txt)")
pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                       reason="Chromium is not installed: apt-get install chromium chromium-driver"),
]

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def wait(browser, condition, timeout=15):
    return WebDriverWait(browser, timeout).until(condition)


def test_browsable_api_renders_with_its_stylesheet(shop, browser, tmp_path):
    """DRF's Bootstrap stylesheet is loaded and applied with DEBUG off (the navbar is dark, not transparent)."""
    base = f"http://127.0.0.1:{shop.server.port}"
    browser.get(f"{base}/api/books/")
    navbar = wait(browser, expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".navbar")))
    browser.save_screenshot(str(tmp_path / "books.png"))
    # DRF's default.css paints the navbar #2C2C2C; unstyled, it would be transparent.
    assert navbar.value_of_css_property("background-color") == "rgba(44, 44, 44, 1)"
    loaded = browser.execute_script(
        "return [...document.styleSheets].filter(s => s.href && s.cssRules.length).map(s => s.href)")
    assert any(href.endswith("/static/rest_framework/css/bootstrap.min.css") for href in loaded), loaded
    assert "A Wizard of Earthsea" in browser.page_source  # the first book by title


def test_html_form_post_creates_a_book(shop, browser, tmp_path):
    """Log in through DRF's login page, fill the browsable API's HTML form and POST it: 201, the book exists."""
    base = f"http://127.0.0.1:{shop.server.port}"
    browser.get(f"{base}/api/auth/login/?next=/api/books/")
    browser.find_element(By.NAME, "username").send_keys("bob")
    browser.find_element(By.NAME, "password").send_keys("bookshop")
    browser.find_element(By.CSS_SELECTOR, "form#login-form [type=submit], form [type=submit]").click()
    form = wait(browser, expected_conditions.presence_of_element_located((By.ID, "post-object-form")))
    form.find_element(By.NAME, "title").send_keys("The Aleph")
    form.find_element(By.NAME, "isbn").send_keys("9780142437889")
    Select(form.find_element(By.NAME, "author")).select_by_visible_text("Jorge Luis Borges")
    form.find_element(By.NAME, "price").send_keys("8.50")
    browser.save_screenshot(str(tmp_path / "form.png"))
    form.find_element(By.CSS_SELECTOR, "button[type=submit], button.js-tooltip").click()
    wait(browser, expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, ".response-info"),
                                                                     "201 Created"))
    browser.save_screenshot(str(tmp_path / "created.png"))
    status, found = shop.json("GET", "/api/books/", query={"search": "Aleph"})
    assert [(b["title"], b["owner"], b["author_name"]) for b in found["results"]] == [
        ("The Aleph", "bob", "Jorge Luis Borges")]


def test_swagger_ui_lists_the_endpoints(shop, browser, tmp_path):
    base = f"http://127.0.0.1:{shop.server.port}"
    browser.get(f"{base}/api/docs/")
    wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, ".opblock")) > 10, timeout=30)
    browser.save_screenshot(str(tmp_path / "swagger.png"))
    paths = {e.text.replace("\u200b", "") for e in browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    for path in ("/api/books/", "/api/books/{id}/", "/api/books/{id}/availability/", "/api/books/export/",
                 "/api/books/{id}/reviews/", "/api/auth/token/"):
        assert path in paths, sorted(paths)
