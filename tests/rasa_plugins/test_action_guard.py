"""The action guard over a real Sanic server, with a loopback HTTP server standing in for the action server."""
import asyncio
import gzip
import json
import socket

import aiohttp
import pytest
from aiohttp import web
from sanic import Sanic

from orienta.catalogs import translations_for
from orienta_rasa.action_guard import (
    APOLOGY,
    NOTICE,
    NOTICE_KEY,
    ActionGuardInput,
    apologised_this_turn,
    apology_response,
    decode_call,
    passes_through,
    slot_mapping_actions,
)

TOKEN = "guard-test-token"
DOMAIN = {"forms": {"course_search_form": {"required_slots": ["search_subject"]}}, "slots": {"region": {"mappings": [{"type": "custom", "action": "action_fill_region"}]},
                    "topic": {"mappings": [{"type": "from_entity", "entity": "topic"}]}}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(action="action_search_courses", slots=None, detected="pl", events=()):
    return {"next_action": action, "sender_id": "learner", "domain": DOMAIN,
            "tracker": {"slots": slots or {}, "latest_message": {"text": "szukam kursu", "language": detected},
                        "events": list(events)}}


def polish_apology():
    return translations_for("pl").gettext(APOLOGY)


def test_apology_is_translated():
    assert polish_apology() != APOLOGY
    assert translations_for("lt").gettext(APOLOGY) != polish_apology()


def test_apology_in_the_turns_language():
    assert apology_response(call()) == {"events": [], "responses": [{"text": polish_apology(), NOTICE_KEY: NOTICE}]}
    unclear = apology_response(call(slots={"language": "lt"}, detected="und"))
    assert unclear["responses"][0]["text"] == translations_for("lt").gettext(APOLOGY)
    chosen = apology_response(call(slots={"language": "lt", "language_chosen": True}))
    assert chosen["responses"][0]["text"] == translations_for("lt").gettext(APOLOGY)


def test_slot_filling_actions_stay_silent():
    assert slot_mapping_actions(DOMAIN) == {"action_fill_region"}
    assert slot_mapping_actions(None) == set()
    assert apology_response(call("action_fill_region")) == {"events": [], "responses": []}


def test_a_failed_form_validation_ends_the_form():
    ended = apology_response(call("validate_course_search_form"))
    assert ended == {"events": [{"event": "active_loop", "name": None}],
                     "responses": [{"text": polish_apology(), NOTICE_KEY: NOTICE}]}
    said = {"event": "bot", "metadata": {NOTICE_KEY: NOTICE}}
    again = apology_response(call("validate_course_search_form", events=[{"event": "user"}, said]))
    assert again == {"events": [{"event": "active_loop", "name": None}], "responses": []}


def test_one_apology_per_turn():
    said = {"event": "bot", "text": "...", "metadata": {NOTICE_KEY: NOTICE}}
    assert apologised_this_turn([{"event": "user"}, said])
    assert not apologised_this_turn([said, {"event": "user"}])
    assert not apologised_this_turn([{"event": "user"}, {"event": "bot", "metadata": {}}])
    assert apology_response(call(events=[{"event": "user"}, said])) == {"events": [], "responses": []}


def test_decode_call_reads_plain_and_gzip_json_and_tolerates_garbage():
    body = json.dumps(call()).encode()
    assert decode_call(body)["next_action"] == "action_search_courses"
    assert decode_call(gzip.compress(body))["next_action"] == "action_search_courses"
    assert decode_call(b"\x1f\x8bnot gzip") == {}
    assert decode_call(b"[1, 2]") == {}


@pytest.mark.parametrize("status, passes", [(200, True), (204, True), (400, True), (404, False), (500, False)])
def test_which_answers_pass_through(status, passes):
    assert passes_through(status) is passes


def test_credentials_need_url_and_token():
    with pytest.raises(Exception):
        ActionGuardInput.from_credentials({"url": "http://127.0.0.1:1/webhook"})
    guard = ActionGuardInput.from_credentials({"url": "http://127.0.0.1:1/webhook", "token": TOKEN, "timeout": 2})
    assert (guard.url, guard.token, guard.timeout) == ("http://127.0.0.1:1/webhook", TOKEN, 2.0)


async def _upstream(port, status_of):
    """A loopback server standing in for the action server: echoes the call, or fails with a given status."""
    seen = []

    async def handle(request):
        body = await request.read()
        seen.append(body)
        data = json.loads(body)
        status = status_of(data["next_action"])
        if status == "hang":
            await asyncio.sleep(5)
        if status == 400:
            return web.json_response({"action_name": data["next_action"], "error": "rejected"}, status=400)
        if status != 200:
            return web.Response(status=status, text="boom")
        return web.json_response({"events": [{"event": "slot", "name": "seen", "value": data["next_action"]}],
                                  "responses": [{"text": "ok"}]})

    app = web.Application()
    app.router.add_post("/webhook", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, seen


def test_guard_forwards_and_apologises_over_http():
    statuses = {"action_ok": 200, "action_rejected": 400, "action_crashes": 500, "action_hangs": "hang"}

    async def scenario():
        upstream_port, guard_port = free_port(), free_port()
        runner, seen = await _upstream(upstream_port, statuses.get)
        guard = ActionGuardInput(f"http://127.0.0.1:{upstream_port}/webhook", TOKEN, timeout=1)

        async def on_new_message(message):  # the guard never receives learner messages
            raise AssertionError("not a learner channel")

        app = Sanic(f"guard_test_{guard_port}")
        app.blueprint(guard.blueprint(on_new_message), url_prefix="/webhooks/action_guard")
        server = await app.create_server(host="127.0.0.1", port=guard_port, return_asyncio_server=True)
        await server.startup()
        url = f"http://127.0.0.1:{guard_port}/webhooks/action_guard/webhook"
        results = {}
        try:
            async with aiohttp.ClientSession() as client:
                async def post(action, token=TOKEN):
                    async with client.post(url, headers={"Authorization": f"Bearer {token}"}, json=call(action)) as answer:
                        return answer.status, await answer.json()

                results["forbidden"] = await post("action_ok", token="wrong")
                for action in statuses:
                    results[action] = await post(action)
                await runner.cleanup()  # the action server goes away
                results["down"] = await post("action_ok")
        finally:
            await guard._session.close()
            server.close()
            await server.wait_closed()
        return results, seen

    results, seen = asyncio.run(scenario())
    apology = {"events": [], "responses": [{"text": polish_apology(), NOTICE_KEY: NOTICE}]}
    assert results["forbidden"][0] == 403
    # the forbidden call never reached the action server; the others did, body untouched
    assert [json.loads(body)["next_action"] for body in seen] == list(statuses)
    assert results["action_ok"] == (200, {"events": [{"event": "slot", "name": "seen", "value": "action_ok"}],
                                          "responses": [{"text": "ok"}]})
    assert results["action_rejected"][0] == 400
    assert results["action_crashes"] == (200, apology)
    assert results["action_hangs"] == (200, apology)
    assert results["down"] == (200, apology)
