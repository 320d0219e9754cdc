"""A handoff asked for in the web widget reaches the counsellors' webhook with the right summary."""
import re

import pytest

from orienta.catalogs import translations_for
from tests.e2e.test_widget_browser import browser, css, fresh_page, one, wait_answer, wait_connected  # noqa: F401
from tests.e2e.webhook_receiver import Receiver

pytestmark = pytest.mark.e2e
Keys = pytest.importorskip("selenium.webdriver.common.keys").Keys


def click(driver, title):
    buttons = [b for b in css(driver, ".ow-msg .ow-choice") if b.text == title]
    assert buttons, f"no button {title!r}"
    buttons[-1].click()


def test_a_handoff_from_the_widget_in_polish(stack, browser, handoff_webhook_port):  # noqa: F811
    pl = translations_for("pl").gettext
    receiver = Receiver(handoff_webhook_port)
    try:
        fresh_page(browser, f"{stack.demo_url}/?lang=pl")
        one(browser, ".ow-toggle").click()
        wait_connected(browser)
        one(browser, ".ow-input").send_keys("czy mikropoświadczenie jest uznawane za granicą?", Keys.ENTER)
        seen = len(wait_answer(browser, 0))
        one(browser, ".ow-input").send_keys("chciałbym porozmawiać z doradcą zawodowym", Keys.ENTER)
        asked = wait_answer(browser, seen)
        assert asked[-1].startswith(pl("handoff.ask_consent")[:60])
        seen += len(asked)
        click(browser, pl("button.yes"))
        assert wait_answer(browser, seen)[-1] == pl("handoff.ask_contact")
        seen += 1
        click(browser, pl("handoff.button_chat"))
        created = "\n".join(wait_answer(browser, seen))
        assert pl("handoff.next_chat") in created
        reference = re.search(r"H-[2-9A-Z]{6}", created).group(0)

        payload = receiver.wait_for(reference)
        for fact in ("Polish", "in the chat (conversation ", "Recognition"):
            assert fact in payload["text"], (fact, payload)
    finally:
        receiver.shutdown()
