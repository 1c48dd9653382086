"""The contract between the simulated world and whatever serves or exports it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Protocol


class HubState(Protocol):
    """The public models of the Hub as they stand on one day."""

    snapshot_date: date

    def __len__(self) -> int:
        """Number of public models listed that day."""
        ...

    def iter_items(self) -> Iterator[dict]:
        """Every public model as a full `GET /api/models/{id}` item, ordered by `_id`.

        Items are generated lazily so that a listing of millions of models needs bounded memory.
        """
        ...

    def get_item(self, model_id: str) -> dict | None:
        """The full item of a current public model id (matched case-insensitively), else None."""
        ...

    def redirect_for(self, model_id: str) -> str | None:
        """The current id of a renamed repo when `model_id` is one of its old ids, else None."""
        ...
