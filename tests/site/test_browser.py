"""The built site in headless Chromium, as a reader uses it: math typeset from the
site's own MathJax, interactive figures that respond without a kernel, the language
switch landing on the same section, and Chinese search.

Needs Chromium and its driver (`make browser` installs them on Debian); the fixtures are in
conftest.py, the check of the Chinese glyphs on screen in test_fonts.py."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait


def wait(browser, condition, seconds=30):
    return WebDriverWait(browser, seconds).until(lambda _: condition())


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_math_is_typeset_by_the_local_mathjax(browser, base_url, lang):
    browser.get(f"{base_url}/{lang}/ch01/basis-function-regression.html")
    wait(browser, lambda: len(browser.find_elements(By.CSS_SELECTOR, "mjx-container")) > 20)
    sources = [s.get_attribute("src") for s in browser.find_elements(By.TAG_NAME, "script")]
    assert any(s and s.startswith(base_url) and "mathjax" in s for s in sources)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_interactive_figure_responds_without_a_kernel(browser, base_url, lang):
    browser.get(f"{base_url}/{lang}/ch01/basis-function-regression.html")
    explorer = browser.find_element(By.CSS_SELECTOR, ".lbdl-explorer")
    slider = explorer.find_element(By.CSS_SELECTOR, "input[type=range]")
    image = explorer.find_element(By.TAG_NAME, "img")
    before, label = image.get_attribute("src"), slider.find_element(By.XPATH, "following-sibling::output").text
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", slider)
    slider.click()
    slider.send_keys(Keys.ARROW_LEFT, Keys.ARROW_LEFT)        # what a reader does with the keyboard
    wait(browser, lambda: image.get_attribute("src") != before, 5)
    assert slider.find_element(By.XPATH, "following-sibling::output").text != label


def test_language_switch_keeps_the_section(browser, base_url):
    browser.get(f"{base_url}/en/ch01/basis-function-regression.html#sec-basis-explorer")
    wait(browser, lambda: browser.execute_script("return document.readyState") == "complete")
    browser.find_element(By.CSS_SELECTOR, "a.lbdl-lang-switch").click()
    wait(browser, lambda: "/zh/" in browser.current_url)
    assert browser.current_url.endswith("/zh/ch01/basis-function-regression.html#sec-basis-explorer")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    browser.find_element(By.CSS_SELECTOR, "a.lbdl-lang-switch").click()
    wait(browser, lambda: "/en/" in browser.current_url)
    assert "/en/ch01/basis-function-regression.html#sec-" in browser.current_url


def test_chinese_search_finds_the_section(browser, base_url):
    browser.get(f"{base_url}/zh/search.html?q=基函数")
    wait(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#search-results ul.search li a"))
    links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#search-results ul.search li a")]
    assert any("ch01/basis-function-regression.html" in link for link in links), links
