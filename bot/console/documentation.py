"""The documentation categories a counsellor records at close (after DOMAIN.md), and reading
the close form.

Ids of grounds and life areas are the shipped intake's ids, so the form starts from what the
person chose and the statistics count one vocabulary; "not sure" is the person's answer,
not a category the office records, so it is left out here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

GROUNDS: Final = {
    "racism": "Rassismus / ethnische Herkunft",
    "antisemitism": "Antisemitismus",
    "antiziganism": "Antiziganismus",
    "gender": "Geschlecht",
    "gender_identity": "Geschlechtsidentität",
    "sexual_identity": "Sexuelle Identität",
    "religion_belief": "Religion oder Weltanschauung",
    "disability": "Behinderung",
    "chronic_illness": "Chronische Erkrankung",
    "age": "Lebensalter",
    "social_status": "Sozialer Status",
    "language": "Sprache",
    "appearance": "Aussehen / Gewicht",
    "care_responsibilities": "Fürsorgeverantwortung",
    "other": "Anderes Merkmal",
}
LIFE_AREAS: Final = {
    "work": "Arbeit (auch Arbeitssuche)",
    "housing": "Wohnen",
    "education": "Bildung (Schule, Hochschule, Ausbildung)",
    "goods_services": "Güter und Dienstleistungen",
    "health_care": "Gesundheit und Pflege",
    "authorities_justice": "Ämter, Behörden und Justiz",
    "police": "Polizei",
    "public_transport": "Öffentlicher Verkehr",
    "public_space": "Öffentlicher Raum",
    "internet_media": "Internet und Medien",
    "leisure": "Freizeit",
    "other": "Anderer Bereich",
}
FORMS: Final = {
    "direct": "Unmittelbare Benachteiligung",
    "indirect": "Mittelbare Benachteiligung",
    "harassment": "Belästigung",
    "sexual_harassment": "Sexuelle Belästigung",
    "instruction": "Anweisung zur Benachteiligung",
    "institutional": "Institutionelle / strukturelle Diskriminierung",
    "physical_attack": "Körperlicher Angriff",
    "property_damage": "Sachbeschädigung",
}
INTERVENTIONS: Final = {
    "information": "Information über Rechte",
    "counselling": "Beratungsgespräch",
    "complaint": "Unterstützung bei einer Beschwerde",
    "letter": "Schreiben an die Gegenseite",
    "mediation": "Vermittlung / Gespräch mit der Gegenseite",
    "accompaniment": "Begleitung",
    "referral": "Weiterverweisung an eine andere Stelle",
    "documentation": "Nur dokumentiert (Meldung für die Statistik)",
}
OUTCOMES: Final = {
    "resolved": "Anliegen erreicht",
    "partly": "Teilweise erreicht",
    "not_resolved": "Nicht erreicht",
    "open": "Ausgang offen (z. B. Verfahren läuft)",
    "referred": "An eine andere Stelle übergeben",
    "withdrawn": "Person hat das Anliegen zurückgezogen",
    "no_contact": "Kein weiterer Kontakt zustande gekommen",
    "documented": "Nur dokumentiert",
}

FIELDS: Final = {
    "grounds": GROUNDS,
    "life_area": LIFE_AREAS,
    "form": FORMS,
    "intervention": INTERVENTIONS,
}
"""Multiple-choice fields of the close form: form field name = statistics dimension."""


@dataclass(frozen=True)
class Closing:
    """A counsellor's documentation of a case: category ids only, never free text."""

    outcome: str
    codes: dict[str, list[str]]

    def as_facts(self) -> dict[str, list[str]]:
        return {**self.codes, "outcome": [self.outcome]}


class IncompleteClosing(ValueError):
    """The close form lacks the outcome or names a category that does not exist."""


def read_closing(form: dict[str, list[str]]) -> Closing:
    """Validate the posted close form. Unknown ids are refused, not dropped: a tampered or stale
    form must not write a category nobody chose."""
    outcomes = form.get("outcome", [])
    if len(outcomes) != 1 or outcomes[0] not in OUTCOMES:
        raise IncompleteClosing("outcome")
    codes: dict[str, list[str]] = {}
    for name, allowed in FIELDS.items():
        values = form.get(name, [])
        if any(v not in allowed for v in values):
            raise IncompleteClosing(name)
        codes[name] = sorted(set(values))
    return Closing(outcomes[0], codes)


def preselected(answers: dict[str, Any]) -> dict[str, set[str]]:
    """What the close form starts from: the person's own intake answers, where they are
    categories the office records."""
    chosen: dict[str, set[str]] = {}
    for name, allowed in FIELDS.items():
        value = answers.get(name)
        values = value if isinstance(value, list) else [value]
        chosen[name] = {v for v in values if isinstance(v, str) and v in allowed}
    return chosen
