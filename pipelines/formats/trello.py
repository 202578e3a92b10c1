"""Trello: the board JSON export (list moves), or the same actions flattened to CSV.

Layout in ../shared/EXPORT_FORMATS.md (c1). Each list a card sits in is its status:
``createCard`` puts it in its first list, ``updateCard`` with ``listBefore`` /
``listAfter`` moves it. Archiving or deleting a card ends it ("Archived",
"Deleted", done statuses the catalog can change). The board export keeps only the
most recent actions (about 1,000): a card whose creation fell outside that window
gets its creation time from its id, whose first 8 hex digits are Unix seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pipelines.formats.base import (
    Converted,
    FormatOptions,
    IngestError,
    Source,
    table_from_records,
)
from pipelines.formats.status_history import (
    StatusColumns,
    convert_status_table,
    guess_columns,
    plural,
)
from pipelines.formats.status_words import classify_status

_ACTION_TYPE = re.compile(r"(Card|List|Board|Checklist|CheckItem|Member|Attachment|Label)")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_CREATE = {"createCard", "copyCard", "convertToCardFromCheckItem", "moveCardToBoard", "emailCard"}


def _name(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("name")
    return None


def _is_action(action: Any) -> bool:
    """A Trello action: a type such as createCard or updateList, an ISO date and a data
    object (other tools' event lists have a type and a date too)."""
    return (
        isinstance(action, dict)
        and isinstance(action.get("data"), dict)
        and bool(_ACTION_TYPE.search(str(action.get("type") or "")))
        and bool(_ISO.match(str(action.get("date") or "")))
    )


def _mostly_actions(actions: list[Any]) -> bool:
    sample = actions[:100]
    return sum(_is_action(a) for a in sample) >= 0.8 * len(sample)


def _board(doc: Any) -> dict[str, Any] | None:
    if (
        isinstance(doc, dict)
        and isinstance(doc.get("actions"), list)
        and ("lists" in doc or "cards" in doc)
        and _mostly_actions(doc["actions"])
    ):
        return doc
    if isinstance(doc, list) and doc and _mostly_actions(doc):
        return {"actions": doc, "lists": [], "cards": []}
    return None


def _created_from_id(card_id: str) -> str | None:
    try:
        return datetime.fromtimestamp(int(card_id[:8], 16), tz=UTC).isoformat()
    except (ValueError, OverflowError, OSError):
        return None


def _records(board: dict[str, Any]) -> tuple[list[dict[str, Any]], int, _Untracked]:
    lists = {
        lst.get("id"): lst.get("name") for lst in board.get("lists") or [] if isinstance(lst, dict)
    }
    records: list[dict[str, Any]] = []
    other = 0
    actions = [a for a in board["actions"] if isinstance(a, dict)]
    for position, action in enumerate(actions, start=1):
        kind = str(action.get("type") or "")
        data = action.get("data") or {}
        card = data.get("card") or {}
        status = previous = None
        if kind in _CREATE:
            status = _name(data.get("list")) or lists.get(card.get("idList"))
        elif kind == "updateCard" and (
            data.get("listAfter") or "idList" in (data.get("old") or {})
        ):
            status = _name(data.get("listAfter")) or lists.get(card.get("idList"))
            previous = _name(data.get("listBefore")) or lists.get(
                (data.get("old") or {}).get("idList")
            )
        elif kind == "updateCard" and (data.get("old") or {}).get("closed") is False:
            status = "Archived"
            previous = _name(data.get("list")) or lists.get(card.get("idList"))
        elif kind == "updateCard" and (data.get("old") or {}).get("closed") is True:
            # Sent back to the board from the archive: it is in its list again.
            status = _name(data.get("list")) or lists.get(card.get("idList"))
        elif kind == "deleteCard":
            status = "Deleted"
            previous = _name(data.get("list")) or lists.get(card.get("idList"))
        if status is None:
            other += 1
            continue
        member = action.get("memberCreator") or {}
        records.append(
            {
                "card_id": card.get("id"),
                "card_name": card.get("name"),
                "time": action.get("date"),
                "type": kind,
                "list": status,
                "list_before": previous,
                "member": member.get("fullName")
                or member.get("username")
                or action.get("idMemberCreator"),
                "action_id": action.get("id"),
                "__position": position,
            }
        )
    records = _creations(records)
    untracked = _untracked(board, lists, {r["card_id"] for r in records})
    records.extend(untracked.records)
    return records, other, untracked


@dataclass
class _Untracked:
    """The board's cards that no action of the export changes."""

    records: list[dict[str, Any]]
    left_out: int


def _untracked(board: dict[str, Any], lists: dict[Any, Any], seen: set[Any]) -> _Untracked:
    """Cards with no list move, archiving or creation in the export (it keeps only the most
    recent actions). An open card in a list that is not done has been in that list since
    its creation, as far as the export shows: it becomes an open item entered at its id's
    time. An archived card, or one in a done list, finished at a time the export does not
    hold, and a card in no known list says nothing: they are left out."""
    records: list[dict[str, Any]] = []
    left_out = 0
    for card in board.get("cards") or []:
        if not isinstance(card, dict) or card.get("id") in seen:
            continue
        status = lists.get(card.get("idList"))
        created = _created_from_id(str(card.get("id") or ""))
        if card.get("closed") or not status or not created or classify_status(status) == "done":
            left_out += 1
            continue
        records.append(
            {
                "card_id": card.get("id"),
                "card_name": card.get("name"),
                "time": created,
                "type": "created (from the card id, no action in the export)",
                "list": status,
                "list_before": None,
                "member": None,
                "action_id": None,
                "__position": 0,
            }
        )
    return _Untracked(records, left_out)


def _creations(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A card first seen moving, archived or deleted was created (in the list it left) at
    its id's time: a card whose only action is its archiving sat in that list from its
    creation to the archiving."""
    by_card: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_card.setdefault(record["card_id"], []).append(record)
    added = []
    for card_id, changes in by_card.items():
        changes.sort(key=lambda r: (r["time"] or "", -r["__position"]))
        first = changes[0]
        if first["type"] in _CREATE or not first["list_before"] or not card_id:
            continue
        created = _created_from_id(str(card_id))
        if created and created <= (first["time"] or "").replace("Z", "+00:00"):
            added.append(
                {
                    **first,
                    "time": created,
                    "type": "created (from the card id)",
                    "list": first["list_before"],
                    "list_before": None,
                    "member": None,
                    "action_id": None,
                    "__position": first["__position"] + 0.5,
                }
            )
    return records + added


def _detect(source: Source) -> str | None:
    board = _board(source.json())
    if board is not None:
        moves = sum(
            1
            for a in board["actions"]
            if isinstance(a, dict) and (a.get("data") or {}).get("listAfter")
        )
        return (
            f"a Trello board: {len(board.get('cards') or [])} cards, "
            f"{len(board['actions']):,} actions ({moves} list moves)"
        )
    if source.has_columns("list_before", "list_after"):
        return "one row per Trello action (card, list_before, list_after)"
    return None


def convert(source: Source, options: FormatOptions) -> Converted:
    board = _board(source.json())
    if board is None:
        guessed = guess_columns(source.columns())
        if guessed is None:
            raise IngestError(f"{source.file_name} is not a Trello board export.")
        return convert_status_table(source, options, guessed)
    records, other, untracked = _records(board)
    if not records:
        raise IngestError(
            f"{source.file_name}: the board's actions hold no card moves and no card is open."
        )
    # Judged on the actions alone: the creations added from card ids are not in file order.
    actions = [r for r in records if r["action_id"] is not None]
    newest_first = len(actions) > 1 and (actions[0]["time"] or "") > (actions[-1]["time"] or "")
    for record in records:
        position = record.pop("__position")
        record["__order"] = -position if newest_first else position
    table = table_from_records(records, "json", {"layout": "Trello board"})
    converted = convert_status_table(
        source,
        FormatOptions(offering_name=options.offering_name),
        StatusColumns(
            case="card_id", time="time", status="list", previous="list_before", resource="member"
        ),
        table=table,
        order="__order",
    )
    converted.rows_read = len(board["actions"])
    converted.used = FormatOptions(offering_name=options.offering_name)
    if other:
        converted.notes.insert(
            0, f"{other:,} actions (comments, checklists, renames, ...) do not move a card."
        )
    if untracked.records:
        converted.notes.append(
            f"{plural(len(untracked.records), 'open card has', 'open cards have')} no action "
            "in the export (the board JSON keeps only the most recent actions): each is taken "
            "to be in its current list since its creation (the card id's time)."
        )
    if untracked.left_out:
        converted.notes.append(
            f"{plural(untracked.left_out, 'card has', 'cards have')} no action in the export "
            "and are archived, in a done list or in no known list: when they finished is not "
            "in the file, so they are left out."
        )
    return converted
