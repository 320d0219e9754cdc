"""Synthetic catalogues (e.g. 10k or 100k offers) in the interchange format, for benchmarks only.

Never shipped as content: every record is marked `"sample": true`, ids start
with `prv-syn-` / `ofr-syn-` / `pth-syn-` / `rec-syn-`, and provider names say
"(synthetic)". Texts are composed from a small multilingual vocabulary so that
search and filters have realistic variety (five languages, all modes, EQF 3-8,
1-15 ECTS, prices, dates, pathways, recognition) and the same seed always
gives the same file.

    python -m catalogue_index.synthetic --offers 100000 --output var/synthetic-100k.jsonl
"""
from __future__ import annotations

import argparse
import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, TextIO

from .interchange import canonical, dumps

LANGUAGES = ("en", "ro", "pl", "sl", "lt")
COUNTRIES = {"en": "IE", "ro": "RO", "pl": "PL", "sl": "SI", "lt": "LT"}
CURRENCIES = {"IE": "EUR", "RO": "RON", "PL": "PLN", "SI": "EUR", "LT": "EUR"}
# topic: (ISCED-F code, {language: words})
TOPICS = {
    "data": ("0542", {"en": "data analysis", "ro": "analiza datelor", "pl": "analiza danych", "sl": "analiza podatkov",
                      "lt": "duomenų analizė"}),
    "cyber": ("0612", {"en": "cybersecurity", "ro": "securitate cibernetică", "pl": "cyberbezpieczeństwo",
                       "sl": "kibernetska varnost", "lt": "kibernetinis saugumas"}),
    "cloud": ("0612", {"en": "cloud computing", "ro": "cloud computing", "pl": "chmura obliczeniowa",
                       "sl": "računalništvo v oblaku", "lt": "debesų kompiuterija"}),
    "ai": ("0613", {"en": "machine learning", "ro": "învățare automată", "pl": "uczenie maszynowe",
                    "sl": "strojno učenje", "lt": "mašininis mokymasis"}),
    "solar": ("0713", {"en": "solar energy systems", "ro": "sisteme de energie solară", "pl": "instalacje fotowoltaiczne",
                       "sl": "sončne elektrarne", "lt": "saulės energetikos sistemos"}),
    "heatpump": ("0713", {"en": "heat pump installation", "ro": "instalarea pompelor de căldură",
                          "pl": "montaż pomp ciepła", "sl": "vgradnja toplotnih črpalk", "lt": "šilumos siurblių montavimas"}),
    "nursing": ("0913", {"en": "elderly care nursing", "ro": "îngrijirea vârstnicilor", "pl": "opieka nad osobami starszymi",
                         "sl": "nega starejših", "lt": "pagyvenusių žmonių slauga"}),
    "accounting": ("0411", {"en": "accounting", "ro": "contabilitate", "pl": "rachunkowość", "sl": "računovodstvo",
                            "lt": "apskaita"}),
    "marketing": ("0414", {"en": "digital marketing", "ro": "marketing digital", "pl": "marketing cyfrowy",
                           "sl": "digitalni marketing", "lt": "skaitmeninė rinkodara"}),
    "teaching": ("0111", {"en": "online teaching", "ro": "predare online", "pl": "nauczanie zdalne",
                          "sl": "poučevanje na daljavo", "lt": "nuotolinis mokymas"}),
    "welding": ("0715", {"en": "welding", "ro": "sudură", "pl": "spawanie", "sl": "varjenje", "lt": "suvirinimas"}),
    "woodwork": ("0722", {"en": "furniture making", "ro": "tâmplărie", "pl": "stolarstwo", "sl": "mizarstvo",
                          "lt": "baldų gamyba"}),
    "language": ("0231", {"en": "business English", "ro": "engleză pentru afaceri", "pl": "angielski biznesowy",
                          "sl": "poslovna angleščina", "lt": "verslo anglų kalba"}),
    "logistics": ("1041", {"en": "supply chain logistics", "ro": "logistica lanțului de aprovizionare",
                           "pl": "logistyka łańcucha dostaw", "sl": "logistika oskrbovalne verige",
                           "lt": "tiekimo grandinės logistika"}),
}
LEVELS = {"en": ("Introduction to {}", "Applied {}", "Advanced {}"),
          "ro": ("Introducere în {}", "{} aplicată", "{} avansată"),
          "pl": ("Wprowadzenie: {}", "{} w praktyce", "{} dla zaawansowanych"),
          "sl": ("Uvod v {}", "{} v praksi", "Napredna {}"),
          "lt": ("Įvadas: {}", "Taikomoji {}", "Pažengusiems: {}")}
OUTCOMES = {"en": ("Explain the main concepts of {}.", "Apply {} methods to a realistic case.",
                   "Evaluate the results of {} work and document them."),
            "ro": ("Explică principalele concepte din {}.", "Aplică metode de {} pe un caz realist.",
                   "Evaluează și documentează rezultatele în {}."),
            "pl": ("Wyjaśnia główne pojęcia: {}.", "Stosuje metody ({}) w realistycznym przypadku.",
                   "Ocenia i dokumentuje wyniki pracy ({})."),
            "sl": ("Pojasni glavne pojme: {}.", "Uporabi metode ({}) na realnem primeru.",
                   "Ovrednoti in dokumentira rezultate ({})."),
            "lt": ("Paaiškina pagrindines sąvokas: {}.", "Taiko metodus ({}) realiam atvejui.",
                   "Įvertina ir dokumentuoja rezultatus ({}).")}
MODES = ("online", "onsite", "blended")
ASSESSMENTS = ("written_exam", "project", "practical_assessment", "portfolio", "online_exam", "oral_exam")
QA_TYPES = ("internal_quality_assurance", "external_quality_assurance", "programme_accreditation",
            "industry_certification")
PROVIDER_TYPES = ("higher_education", "vet", "employer", "other")


def _provider(index: int, rng: random.Random) -> Dict[str, Any]:
    language = LANGUAGES[index % len(LANGUAGES)]
    kind = PROVIDER_TYPES[index % len(PROVIDER_TYPES)]
    return {"type": "provider", "id": f"prv-syn-{index:05d}", "sample": True, "original_language": language,
            "name": {language: f"Synthetic provider {index} (synthetic)"}, "country": COUNTRIES[language],
            "provider_type": kind, "qa_status": rng.choice(("deqar_listed", "accredited", "certified", None))}


def _offer(index: int, provider: Dict[str, Any], rng: random.Random) -> Dict[str, Any]:
    language = provider["original_language"]
    topic = rng.choice(sorted(TOPICS))
    code, words = TOPICS[topic]
    level = rng.randrange(3)
    languages = [language] + (["en"] if language != "en" and rng.random() < 0.6 else [])
    title = {lang: LEVELS[lang][level].format(words[lang]) + f" {index}" for lang in languages}
    ects = rng.choice((1, 2, 3, 4, 5, 6, 8, 10, 12, 15))
    self_paced = rng.random() < 0.3
    start = date(2026, 1, 5) + timedelta(days=rng.randrange(0, 365))
    weeks = max(1, ects * 2 // 3)
    offer = {
        "type": "offer", "id": f"ofr-syn-{index:06d}", "sample": True, "provider": provider["id"],
        "original_language": language, "title": title,
        "description": {lang: f"{title[lang]}: {words[lang]} ({ects} ECTS)." for lang in languages},
        "learning_outcomes": [{lang: OUTCOMES[lang][i].format(words[lang]) for lang in languages} for i in range(3)],
        "languages": languages, "ects": ects, "workload_hours": ects * 25, "eqf_level": min(8, 3 + level * 2 + rng.randrange(2)),
        "assessment_type": rng.choice(ASSESSMENTS), "mode": rng.choice(MODES), "work_based": rng.random() < 0.15,
        "qa_type": rng.choice(QA_TYPES), "self_paced": self_paced,
        "start_date": None if self_paced else start.isoformat(),
        "end_date": None if self_paced else (start + timedelta(weeks=weeks)).isoformat(),
        "duration_weeks": weeks, "isced_f": [code],
        "price": {"free": True} if rng.random() < 0.25 else {"amount": rng.randrange(50, 1500, 10),
                                                            "currency": CURRENCIES[provider["country"]]},
        "skills": [{"label": {lang: words[lang] for lang in languages}}],
        "stackability": "stackable" if rng.random() < 0.4 else "stand_alone",
    }
    return offer


def generate(offers: int, seed: int = 1) -> Iterator[Dict[str, Any]]:
    """Providers, offers, pathways and recognition statements (one provider per 50 offers)."""
    rng = random.Random(seed)
    providers = [_provider(i, rng) for i in range(max(1, offers // 50))]
    yield from providers
    by_provider: Dict[str, List[Dict[str, Any]]] = {}
    for index in range(offers):
        offer = _offer(index, providers[index % len(providers)], rng)
        by_provider.setdefault(offer["provider"], []).append(offer)
        yield offer
    pathways: List[Dict[str, Any]] = []
    for number, (provider_id, owned) in enumerate(sorted(by_provider.items())):
        if len(owned) < 4:
            continue
        core, options = owned[0], owned[1:4]
        language = core["original_language"]
        pathway = {"type": "pathway", "id": f"pth-syn-{number:05d}", "sample": True, "original_language": language,
                   "title": {language: f"Synthetic pathway {number}"}, "awarding_body": provider_id,
                   "eqf_level": core["eqf_level"], "ects": core["ects"] + sum(o["ects"] for o in options[:2]),
                   "rules": [{"rule": "all_of", "offers": [core["id"]]},
                             {"rule": "any_n_of", "n": 2, "offers": [o["id"] for o in options]}]}
        pathways.append(pathway)
        yield pathway
    for number in range(offers // 30):
        recogniser = providers[(number * 7) % len(providers)]
        subject = rng.choice(pathways) if pathways and number % 3 == 0 else None
        target = {"pathway": subject["id"]} if subject else {"offer": f"ofr-syn-{rng.randrange(offers):06d}"}
        language = recogniser["original_language"]
        yield {"type": "recognition", "id": f"rec-syn-{number:05d}", "sample": True, "original_language": language,
               "recognised_by": recogniser["id"], **target,
               "recognised_as": {language: f"Synthetic recognition {number}"},
               "procedure": ("credit_transfer", "rpl", "foreign_credential_recognition")[number % 3]}


def write(offers: int, stream: TextIO, seed: int = 1) -> int:
    count = 0
    for record in generate(offers, seed):
        stream.write(dumps(canonical(record)) + "\n")
        count += 1
    return count


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic catalogue (benchmarks only) as JSON Lines.")
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", "-o", help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        with open(args.output, "w", encoding="utf-8") as stream:
            count = write(args.offers, stream, args.seed)
        print(f"wrote {count} records to {args.output}", file=sys.stderr)
    else:
        write(args.offers, sys.stdout, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
