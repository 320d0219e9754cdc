"""The web widget in headless Chromium on the demo page, against the real stack (scripts/run.sh).

Debian's chromium + chromium-driver (.ci/run installs them) driven by selenium. The
flags that stop Chromium's background networking matter: without them it hangs on a
closed network. Each check starts from empty browser storage.
"""
import shutil
import tempfile
import time

import pytest

from orienta.catalogs import translations_for
from orienta.languages import supported_languages

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

pytestmark = pytest.mark.e2e

CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1280,900")
GREETINGS = {"en": "hello", "ro": "bună ziua", "pl": "cześć", "sl": "dober dan", "lt": "labas"}
INJECTION = "<img src=x onerror=alert(1)><script>alert(2)</script>"
TIMEOUT = 90  # seconds for a bot answer (a search embeds the query on a shared 2-core machine)


@pytest.fixture(scope="module")
def browser():
    if not shutil.which("chromium") or not shutil.which(CHROMEDRIVER):
        pytest.fail("chromium and chromium-driver are missing: apt-get install -y chromium chromium-driver")
    profile = tempfile.mkdtemp(prefix="orienta-chromium-")
    options = webdriver.ChromeOptions()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def css(driver, selector):
    return driver.find_elements(By.CSS_SELECTOR, selector)


def one(driver, selector):
    return driver.find_element(By.CSS_SELECTOR, selector)


def fresh_page(driver, url):
    """The page with empty storage (no session, no history)."""
    driver.get(url)
    driver.execute_script("localStorage.clear(); sessionStorage.clear();")
    driver.get(url)
    WebDriverWait(driver, 30).until(lambda d: css(d, ".ow-toggle"))


def wait_connected(driver):
    WebDriverWait(driver, 30).until(lambda d: not one(d, ".ow-status").is_displayed())


def entries(driver):
    return css(driver, ".ow-log > li:not(.ow-intro)")


def bot_texts(driver):
    """What the bot said, message by message (the bubble or card, without the speaker label and buttons)."""
    return [e.find_element(By.CSS_SELECTOR, ".ow-bubble, .ow-card").text
            for e in css(driver, ".ow-log > li.ow-bot:not(.ow-intro)")]


def wait_answer(driver, before):
    """Wait until the bot has answered (new entries, the typing note gone, nothing new for a second)."""
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: len(css(d, ".ow-log > li.ow-bot:not(.ow-intro)")) > before and not one(d, ".ow-typing").is_displayed())
    count = -1
    while count != len(entries(driver)):
        count = len(entries(driver))
        time.sleep(1.0)
    return bot_texts(driver)[before:]


def no_alert(driver):
    try:
        text = driver.switch_to.alert.text
    except NoAlertPresentException:
        return True
    pytest.fail(f"an alert opened: {text}")


def test_conversation_in_lithuanian_with_cards_reload_and_no_injection(stack, browser):
    lt = translations_for("lt").gettext
    fresh_page(browser, f"{stack.demo_url}/?lang=lt")
    toggle = one(browser, ".ow-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert toggle.text == lt("widget.open")
    toggle.send_keys(Keys.ENTER)  # keyboard only
    assert toggle.get_attribute("aria-expanded") == "true"
    message_field = one(browser, ".ow-input")
    assert browser.switch_to.active_element == message_field
    assert one(browser, ".ow-log").get_attribute("aria-live") == "polite"
    wait_connected(browser)

    message_field.send_keys("Ieškau kurso apie duomenų analizę", Keys.ENTER)
    answer = wait_answer(browser, 0)
    found_prefix = lt("search.found").split("{", 1)[0]
    assert answer[0].startswith(found_prefix), answer[0]
    cards = css(browser, ".ow-card")
    assert cards, "no offer cards"
    for link in css(browser, ".ow-card a"):
        assert link.get_attribute("href").startswith(("http://", "https://"))
        assert link.get_attribute("rel") == "noopener noreferrer"
    title = one(browser, ".ow-card-title").text.split(". ", 1)[1]

    details = [b for b in css(browser, ".ow-msg .ow-choice") if b.text == lt("button.offer_details")]
    assert details, "no details buttons in Lithuanian"
    before, turns = len(bot_texts(browser)), len(entries(browser))
    # the first card has scrolled up out of the log's view: bring it back, as a learner would
    # the log scrolls smoothly: jump instead, and click once the button is inside the window
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", details[0])
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight;",
        details[0]))
    details[0].click()
    explained = wait_answer(browser, before)
    assert f"{lt('offer.label.title')}: {title}" in explained[0]
    learner_turn = entries(browser)[turns]  # shows the button's title, not its payload
    assert learner_turn.find_element(By.CSS_SELECTOR, ".ow-bubble").text == lt("button.offer_details")

    shown = [e.text for e in entries(browser)]
    browser.refresh()
    WebDriverWait(browser, 30).until(lambda d: len(entries(d)) == len(shown))
    assert [e.text for e in entries(browser)] == shown
    assert one(browser, ".ow-toggle").get_attribute("aria-expanded") == "true"  # still open after the reload
    assert css(browser, ".ow-card")
    wait_connected(browser)

    browser.execute_script("window.__alerts = []; window.alert = function (m) { window.__alerts.push(m); };")
    before = len(bot_texts(browser))
    one(browser, ".ow-input").send_keys(INJECTION, Keys.ENTER)
    wait_answer(browser, before)  # the session survived the reload: the bot still answers
    mine = css(browser, ".ow-log > li.ow-user")[-1]
    assert mine.find_element(By.CSS_SELECTOR, ".ow-bubble").text == INJECTION
    assert not css(browser, ".orienta-widget img, .orienta-widget script, .orienta-widget iframe")
    assert no_alert(browser) and browser.execute_script("return window.__alerts") == []

    # Escape closes the panel and gives the focus back to the toggle
    one(browser, ".ow-input").send_keys(Keys.ESCAPE)
    assert one(browser, ".ow-toggle").get_attribute("aria-expanded") == "false"
    assert browser.switch_to.active_element == one(browser, ".ow-toggle")

    # both socket.io transports work cross-origin (the page on :demo, Rasa on :rasa): it starts with
    # HTTP long-polling (CORS from --cors) and upgrades to a WebSocket
    assert browser.execute_script("return window.OrientaWidget.transport()") == "websocket"
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors


@pytest.mark.parametrize("language", supported_languages())
def test_page_and_greeting_in_each_language(stack, browser, language):
    gettext = translations_for(language).gettext
    fresh_page(browser, f"{stack.demo_url}/?lang={language}")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
    toggle = one(browser, ".ow-toggle")
    assert toggle.text == gettext("widget.open")
    toggle.click()
    assert toggle.text == gettext("widget.close")
    assert one(browser, ".ow-input").get_attribute("placeholder") == gettext("widget.placeholder")
    assert one(browser, ".ow-send").text == gettext("widget.send")
    assert one(browser, ".ow-intro").text == gettext("widget.intro")
    assert Select(one(browser, ".ow-language")).first_selected_option.get_attribute("value") == language
    wait_connected(browser)
    one(browser, ".ow-input").send_keys(GREETINGS[language], Keys.ENTER)
    answer = wait_answer(browser, 0)
    greeting = gettext("greet").split("\n", 1)[0]
    assert answer[0].startswith(greeting[:40]), (answer, greeting)


def test_language_selector_switches_the_conversation(stack, browser):
    fresh_page(browser, f"{stack.demo_url}/?lang=en")
    one(browser, ".ow-toggle").click()
    wait_connected(browser)
    Select(one(browser, ".ow-language")).select_by_value("pl")
    pl = translations_for("pl").gettext
    WebDriverWait(browser, 10).until(lambda d: one(d, ".ow-send").text == pl("widget.send"))
    wait_answer(browser, 0)
    before = len(bot_texts(browser))
    one(browser, ".ow-input").send_keys("hello", Keys.ENTER)  # English text, but the learner chose Polish
    answer = wait_answer(browser, before)
    assert answer[0].startswith(pl("greet")[:40]), answer
