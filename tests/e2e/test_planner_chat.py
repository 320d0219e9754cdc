"""End to end: a complete planner dialogue over REST on the sample catalogue (issue 5's "done when")."""
import pytest
from babel.support import Translations

from orienta.languages import locales_dir

pytestmark = pytest.mark.e2e
LITHUANIAN = Translations.load(str(locales_dir()), ["lt"], "orienta")


def lt(message_id, **values):
    text = LITHUANIAN.gettext(message_id)
    return text.format(**values) if values else text.split("{")[0]


def test_two_catalogue_offers_and_an_external_credential_give_the_plan(stack):
    sender = "planner-lt"
    asked = stack.say(sender, "padėk susidaryti mokymosi planą", language="lt")
    assert [m["text"] for m in asked] == [lt("plan.ask_held")], asked
    # Titles the NLU reads as other intents (plan_stack, a knowledge topic, find_course) are credentials here.
    for title in ("Uosto terminalų operacijų planavimas", "Jūrų teisė ir krovinių vežimo jūra sutartys"):
        noted = stack.say(sender, title)
        assert noted[0]["text"].startswith(lt("plan.noted_offer")) and title in noted[0]["text"], noted
    noted = stack.say(sender, "Jūrinė anglų kalba B2, 4 kreditai, EQF 6")
    assert "Jūrinė anglų kalba B2" in noted[0]["text"], noted
    goal = stack.say(sender, lt("plan.done_word"))
    assert goal[-1]["text"] == lt("plan.ask_goal"), goal
    plan = stack.say(sender, lt("plan.no_goal_word"))
    assert plan[0]["text"] == lt("plan.intro"), plan
    pathway = plan[1]["text"]
    assert "Uosto logistika ir jūrų transportas" in pathway, plan
    assert lt("plan.collected", collected="8", required="12") in pathway, pathway
    assert "„Jūrinė anglų kalba B2“" in " ".join(m.get("text") or "" for m in plan), plan
