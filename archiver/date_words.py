"""Comment date text in the common WordPress formats and languages, as naive wall time.

`dates.parse_comment_date` tries LDV's own format first and this after it. WordPress prints
a comment's date with the site's `date_format` and `time_format` in the site's language, so
the same instant reads "March 5, 2021 at 3:04 pm", "5. März 2021 um 15:04 Uhr",
"5 mars 2021 à 15 h 04", "5 de marzo de 2021 a las 15:04", "5 maart 2021 om 15:04",
"5 marzo 2021 alle 15:04" or "2021-03-05 15:04". The whole text must be a date with a time
(a date alone names no instant, and text around it could be anything): fullmatch only.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

# Month names and abbreviations, lower case without accents ("märz" → "marz"), by language:
# English, German, French, Spanish, Dutch, Italian, Portuguese. No word names two months.
_MONTH_WORDS = (
    "january jan|february feb|march mar|april apr|may|june jun|july jul|august aug|"
    "september sep sept|october oct|november nov|december dec",
    "januar janner jan|februar feb|marz maerz mrz|april apr|mai|juni jun|juli jul|august aug|"
    "september sep sept|oktober okt|november nov|dezember dez",
    "janvier janv|fevrier fevr fev|mars|avril avr|mai|juin|juillet juil|aout|"
    "septembre sept|octobre oct|novembre nov|decembre dec",
    "enero ene|febrero feb|marzo mar|abril abr|mayo may|junio jun|julio jul|agosto ago|"
    "septiembre setiembre sep sept|octubre oct|noviembre nov|diciembre dic",
    "januari jan|februari feb|maart mrt|april apr|mei|juni jun|juli jul|augustus aug|"
    "september sep sept|oktober okt|november nov|december dec",
    "gennaio gen|febbraio feb|marzo mar|aprile apr|maggio mag|giugno giu|luglio lug|agosto ago|"
    "settembre set|ottobre ott|novembre nov|dicembre dic",
    "janeiro jan|fevereiro fev|marco mar|abril abr|maio mai|junho jun|julho jul|agosto ago|"
    "setembro set|outubro out|novembro nov|dezembro dez",
)
MONTHS: dict[str, int] = {
    word: number
    for language in _MONTH_WORDS
    for number, names in enumerate(language.split("|"), start=1)
    for word in names.split()
}
# Weekdays a format may start with ("Friday, March 5, 2021 at 3:04 pm"); only these, so a
# name before a date ("Caron Lindsay 4th Sep…") is never taken for one.
_WEEKDAY_WORDS = (
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs "
    "fri sat sun montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag mo di mi "
    "do fr sa so lundi mardi mercredi jeudi vendredi samedi dimanche lun mer jeu ven sam dim "
    "lunes martes miercoles jueves viernes sabado domingo maandag dinsdag woensdag donderdag "
    "vrijdag zaterdag zondag lunedi martedi mercoledi giovedi venerdi sabato domenica "
    "miércoles sábado lunedì martedì mercoledì giovedì venerdì")
WEEKDAYS = frozenset(_WEEKDAY_WORDS.split())

_WORD = r"[^\W\d_]+"
_DAY = r"(?P<day>[0-9]{1,2})(?:\.|st|nd|rd|th|er|º|°)?"
_YEAR = r"(?P<year>[0-9]{4})"
# "at", "um", "à", "a las", "om", "alle (ore)", "às", "kl.", "@", "-", ",", "|" or a space.
_JOIN = (r"(?:\s*[-,|@\u2010-\u2015\u2212]\s*|\s*,?\s+(?:at|um|à|a\s+las|a\s+la|om|"
         r"alle(?:\s+ore)?|às|kl\.?)\s+|\s+)")
# 3:04 pm, 15:04, 15.04 Uhr, 15 h 04, 15h04 (min), 3:04 p.m.
_TIME = (r"(?P<hour>[0-9]{1,2})\s*(?::|\.|h)\s*(?P<minute>[0-9]{2})"
         r"(?:\s*(?P<ampm>[ap])\.?\s*m\.?|\s*(?:uhr|h|hrs|min|horas))?")
_WEEKDAY = (rf"(?:(?:{'|'.join(sorted(WEEKDAYS, key=len, reverse=True))})\.?,?\s+)?"
            r"(?:(?:le|el|den|am|il|op)\s+)?")
_FORMATS = [re.compile(rf"\s*{form}{_JOIN}{_TIME}\s*", re.IGNORECASE) for form in (
    rf"{_WEEKDAY}{_DAY}\s*(?:de\s+)?(?P<month>{_WORD})\.?,?\s+(?:de\s+|del\s+)?{_YEAR}",
    rf"{_WEEKDAY}(?P<month>{_WORD})\.?\s+{_DAY},?\s+{_YEAR}",
    r"(?P<year>[0-9]{4})[-/](?P<month>[0-9]{1,2})[-/](?P<day>[0-9]{1,2})",
    # Day first with dots is the German / Dutch numeric date; slashes are too ambiguous.
    r"(?P<day>[0-9]{1,2})\.(?P<month>[0-9]{1,2})\.(?P<year>[0-9]{4})",
)]


def wall_time(text: str) -> datetime | None:
    """The wall time `text` names, None when it is no date with a time in these formats.

    Raises ValueError for a text in one of the formats that names no real time ("31. Februar
    2021 um 10:00", "24:30").
    """
    for form in _FORMATS:
        match = form.fullmatch(text)
        if match is None:
            continue
        month = _month(match["month"])
        if month is None:
            continue
        return datetime(int(match["year"]), month, int(match["day"]), _hour(match),
                        int(match["minute"]))
    return None


def _month(word: str) -> int | None:
    return int(word) if word.isdigit() else MONTHS.get(_plain(word))


def _hour(match: re.Match[str]) -> int:
    hour = int(match["hour"])
    if match["ampm"] is None:
        return hour
    if not 1 <= hour <= 12:  # a 12-hour clock's hour with am/pm, or not a time
        raise ValueError(f"hour {hour} is not on a 12-hour clock")
    return hour % 12 + (12 if match["ampm"].lower() == "p" else 0)


def _plain(word: str) -> str:
    """Lower case without accents: "März" → "marz", "Décembre" → "decembre"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


# --- relative dates ("2 weeks ago") -------------------------------------------------------

# Unit words by language, each with its length; months and years are approximate lengths.
_UNITS: dict[str, timedelta] = {}
for _names, _length in (
        ("second seconds sekunde sekunden seconde secondes segundo segundos seconden secondi "
         "secondo sec secs", timedelta(seconds=1)),
        ("minute minutes minuten minuto minutos minuut minuti min mins", timedelta(minutes=1)),
        ("hour hours stunde stunden heure heures hora horas uur uren ora ore",
         timedelta(hours=1)),
        ("day days tag tagen tage jour jours dia dias dag dagen giorno giorni",
         timedelta(days=1)),
        ("week weeks woche wochen semaine semaines semana semanas weken settimana settimane",
         timedelta(weeks=1)),
        ("month months monat monaten monate mois mes meses maand maanden mese mesi",
         timedelta(days=30)),
        ("year years jahr jahren jahre an ans annee annees ano anos jaar jaren anno anni",
         timedelta(days=365))):
    _UNITS.update(dict.fromkeys(_names.split(), _length))
_ONE_WORDS = "a an one ein einem einer eine un une uno una een"
_ONE = frozenset(_ONE_WORDS.split())
_COUNT = r"(?P<count>[0-9]+|[^\W\d_]+)\s+(?P<unit>[^\W\d_]+)"
_RELATIVE = [re.compile(rf"\s*{form}\s*\.?\s*", re.IGNORECASE) for form in (
    rf"{_COUNT}\s+(?:ago|geleden|fa)",          # English, Dutch, Italian
    rf"(?:vor|il\s+y\s+a|hace|há)\s+{_COUNT}",  # German, French, Spanish, Portuguese
)]


def relative_age(text: str) -> timedelta | None:
    """How long before the page was fetched "2 weeks ago" / "vor 3 Tagen" / "il y a 2 jours"
    / "hace 5 minutos" / "3 dagen geleden" / "2 giorni fa" is, None for any other text.

    Approximate by nature: the page rounds, and months and years are taken as 30 and 365 days.
    """
    for form in _RELATIVE:
        match = form.fullmatch(text)
        if match is None:
            continue
        unit = _UNITS.get(_plain(match["unit"]))
        count_word = _plain(match["count"])
        count = int(count_word) if count_word.isdigit() else 1 if count_word in _ONE else None
        if unit is not None and count is not None:
            return unit * count
    return None
