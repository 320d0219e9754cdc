"""Imports European Learning Model (ELM v3) JSON-LD credentials: the learning opportunity inside them.

A European Digital Credential describes what a learner achieved; the
catalogue wants what was offered. From each claim (LearningAchievement or
LearningActivity) this takes the specification: title, outcomes with ESCO
skills, ECTS (creditPoint), EQF/NQF level, language, mode, workload
(volumeOfLearning), assessment and its supervision/ID verification, entry
requirements, ISCED-F thematic areas, dates, and the awarding body as
provider. Signed files (JAdES: {"payload": "<json>", "signatures": [...]}) and
EDC "uploadable" wrappers ({"credential": {...}}) are unwrapped; an Open
Badges 3 achievement is read too. What a credential does not state stays null.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ..errors import CatalogueError, Issue
from ..interchange import SourceRecord, language_codes
from .csv_mapping import slug

# EU Publications Office authority codes (ISO 639-2/3 and ISO 3166-1 alpha-3) -> the format's two-letter codes.
LANGUAGES_3_TO_1 = {
    "BUL": "bg", "CES": "cs", "DAN": "da", "DEU": "de", "ELL": "el", "ENG": "en", "EST": "et", "FIN": "fi",
    "FRA": "fr", "GLE": "ga", "HRV": "hr", "HUN": "hu", "ITA": "it", "LAV": "lv", "LIT": "lt", "MLT": "mt",
    "NLD": "nl", "POL": "pl", "POR": "pt", "RON": "ro", "SLK": "sk", "SLV": "sl", "SPA": "es", "SWE": "sv",
    "ISL": "is", "NOR": "no", "NOB": "nb", "NNO": "nn", "TUR": "tr", "UKR": "uk", "RUS": "ru", "SRP": "sr",
    "MKD": "mk", "SQI": "sq", "BOS": "bs", "CAT": "ca", "EUS": "eu", "GLG": "gl", "ARA": "ar", "ZHO": "zh",
    "JPN": "ja", "LTZ": "lb",
}
COUNTRIES_3_TO_2 = {
    "AUT": "AT", "BEL": "BE", "BGR": "BG", "HRV": "HR", "CYP": "CY", "CZE": "CZ", "DNK": "DK", "EST": "EE",
    "FIN": "FI", "FRA": "FR", "DEU": "DE", "GRC": "GR", "HUN": "HU", "IRL": "IE", "ITA": "IT", "LVA": "LV",
    "LTU": "LT", "LUX": "LU", "MLT": "MT", "NLD": "NL", "POL": "PL", "PRT": "PT", "ROU": "RO", "SVK": "SK",
    "SVN": "SI", "ESP": "ES", "SWE": "SE", "ISL": "IS", "LIE": "LI", "NOR": "NO", "CHE": "CH", "GBR": "GB",
    "TUR": "TR", "SRB": "RS", "MKD": "MK", "MNE": "ME", "ALB": "AL", "BIH": "BA", "UKR": "UA", "MDA": "MD",
    "XKX": "XK", "USA": "US", "CAN": "CA",
}
ECTS_FRAMEWORK = "http://data.europa.eu/snb/education-credit/6fcec5c5af"
ESCO_URI = re.compile(r"^http://data\.europa\.eu/esco/(skill|occupation)/[0-9a-f-]+$")
MODES = (("blended", "blended"), ("hybrid", "blended"), ("online", "online"), ("distance", "online"),
         ("on-site", "onsite"), ("onsite", "onsite"), ("in person", "onsite"), ("in-person", "onsite"),
         ("face-to-face", "onsite"), ("presential", "onsite"))
ASSESSMENTS = (("artefact", "artefact_assessment"), ("artifact", "artefact_assessment"), ("portfolio", "portfolio"),
               ("project", "project"), ("oral", "oral_exam"), ("online exam", "online_exam"),
               ("written", "written_exam"), ("exam", "written_exam"), ("exercise", "assignment"),
               ("assignment", "assignment"), ("practical", "practical_assessment"), ("presentation", "presentation"),
               ("continuous", "continuous_assessment"), ("attendance", "attendance_only"),
               ("participation", "attendance_only"))
SUPERVISION = (("unsupervised without", "unsupervised_no_id_verification"),
               ("unsupervised with", "unsupervised_with_id_verification"),
               ("supervised without", "supervised_no_id_verification"),
               ("supervised with", "supervised_with_id_verification"))


# -- small readers of JSON-LD values ---------------------------------------------------------------------------------

def as_list(value: Any) -> List[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def types_of(node: Any) -> List[str]:
    return [str(t) for t in as_list(node.get("type"))] if isinstance(node, dict) else []


def lang_map(value: Any) -> Optional[Dict[str, str]]:
    """An ELM language map ({"en": "..."} or {"en": ["...", "..."]}) restricted to known two-letter codes."""
    if isinstance(value, dict) and "noteLiteral" in value:
        value = value["noteLiteral"]
    if not isinstance(value, dict):
        return None
    out: Dict[str, str] = {}
    for key, text in value.items():
        code = str(key).lower().split("-")[0]
        if isinstance(text, list):
            text = "\n".join(str(t) for t in text if t)
        if code in language_codes() and isinstance(text, str) and text.strip():
            out.setdefault(code, text.strip())
    return out or None


def label(concept: Any) -> Optional[Dict[str, str]]:
    return lang_map(concept.get("prefLabel")) if isinstance(concept, dict) else None


def any_text(texts: Optional[Dict[str, str]]) -> str:
    if not texts:
        return ""
    return texts.get("en") or next(iter(texts.values()))


def first(*values: Any) -> Any:
    return next((value for value in values if value not in (None, [], {})), None)


def hours(duration: Any) -> Optional[float]:
    """ISO 8601 duration of the time part only (PT60H, PT1H30M) in hours; other forms are not guessed."""
    match = re.fullmatch(r"PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?", str(duration or ""))
    if not match or not any(match.groups()):
        return None
    value = float(match.group(1) or 0) + float(match.group(2) or 0) / 60
    return round(value, 2) if value else None


def weeks(duration: Any) -> Optional[float]:
    """ISO 8601 duration (P1M, P6W, P10D, P1Y) in weeks, one decimal."""
    match = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?", str(duration or ""))
    if not match or not any(match.groups()):
        return None
    years, months, wks, days = (int(g or 0) for g in match.groups())
    value = round(years * 52.18 + months * 4.35 + wks + days / 7, 1)
    return value or None


def day(timestamp: Any) -> Optional[str]:
    match = re.match(r"^(\d{4}-\d{2}-\d{2})", str(timestamp or ""))
    return match.group(1) if match else None


def classify(text: str, table: Iterable[Tuple[str, str]]) -> Optional[str]:
    lowered = text.lower()
    return next((value for key, value in table if key in lowered), None)


def https_url(node: Any) -> Optional[str]:
    for item in as_list(node):
        url = item.get("contentURL") if isinstance(item, dict) else item
        if isinstance(url, str) and re.match(r"^https?://", url):
            return url
    return None


# -- providers -------------------------------------------------------------------------------------------------------

def provider_record(org: Dict[str, Any]) -> Dict[str, Any]:
    """An ELM Organisation (or an Open Badges Profile) as a provider."""
    name = lang_map(org.get("legalName")) or lang_map(org.get("prefLabel"))
    if name is None and isinstance(org.get("name"), str):
        name = {"en": org["name"]}
    name = name or {"en": "Unnamed organisation"}
    original = "en" if "en" in name else next(iter(name))
    country = None
    for location in as_list(org.get("location")):
        for address in as_list(location.get("address") if isinstance(location, dict) else None):
            code = str((address.get("countryCode") or {}).get("id", "")).rsplit("/", 1)[-1]
            country = country or COUNTRIES_3_TO_2.get(code)
    region = None
    for location in as_list(org.get("location")):
        if isinstance(location, dict):
            region = region or any_text(label(location.get("spatialCode")) or lang_map(location.get("description"))) or None
    short = any_text(lang_map(org.get("altLabel"))) or None
    record: Dict[str, Any] = {
        "type": "provider", "id": f"prv-{slug(any_text(name), 60) or 'unnamed'}", "original_language": original,
        "name": {original: name[original], **name}, "country": country, "provider_type": "other",
        "qa_status": "accredited" if org.get("accreditation") else None,
    }
    if short:
        record["short_name"] = short[:60]
    if region:
        record["region"] = region[:200]
    url = https_url(org.get("homepage")) or (org.get("url") if isinstance(org.get("url"), str) else None)
    if url:
        record["url"] = url
    return record


# -- offers ----------------------------------------------------------------------------------------------------------

def _skills(outcomes: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    skills: List[Dict[str, Any]] = []
    seen = set()
    for outcome in outcomes:
        for concept in as_list(outcome.get("relatedESCOSkill")) + as_list(outcome.get("relatedSkill")):
            texts = label(concept)
            if not texts:
                continue
            uri = concept.get("id") if ESCO_URI.match(str(concept.get("id", ""))) else None
            key = uri or any_text(texts).lower()
            if key in seen:
                continue
            seen.add(key)
            skills.append({"label": texts, **({"esco_uri": uri} if uri else {})})
    return skills


def _ects(spec: Dict[str, Any]) -> Optional[float]:
    for credit in as_list(spec.get("creditPoint")):
        framework = credit.get("framework") or {}
        name = any_text(label(framework)).lower()
        if framework.get("id") == ECTS_FRAMEWORK or "ects" in name or "european credit transfer" in name:
            try:
                value = float(str(credit.get("point")).replace(",", "."))
            except ValueError:
                return None
            return int(value) if value.is_integer() else value
    return None


def _original_language(maps: List[Optional[Dict[str, str]]], instruction: List[str]) -> str:
    """The language most texts are in, preferring the language of instruction, then English."""
    present = [m for m in maps if m]
    candidates = list(dict.fromkeys([*instruction, "en", *(code for m in present for code in m)]))
    return max(candidates, key=lambda code: (sum(code in m for m in present), -candidates.index(code)))


def _with_original(texts: Optional[Dict[str, str]], original: str) -> Optional[Dict[str, str]]:
    """Put the original language first (the order export writes)."""
    if not texts or original not in texts:
        return texts
    return {original: texts[original], **texts}


def offer_from_claim(claim: Dict[str, Any], issuer: Optional[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The provider records (awarding bodies) and the offer record of one claim."""
    spec = first(*[s for s in as_list(claim.get("specifiedBy")) if isinstance(s, dict)]) or {}
    activity = first(*[a for a in as_list(claim.get("influencedBy")) if isinstance(a, dict)]) or {}
    activity_spec = first(*[s for s in as_list(activity.get("specifiedBy")) if isinstance(s, dict)]) or {}
    assessment = first(*[a for a in as_list(claim.get("provenBy")) if isinstance(a, dict)]) or {}
    assessment_spec = first(*[s for s in as_list(assessment.get("specifiedBy")) if isinstance(s, dict)]) or {}
    is_activity = "LearningActivity" in types_of(claim)

    bodies = [b for p in as_list(claim.get("awardedBy")) if isinstance(p, dict)
              for b in as_list(p.get("awardingBody")) if isinstance(b, dict)]
    providers = [provider_record(body) for body in bodies] or ([provider_record(issuer)] if issuer else [])
    if not providers:
        raise CatalogueError("no awarding body and no issuer")

    instruction = [LANGUAGES_3_TO_1[code] for code in (
        str(c.get("id", "")).rsplit("/", 1)[-1] for c in as_list(first(spec.get("language"), activity_spec.get("language"),
                                                                        activity.get("language"))) if isinstance(c, dict))
        if code in LANGUAGES_3_TO_1]
    title = lang_map(spec.get("title")) or lang_map(claim.get("title")) or lang_map(activity.get("title"))
    description = lang_map(spec.get("description")) or lang_map(claim.get("description"))
    outcomes = [o for o in as_list(spec.get("learningOutcome")) if isinstance(o, dict)]
    outcome_texts = [t for t in (lang_map(o.get("title")) for o in outcomes) if t]
    entry = lang_map(spec.get("entryRequirement"))
    further = lang_map(spec.get("additionalNote"))
    assessment_title = lang_map(assessment_spec.get("title")) or lang_map(assessment.get("title"))
    assessment_kind = label(assessment_spec.get("dcType"))
    skills = _skills(outcomes)
    original = _original_language([title, description, entry, *outcome_texts], instruction)

    mode_label = any_text(label(first(spec.get("mode"), activity_spec.get("mode"))))
    assessment_text = " ".join([any_text(assessment_kind), any_text(assessment_title)]).strip()
    temporal = first(activity.get("temporal"), claim.get("temporal")) or {}
    temporal = temporal[0] if isinstance(temporal, list) else temporal
    eqf = re.search(r"/eqf/(\d)$", str((spec.get("eqfLevel") or {}).get("id", "")))
    setting = any_text(label(spec.get("learningSetting"))).lower()
    provider = providers[0]
    title = title or {"en": "Untitled learning opportunity"}
    offer: Dict[str, Any] = {
        "type": "offer",
        "id": f"ofr-{provider['id'][4:][:50].rstrip('-')}-{slug(any_text(title), 60) or 'untitled'}",
        "provider": provider["id"],
        "awarding_bodies": list(dict.fromkeys(p["id"] for p in providers)),
        "original_language": original,
        "title": _with_original(title, original),
        "description": _with_original(description, original),
        "learning_outcomes": [_with_original(t, original) for t in outcome_texts],
        "languages": list(dict.fromkeys(instruction)) or [original],
        "ects": _ects(spec),
        "workload_hours": first(hours(spec.get("volumeOfLearning")), hours(activity_spec.get("volumeOfLearning")),
                                hours(claim.get("workload")), hours(activity.get("workload"))),
        "eqf_level": int(eqf.group(1)) if eqf else None,
        "nqf_level": any_text(label(first(*as_list(spec.get("nqfLevel"))))) or None,
        "learning_setting": "non_formal" if "non-formal" in setting else ("formal" if "formal" in setting else None),
        "assessment_type": ("attendance_only" if is_activity and not assessment else
                            classify(assessment_text, ASSESSMENTS) or ("other" if assessment_text else None)),
        "assessment_description": _with_original(
            {original: "; ".join(t for t in (any_text(assessment_title), any_text(assessment_kind)) if t)}
            if assessment_text else None, original),
        "mode": classify(mode_label, MODES),
        "qa_type": None,
        "prerequisites": _with_original(entry, original),
        "supervision_verification": classify(any_text(label(assessment.get("idVerification"))), SUPERVISION),
        "further_information": _with_original(further, original),
        "start_date": day(temporal.get("startDate")) if isinstance(temporal, dict) else None,
        "end_date": day(temporal.get("endDate")) if isinstance(temporal, dict) else None,
        "duration_weeks": weeks(spec.get("maximumDuration")),
        "isced_f": list(dict.fromkeys(m.group(1) for m in (
            re.search(r"/isced-f/(\d{2,4})$", str(area.get("id", "")))
            for area in as_list(spec.get("thematicArea")) if isinstance(area, dict)) if m)),
        "skills": skills,
        "url": https_url(spec.get("homepage")) or https_url(claim.get("homepage")),
    }
    if offer["start_date"] and offer["end_date"] and offer["end_date"] < offer["start_date"]:
        offer["end_date"] = None
    return [*providers, offer]


def offer_from_open_badge(credential: Dict[str, Any]) -> List[Dict[str, Any]]:
    """An Open Badges 3 achievement: name, description, language, criteria, ESCO alignments, creator."""
    subject = first(*as_list(credential.get("credentialSubject"))) or {}
    achievement = subject.get("achievement") or {}
    language = str(achievement.get("inLanguage") or "en").lower().split("-")[0]
    language = language if language in language_codes() else "en"
    creator = achievement.get("creator") or credential.get("issuer") or {}
    provider = provider_record(creator if isinstance(creator, dict) else {"name": str(creator)})
    name = achievement.get("name") or credential.get("name") or "Untitled achievement"
    criteria = (achievement.get("criteria") or {}).get("narrative")
    skills = [{"label": {language: a["targetName"]},
               **({"esco_uri": a["targetUrl"]} if ESCO_URI.match(str(a.get("targetUrl", ""))) else {})}
              for a in as_list(achievement.get("alignment")) if isinstance(a, dict) and a.get("targetName")]
    skills += [{"label": {language: tag}} for tag in as_list(achievement.get("tag")) if isinstance(tag, str)]
    notes = []
    if achievement.get("creditsAvailable") is not None:
        notes.append(f"Credits available: {achievement['creditsAvailable']} (Open Badges does not name the credit system).")
    if achievement.get("fieldOfStudy"):
        notes.append(f"Field of study: {achievement['fieldOfStudy']}.")
    offer = {
        "type": "offer", "id": f"ofr-{provider['id'][4:][:50].rstrip('-')}-{slug(name, 60) or 'untitled'}",
        "provider": provider["id"], "awarding_bodies": [provider["id"]], "original_language": language,
        "title": {language: name},
        "description": {language: achievement["description"]} if achievement.get("description") else None,
        "learning_outcomes": [], "languages": [language], "ects": None, "workload_hours": None, "eqf_level": None,
        "assessment_type": classify(criteria or "", ASSESSMENTS) if criteria else None,
        "assessment_description": {language: criteria} if criteria else None,
        "mode": None, "qa_type": None, "skills": skills,
        "further_information": {language: " ".join(notes)} if notes else None,
    }
    return [provider, offer]


# -- documents -------------------------------------------------------------------------------------------------------

def unwrap(document: Any) -> Dict[str, Any]:
    """The credential inside a signed (JAdES) or 'uploadable' wrapper."""
    if isinstance(document, dict) and isinstance(document.get("payload"), str):
        document = json.loads(document["payload"])
    if isinstance(document, dict) and isinstance(document.get("credential"), dict):
        document = document["credential"]
    if not isinstance(document, dict):
        raise CatalogueError("not a JSON object")
    return document


def is_credential(document: Any) -> bool:
    try:
        credential = unwrap(document)
    except (CatalogueError, ValueError):
        return False
    return "credentialSubject" in credential


def _clean(record: Dict[str, Any]) -> Dict[str, Any]:
    return {key: value for key, value in record.items() if value is not None or key in (
        "ects", "workload_hours", "eqf_level", "assessment_type", "qa_type", "mode", "country")}


def records_from_document(document: Any) -> List[List[Dict[str, Any]]]:
    """For each claim of the credential, its provider and offer records."""
    credential = unwrap(document)
    if "OpenBadgeCredential" in types_of(credential):
        return [offer_from_open_badge(credential)]
    if "credentialSubject" not in credential:
        raise CatalogueError("not a credential (no credentialSubject)")
    issuer = credential.get("issuer") if isinstance(credential.get("issuer"), dict) else None
    claims = [claim for subject in as_list(credential["credentialSubject"]) if isinstance(subject, dict)
              for claim in as_list(subject.get("hasClaim")) if isinstance(claim, dict)]
    if not claims:
        raise CatalogueError("the credential has no claim (hasClaim) to take a learning opportunity from")
    return [offer_from_claim(claim, issuer) for claim in claims]


def read_bytes(data: bytes, source: str) -> Tuple[List[SourceRecord], List[Issue]]:
    """Records of one ELM JSON-LD file; record number n is its n-th claim."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
        groups = records_from_document(document)
    except (ValueError, UnicodeDecodeError) as error:
        return [], [Issue(source, None, None, f"not valid JSON: {error}")]
    except CatalogueError as error:
        return [], [Issue(source, None, None, f"not an ELM credential this importer understands: {error}")]
    records: List[SourceRecord] = []
    seen = set()
    for number, group in enumerate(groups, start=1):
        for record in group:
            key = (record["type"], record["id"])
            if record["type"] == "provider" and key in seen:
                continue
            seen.add(key)
            records.append(SourceRecord(source, number, _clean(record), create_only=record["type"] == "provider"))
    return records, []


def credential_files(folder: Path) -> Tuple[List[Path], List[Path]]:
    """(credential files, other JSON files) under a folder, recursively."""
    found, skipped = [], []
    for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".json", ".jsonld") and p.is_file()):
        try:
            document = json.loads(path.read_text(encoding="utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            skipped.append(path)
            continue
        (found if is_credential(document) else skipped).append(path)
    return found, skipped


def read_folder(folder: Path) -> Tuple[List[SourceRecord], List[Issue]]:
    files, _ = credential_files(folder)
    if not files:
        raise CatalogueError(f"{folder}: no ELM credentials (.json/.jsonld with a credentialSubject)")
    records: List[SourceRecord] = []
    issues: List[Issue] = []
    for path in files:
        found, problems = read_bytes(path.read_bytes(), str(path))
        records.extend(found)
        issues.extend(problems)
    return records, issues
