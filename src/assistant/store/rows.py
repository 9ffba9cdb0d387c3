"""How one unit is laid out as rows of the vector store, and read back: the row ids and metadata.

Each unit is stored as up to three kinds of row, all with the unit's metadata:

- ``<unit id>:t``, its own text;
- ``<unit id>:c``, its context (the unit with its lead-in or neighbours), when that differs;
- ``<unit id>:q<n>``, the n-th doc2query question it answers.

A search reads only row ids and distances (fetching metadata would triple its cost), so the id
alone must say which unit a row belongs to and whether it is a passage or a question row. This
module is the only place that writes or reads that format.

Example::

    row_id("a.md#3", "question", 2)   # "a.md#3:q2"
    read_row_id("a.md#3:q2")          # RowId(unit_id="a.md#3", role="question")
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator, Literal

from ..types import Unit

Role = Literal["text", "context", "question"]
_CODES: dict[str, str] = {"text": "t", "context": "c", "question": "q"}
_SEPARATOR = ":"


@dataclass(frozen=True)
class RowId:
    unit_id: str
    role: Role


def row_id(unit_id: str, role: Role, n: int = 0) -> str:
    """The id of a unit's row; ``n`` numbers its question rows."""
    code = _CODES[role]
    return f"{unit_id}{_SEPARATOR}{code}{n if role == 'question' else ''}"


def read_row_id(rid: str) -> RowId:
    """Which unit a row id belongs to and whether it is its text, context or a question row."""
    unit_id, _, code = rid.rpartition(_SEPARATOR)
    role: Role = "question" if code.startswith(_CODES["question"]) else "context" if code == _CODES["context"] else "text"
    return RowId(unit_id, role)


def unit_rows(unit: Unit) -> Iterator[tuple[str, dict[str, Any], str]]:
    """The rows that store ``unit``: (row id, metadata, the text whose vector the row holds)."""
    base = {**unit.metadata(), "unit_id": unit.id, "text": unit.text}
    yield row_id(unit.id, "text"), {**base, "role": "text"}, unit.text
    if unit.context != unit.text:
        yield row_id(unit.id, "context"), {**base, "role": "context"}, unit.context
    for n, question in enumerate(unit.questions):
        yield row_id(unit.id, "question", n), {**base, "role": "question"}, question


def unit_from_row(meta: dict[str, Any]) -> Unit:
    """The unit a row's metadata describes (every row of a unit carries all of it)."""
    return Unit(meta["unit_id"], meta["source"], meta["text"], meta.get("context", meta["text"]), int(meta.get("section", 0)),
                int(meta.get("position", 0)), meta.get("kind", "sentence"), meta.get("lead_in", ""),
                tuple(json.loads(meta.get("questions", "[]"))),
                meta.get("title", ""), meta.get("publisher", ""))  # an index built before titles were stored has neither


def is_text_row(meta: dict[str, Any]) -> bool:
    """One row per unit: its own text row."""
    return meta.get("role") == "text"


TEXT_ROWS = {"role": "text"}  # the Chroma filter that selects one row per unit
