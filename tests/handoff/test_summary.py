from orienta.handoff.summary import conversation_summary, with_offer_titles


def user(intent, text="", **entities):
    return {"event": "user", "text": text, "parse_data": {
        "intent": {"name": intent}, "entities": [{"entity": k, "value": v} for k, v in entities.items()]}}


def slot(name, value):
    return {"event": "slot", "name": name, "value": value}


EVENTS = [
    {"event": "action", "name": "action_listen"},
    user("greet", "bună"),
    user("recognition", "cum se recunoaste?"),
    user("find_course", "curs de analiza datelor online"),
    slot("search_query", "analiza datelor"),
    user("explain_offer", "/explain_offer", offer_id="ofr-1"),
    slot("search_offer", "ofr-1"),
    user("similar_offers", "", offer_id="ofr-2"),
    user("recognition", "și recunoașterea?"),
    user("human_handoff", "vreau un consilier"),
]


def test_the_summary_names_topics_tasks_searches_offers_and_the_plan_but_no_message_text():
    slots = {"plan_items": [{"title": "Excel", "ects": 3.0, "eqf_level": 5}, {"bad": 1}], "plan_goal": "data analyst"}
    summary = conversation_summary(EVENTS, slots, "ro", knowledge_topics=["recognition", "definition"])
    assert summary == {
        "language": "ro", "messages": 7, "topics": ["recognition"],
        "tasks": ["find_course", "explain_offer", "similar_offers"], "searches": ["analiza datelor"],
        "offers": ["ofr-1", "ofr-2"],
        "plan": {"items": [{"title": "Excel", "ects": 3.0, "eqf_level": 5}], "goal": "data analyst"},
    }
    assert "vreau" not in str(summary) and "bună" not in str(summary)


def test_an_empty_conversation_has_an_empty_summary():
    summary = conversation_summary([], {}, "en", [])
    assert summary["topics"] == summary["offers"] == [] and summary["plan"] is None


def test_offers_get_their_titles_where_known():
    summary = with_offer_titles({"offers": ["a", "b"]}, {"a": "Python"})
    assert summary["offers"] == [{"id": "a", "title": "Python"}, {"id": "b", "title": None}]
