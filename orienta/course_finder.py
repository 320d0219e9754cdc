"""Course search as a conversation: new searches, refinements, more results, similar offers, offer details.

Plain functions from (what the learner asked, what the conversation remembers)
to (messages, what to remember); the Rasa actions only read slots and send
messages. The remembered state is small and JSON-safe: the search text, the
filters, the offers shown so far and the offer in focus.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional, Sequence

from catalogue_index.filters import SearchFilters, eur_rates, to_eur
from catalogue_index.lookup import offer_context, offers_by_id
from catalogue_index.search import SearchResult, SearchService

from .offer_view import N_, OfferPresenter
from .search_request import SearchRequest, cheaper_filters

PAGE_SIZE = 5
EXAMPLE_SUBJECTS = (N_("search.example_subject.digital"), N_("search.example_subject.green"),
                    N_("search.example_subject.care"))


@dataclass
class SearchState:
    """What the conversation remembers about its search (kept in slots)."""

    query: str = ""
    filters: SearchFilters = field(default_factory=SearchFilters)
    shown: List[str] = field(default_factory=list)  # every offer shown for this search, in order
    page: List[str] = field(default_factory=list)  # the last list shown ("the second one")
    offer: Optional[str] = None  # the offer last looked at ("this course")
    active: bool = False  # a search has been made

    def to_slots(self) -> Dict[str, Any]:
        return {"search_query": self.query if self.active else None,
                "search_filters": self.filters.as_dict() if self.active else None,
                "search_shown": list(self.shown), "search_page": list(self.page), "search_offer": self.offer}

    @classmethod
    def from_slots(cls, slots: Dict[str, Any]) -> "SearchState":
        filters = slots.get("search_filters")
        if isinstance(filters, str):
            try:
                filters = json.loads(filters)
            except ValueError:
                filters = None
        try:
            parsed = SearchFilters.from_dict(filters if isinstance(filters, dict) else None)
        except (TypeError, ValueError):
            parsed = SearchFilters()
        return cls(query=slots.get("search_query") or "", filters=parsed,
                   shown=[str(i) for i in slots.get("search_shown") or []],
                   page=[str(i) for i in slots.get("search_page") or []], offer=slots.get("search_offer"),
                   active=slots.get("search_query") is not None or bool(filters))


@dataclass
class Reply:
    messages: List[Dict[str, Any]]
    state: SearchState


def _button(title: str, intent: str, **entities: str) -> Dict[str, str]:
    payload = f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")
    return {"title": title, "payload": payload}


class CourseFinder:
    """The search conversation over one SearchService, in one language per call."""

    def __init__(self, service: SearchService) -> None:
        self.service = service

    # -- the learner's moves ----------------------------------------------------------------------------------------

    def search(self, request: SearchRequest, language: str, asked: bool = False) -> Reply:
        """A new search; a request with nothing to search for gets a hint with example subjects instead.

        `asked`: the clarifying question was already asked, so the hint does not repeat it.
        """
        view = OfferPresenter(language)
        if request.vague:
            return Reply([self._still_vague(view) if asked else self._ask_subject(view)], SearchState())
        state = SearchState(query=request.query, filters=request.filters, active=True)
        return self._run(view, state, offset=0)

    def refine(self, previous: SearchState, request: SearchRequest, language: str) -> Reply:
        """The last search with the new constraints (and new subject words, if any) on top."""
        view = OfferPresenter(language)
        if not previous.active:
            return self.search(request, language)
        filters = previous.filters.merged(request.filters)
        if request.cheaper:
            filters = cheaper_filters(filters, self._prices(previous.page))
        if filters == previous.filters and not request.query:
            return Reply([{"text": view.t("search.refine_hint"), "buttons": self._refine_buttons(view)}], previous)
        state = SearchState(query=request.query or previous.query, filters=filters, active=True, offer=previous.offer)
        return self._run(view, state, offset=0)

    def more(self, previous: SearchState, language: str) -> Reply:
        view = OfferPresenter(language)
        if not previous.active:
            return Reply([self._ask_subject(view)], previous)
        return self._run(view, previous, offset=len(previous.shown))

    def similar(self, previous: SearchState, offer_id: Optional[str], language: str) -> Reply:
        """Offers like one offer: its own text is the query, the offer itself left out."""
        view = OfferPresenter(language)
        offer_id = offer_id or previous.offer
        document = self.service.engine().document(offer_id) if offer_id else None
        if document is None:
            return self._which_offer(view, previous)
        query = document.texts.get(view.language) or next(iter(document.texts.values()))
        state = SearchState(query=query, filters=SearchFilters(), active=True, offer=offer_id)
        return self._run(view, state, offset=0, exclude=[offer_id])

    def explain(self, previous: SearchState, offer_id: Optional[str], position: Optional[int], language: str) -> Reply:
        """Every Annex I element of the offer the learner means (by id, by its place in the list, or in focus)."""
        view = OfferPresenter(language)
        chosen = self.resolve_offer(previous, offer_id, position)
        if chosen is None:
            return self._which_offer(view, previous)
        with self.service.store.session() as session:
            context = offer_context(session, chosen)
            if context is None:
                return self._which_offer(view, previous)
            text = view.details(context)
            title = view.title(context.offer)
        buttons = [_button(view.t("button.similar_offers"), "similar_offers", offer_id=chosen)]
        if previous.page:
            buttons.append(_button(view.t("button.back_to_results"), "more_results"))
        buttons.append(_button(view.t("button.refine_search"), "refine_search"))
        return Reply([{"text": text, "buttons": buttons,
                       "json_message": {"type": "offer_details", "id": chosen, "title": title}}],
                     replace(previous, offer=chosen))

    # -- helpers ----------------------------------------------------------------------------------------------------

    @staticmethod
    def resolve_offer(previous: SearchState, offer_id: Optional[str], position: Optional[int]) -> Optional[str]:
        if offer_id:
            return offer_id
        if position is not None and previous.page:
            if position == -1:
                return previous.page[-1]
            if 1 <= position <= len(previous.page):
                return previous.page[position - 1]
            return None
        if previous.offer:
            return previous.offer
        return previous.page[0] if len(previous.page) == 1 else None

    def _prices(self, offer_ids: Sequence[str]) -> List[Optional[float]]:
        rates = eur_rates()
        with self.service.store.session() as session:
            offers = offers_by_id(session, offer_ids)
            return [0.0 if o.price_free else to_eur(o.price_amount, o.price_currency, rates) for o in offers.values()]

    def _ask_subject(self, view: OfferPresenter) -> Dict[str, Any]:
        return {"text": view.t("search.ask_subject")}

    def _still_vague(self, view: OfferPresenter) -> Dict[str, Any]:
        examples = [view.t(message_id) for message_id in EXAMPLE_SUBJECTS]
        return {"text": view.t("search.still_vague"),
                "buttons": [_button(example, "find_course", subject=example) for example in examples]}

    def _which_offer(self, view: OfferPresenter, previous: SearchState) -> Reply:
        if not previous.page:
            return Reply([{"text": view.t("offer.which_none")}], previous)
        with self.service.store.session() as session:
            offers = offers_by_id(session, previous.page)
            buttons = [_button(f"{n}. {view.title(offers[i])}", "explain_offer", offer_id=i)
                       for n, i in enumerate(previous.page, 1) if i in offers]
        return Reply([{"text": view.t("offer.which"), "buttons": buttons}], previous)

    def _refine_buttons(self, view: OfferPresenter) -> List[Dict[str, str]]:
        return [_button(view.t("mode.online"), "refine_search", mode="online"),
                _button(view.t("offer.free"), "refine_search", price="free"),
                _button(view.t("button.in_language", language=view.language_name(view.language)), "refine_search",
                        course_language=view.language)]

    def _run(self, view: OfferPresenter, state: SearchState, offset: int, exclude: Sequence[str] = ()) -> Reply:
        result: SearchResult = self.service.engine().search(state.query, state.filters, top_k=PAGE_SIZE,
                                                            offset=offset, exclude=exclude)
        ids = [hit.offer_id for hit in result.hits]
        if not ids:
            key = N_("search.no_more") if offset else N_("search.nothing_found")
            return Reply([{"text": view.t(key), "buttons": self._refine_buttons(view) if not offset else []}],
                         replace(state, page=state.page if offset else []))
        with self.service.store.session() as session:
            offers = offers_by_id(session, ids)
            cards = [view.card(offers[i], offset + n) for n, i in enumerate(ids, 1) if i in offers]
        header = [view.t("search.found", count=view.number(result.total), first=view.number(offset + 1),
                         last=view.number(offset + len(cards)))]
        if result.relaxed:
            header.append(view.relaxed(result.relaxed))
        applied = view.filters(result.filters)
        if applied:
            header.append(view.t("search.filters_applied", filters=applied))
        messages: List[Dict[str, Any]] = [{"text": "\n".join(header)}]
        for card in cards:
            offer_id = card["data"]["id"]
            messages.append({"text": card["text"], "buttons": [
                _button(view.t("button.offer_details"), "explain_offer", offer_id=offer_id),
                _button(view.t("button.similar_offers"), "similar_offers", offer_id=offer_id)]})
        footer = []
        if offset + len(cards) < result.total:
            footer.append(_button(view.t("button.more_results"), "more_results"))
        footer.append(_button(view.t("button.refine_search"), "refine_search"))
        messages.append({"text": view.t("search.next_steps"), "buttons": footer,
                         "json_message": {"type": "offer_cards", "cards": [c["data"] for c in cards]}})
        shown = list(state.shown if offset else []) + ids
        return Reply(messages, replace(state, shown=shown, page=ids, filters=result.filters))
