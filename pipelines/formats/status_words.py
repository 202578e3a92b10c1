"""Which status names mean done, waiting or work, in English, Spanish, Portuguese, French,
German and Dutch (docs/EVENT_MODEL.md, "Kinds: work, waiting, done").

A board's column names are the only thing an importer knows about how its statuses
count, and teams name them in their own language ("TERMINADO", "COSAS POR HACER",
"En attente", "Erledigt", "Te doen"). Names are compared in lower case without
accents, with runs of spaces, dashes, underscores, colons, slashes and dots as one
space, and with leading numbering or symbols ("01 - ", "3) ", "✅ ") dropped.

The order of the rules matters:

1. an empty status waits;
2. "ready for ..." in any language waits (``Ready for QA``, ``Listo para revisar``,
   ``Klaar voor test``), although a bare "Listo", "Pronto" or "Klaar" is done;
3. a name that starts with a done word is done (``Done``, ``TERMINADO``, ``Erledigt``);
4. a name that ends with a done word after a stage ("Dev Done", "Analysis Done",
   "Desarrollo terminado") is a Kanban queue: the stage is finished and the item
   waits for the next one (when such a column is in fact a board's last, the
   history shows it: see ``terminal_stage_statuses``);
5. waiting words (To Do, Blocked, En espera, Aguardando, En attente, Wartend,
   In afwachting, ...) wait;
6. everything else is work ("In Progress", "HACIENDO", "En cours", "In Arbeit",
   "Bezig", and "In Review": a team whose review column is a queue says so in
   the catalog).
"""

from __future__ import annotations

import re
import unicodedata

NO_STATUS = "(no status)"

DONE_WORDS: dict[str, tuple[str, ...]] = {
    "English": (
        "done",
        "closed",
        "close",
        "resolved",
        "merged",
        "shipped",
        "complete",
        "completed",
        "delivered",
        "released",
        "deployed",
        "finished",
        "published",
        "live",
        "archived",
        "deleted",
        "canceled",
        "cancelled",
        "won't do",
        "won't fix",
        "wont do",
        "wont fix",
        "abandoned",
    ),
    "Spanish": (
        "terminado",
        "terminada",
        "terminados",
        "terminadas",
        "finalizado",
        "finalizada",
        "finalizados",
        "finalizadas",
        "hecho",
        "hecha",
        "hechos",
        "hechas",
        "completado",
        "completada",
        "completados",
        "completadas",
        "cerrado",
        "cerrada",
        "cerrados",
        "cerradas",
        "resuelto",
        "resuelta",
        "entregado",
        "entregada",
        "publicado",
        "publicada",
        "cancelado",
        "cancelada",
        "archivado",
        "archivada",
        "realizado",
        "realizada",
        "listo",
        "listos",
    ),
    "Portuguese": (
        "concluido",
        "concluida",
        "concluidos",
        "concluidas",
        "feito",
        "feita",
        "feitos",
        "feitas",
        "finalizado",
        "finalizada",
        "fechado",
        "fechada",
        "resolvido",
        "resolvida",
        "entregue",
        "entregues",
        "completo",
        "completa",
        "pronto",
        "pronta",
        "prontos",
        "prontas",
        "arquivado",
        "arquivada",
    ),
    "French": (
        "termine",
        "terminee",
        "termines",
        "terminees",
        "fini",
        "finie",
        "finis",
        "finies",
        "fait",
        "faite",
        "faits",
        "faites",
        "clos",
        "close",
        "cloture",
        "cloturee",
        "ferme",
        "fermee",
        "resolu",
        "resolue",
        "livre",
        "livree",
        "publie",
        "publiee",
        "annule",
        "annulee",
        "acheve",
        "achevee",
        "archive",
        "archivee",
    ),
    "German": (
        "erledigt",
        "fertig",
        "abgeschlossen",
        "geschlossen",
        "gelost",
        "geloest",
        "ausgeliefert",
        "veroffentlicht",
        "veroeffentlicht",
        "storniert",
        "abgebrochen",
        "archiviert",
        "umgesetzt",
    ),
    "Dutch": (
        "klaar",
        "gedaan",
        "afgerond",
        "gesloten",
        "opgelost",
        "geleverd",
        "gepubliceerd",
        "geannuleerd",
        "voltooid",
        "afgehandeld",
        "gearchiveerd",
    ),
}
"""Words that say an item is finished, per language (compared without accents)."""

WAITING_WORDS: dict[str, tuple[str, ...]] = {
    "English": (
        "to do",
        "todo",
        "backlog",
        "open",
        "new",
        "not started",
        "stuck",
        "blocked",
        "on hold",
        "hold",
        "paused",
        "parked",
        "icebox",
        "deferred",
        "queue",
        "queued",
        "pending",
        "waiting",
        "awaiting",
        "ready",
        "needs",
        "review requested",
        "approved",
        "scheduled",
        "planned",
        "submitted",
        "pr submitted",
        "selected for development",
        "triage",
        "inbox",
        "intake",
        "refined",
        "up next",
        "next",
        "on deck",
    ),
    "Spanish": (
        "por hacer",
        "para hacer",
        "pendiente",
        "pendientes",
        "bloqueado",
        "bloqueada",
        "bloqueados",
        "bloqueo",
        "en espera",
        "lista de espera",
        "esperando",
        "nuevo",
        "nueva",
        "abierto",
        "abierta",
        "en cola",
        "pausado",
        "pausada",
        "detenido",
        "sin empezar",
        "sin iniciar",
        "por revisar",
        "por validar",
        "por aprobar",
        "por probar",
        "visto bueno",
        "aprobado",
        "aprobada",
    ),
    "Portuguese": (
        "a fazer",
        "por fazer",
        "para fazer",
        "pendente",
        "pendentes",
        "bloqueado",
        "bloqueada",
        "em espera",
        "aguardando",
        "esperando",
        "novo",
        "nova",
        "aberto",
        "aberta",
        "na fila",
        "fila",
        "pausado",
        "nao iniciado",
        "aprovado",
        "aprovada",
    ),
    "French": (
        "a faire",
        "en attente",
        "bloque",
        "bloquee",
        "nouveau",
        "nouvelle",
        "ouvert",
        "ouverte",
        "a valider",
        "a tester",
        "a verifier",
        "a relire",
        "pret",
        "prete",
        "en pause",
        "suspendu",
        "non commence",
        "approuve",
        "file d'attente",
        "a planifier",
        "planifie",
    ),
    "German": (
        "zu erledigen",
        "zu tun",
        "offen",
        "neu",
        "wartend",
        "warten",
        "wartet",
        "warteschlange",
        "blockiert",
        "pausiert",
        "zuruckgestellt",
        "zurueckgestellt",
        "bereit",
        "geplant",
        "nicht begonnen",
        "genehmigt",
        "zur prufung",
        "zur pruefung",
        "zur freigabe",
    ),
    "Dutch": (
        "te doen",
        "nog te doen",
        "nieuw",
        "wachten",
        "wachtend",
        "in afwachting",
        "wachtrij",
        "geblokkeerd",
        "gepauzeerd",
        "in de wacht",
        "goedgekeurd",
        "gepland",
        "niet gestart",
    ),
}
"""Words that say an item waits (a queue: nobody works on it), per language. A name
starting with one waits; the multi-word ones and the queue words below wait anywhere
in the name ("COSAS POR HACER", "Waiting for approval")."""

_READY_FOR = (
    r"^(ready|listo|lista|listos|listas|pronto|pronta|pret|prete|bereit|klaar)\s+"
    r"(for|to|para|pour|a|fur|fuer|zum|zur|voor|om)\b"
)
# Words that name a queue wherever they stand in a status name.
_QUEUE_ANYWHERE = (
    "queue",
    "waiting",
    "on hold",
    "blocked",
    "en espera",
    "esperando",
    "em espera",
    "aguardando",
    "en attente",
    "wartet",
    "warteschlange",
    "in afwachting",
    "wachtrij",
    "bloqueado",
    "bloqueo",
    "bloque",
    "blockiert",
    "geblokkeerd",
)


def _alternatives(words: set[str]) -> str:
    # Longest first, so "completed" is tried before "complete".
    return "|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w)))


_ALL_DONE = {w for words in DONE_WORDS.values() for w in words}
_ALL_WAITING = {w for words in WAITING_WORDS.values() for w in words}
_PHRASES = {w for w in _ALL_WAITING if " " in w} | set(_QUEUE_ANYWHERE)

_RE_READY_FOR = re.compile(_READY_FOR)
_RE_DONE_START = re.compile(rf"^({_alternatives(_ALL_DONE)})(?![\w'])")
_RE_STAGE_DONE = re.compile(rf"^\S.*\s({_alternatives(_ALL_DONE)})$")
_RE_WAITING = re.compile(
    rf"^({_alternatives(_ALL_WAITING)})(?![\w'])|(?<![\w'])({_alternatives(_PHRASES)})(?![\w'])"
)


def normalise(name: str) -> str:
    """A status name as the rules compare it: lower case, no accents, one space, no numbering."""
    text = unicodedata.normalize("NFKD", name.strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("\u2019", "'")
    text = re.sub(r"[\s_\-:/.]+", " ", text).strip()
    text = re.sub(r"^[^\w(]+", "", text)
    return re.sub(r"^\d+\s*[)\]]?\s*(?=[^\d\s])", "", text).strip()


def classify_status(name: str) -> str:
    """A status's default kind from its name: 'done', 'waiting' or 'work' (rules above)."""
    text = normalise(name)
    if text in ("", "no status", NO_STATUS):
        return "waiting"
    if _RE_READY_FOR.search(text):
        return "waiting"
    if _RE_DONE_START.search(text):
        return "done"
    if is_stage_done(name):
        return "waiting"
    if _RE_WAITING.search(text):
        return "waiting"
    return "work"


def is_stage_done(name: str) -> bool:
    """Whether the name says a stage is finished ("Dev Done", "Análisis terminado")."""
    text = normalise(name)
    return not _RE_DONE_START.search(text) and bool(_RE_STAGE_DONE.search(text))
