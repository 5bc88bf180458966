"""The words WordPress and themes print around a comment, in the common languages.

Theme-free strategies (comment_plain.py) cannot tell a reply link or a "says:" by its class
when a theme renamed or dropped them, so they know these words instead: none of them is
ever a commenter's name or a comment's text.
"""

from __future__ import annotations

import re

_FLAGS = re.IGNORECASE
# "Reply", "Reply to Ann", "Antworten", "Répondre", "Responder", "Reageer", "Rispondi",
# "Log in to Reply", "Cancel reply"; "Edit", "Bearbeiten", "Modifier", "Editar", "Modifica".
_ACTION = re.compile(
    r"\s*\(?\s*(?:(?:log\s+in|anmelden|connectez-vous|inicia\s+sesión|log\s+in\s+om)"
    r"\s+(?:to|zum|pour|para|te|om)?\s*)?"
    r"(?:reply|antworten|répondre|responder|reageer|beantwoorden|rispondi|responder|"
    r"cancel\s+reply|edit|bearbeiten|modifier|editar|bewerken|modifica)"
    r"(?:\s+(?:to|an|à|a|op|aan)\s+.{1,80})?\s*\)?\s*[↓↵»]?\s*", _FLAGS)
# "says:", "sagt:", "dit :", "dice:", "zegt:", "ha detto:", "diz:".
SAYS = r"(?:says|said|sagt|schreibt|dit|écrit|dice|escribió|zegt|schreef|ha\s+detto|scrive|diz)"
_SAYS = re.compile(rf"\s*{SAYS}\s*:?\s*", _FLAGS)
_SAYS_TAIL = re.compile(rf"\s+{SAYS}(?:\s*:.*|\s*)$", _FLAGS | re.DOTALL)
# The note a commenter sees under a held comment.
_MODERATION = re.compile(
    r"\s*(?:your\s+comment\s+is\s+awaiting\s+moderation|dein\s+kommentar\s+muss\s+noch|"
    r"ihr\s+kommentar\s+muss\s+noch|votre\s+commentaire\s+est\s+en\s+attente|"
    r"tu\s+comentario\s+está\s+pendiente|je\s+reactie\s+wacht|"
    r"il\s+tuo\s+commento\s+è\s+in\s+attesa).*", _FLAGS | re.DOTALL)
# "Comment by Ann on March 5, 2021", "Kommentar von Ann am 5. März 2021",
# "Commentaire de Ann le …", "Comentario de Ann el …", "Reactie van Ann op …".
_COMMENT_BY = re.compile(
    r"\s*(?:comment|kommentar|commentaire|comentario|reactie|commento)\s+"
    r"(?:by|von|de|par|van|di)\s+(?P<name>.+?)\s+(?:on|am|le|el|op|il|del)\s+(?P<date>.+)",
    _FLAGS | re.DOTALL)
# A byline after the body: "— Ann, March 5, 2021 at 3:04 pm", "Posted by Ann on …",
# "Geschrieben von Ann am …", "Publié par Ann le …", "Publicado por Ann el …".
_BYLINE = re.compile(
    r"\s*(?:[\u2012-\u2015-]+\s*)?(?:(?:posted|written|submitted|geschrieben|verfasst|publié|écrit|"
    r"publicado|escrito|geplaatst|geschreven|scritto|pubblicato)\s+"
    r"(?:by|von|par|por|door|da)\s+)?(?P<name>[^,]+?)(?:\s*,\s*|\s+(?:on|at|am|um|le|el|op|"
    r"il|·|\|)\s+)(?P<date>.+)", _FLAGS | re.DOTALL)


def is_action(text: str) -> bool:
    """A reply, edit or log-in link's text, or "Cancel reply"."""
    return _ACTION.fullmatch(text) is not None


def is_says(text: str) -> bool:
    return _SAYS.fullmatch(text) is not None


def is_moderation_note(text: str) -> bool:
    return _MODERATION.fullmatch(text) is not None


def is_chrome(text: str) -> bool:
    """Printed by WordPress or the theme around a comment: never a name, never a body."""
    return is_action(text) or is_says(text) or is_moderation_note(text)


def without_says(name: str) -> str:
    """"Ann says:" → "Ann", "Ann sagt: 5. März…" → "Ann"; any other name as it is."""
    return _SAYS_TAIL.sub("", name) if _SAYS_TAIL.search(name) else name


def comment_by(text: str) -> tuple[str, str] | None:
    """("Ann", "March 5, 2021 at 3:04 pm") from "Comment by Ann on March 5, 2021 at …"."""
    match = _COMMENT_BY.fullmatch(text)
    return (match["name"].strip(), match["date"].strip()) if match else None


def byline(text: str) -> tuple[str, str] | None:
    """(name, date text) from a byline; the caller checks the date reads as one."""
    match = _BYLINE.fullmatch(text)
    return (match["name"].strip(), match["date"].strip()) if match else None
