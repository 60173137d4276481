"""Which rule outputs a reader sees, and replacing a rule's outputs between passes.

rules/manager.go commits each rule's output before the next rule runs at the same timestamp,
so a reader sees a later rule's output only from the previous evaluation; and no rule ever
sees a sample stamped after its evaluation time.
"""

from __future__ import annotations

import numpy as np

from simulator.promql.model import Labels, Series, VectorOverGrid
from simulator.promql.storage import Storage


def storage_until(storage: Storage, t_ms: int) -> Storage:
    """Storage as a rule evaluated at t_ms sees it: samples with T <= t_ms, and for series
    marked hidden_at_eval_time (written by this rule or a later one) only T < t_ms.

    Cutting the hidden series here, rather than leaving it to the selectors, also covers
    subqueries, whose inner steps would otherwise see the current evaluation's output.
    """
    visible = Storage()
    for series in storage.all_series():
        keep = series.t < t_ms if series.hidden_at_eval_time else series.t <= t_ms
        if keep.any():
            visible.add(series.labels, series.t[keep], series.v[keep])
    return visible


def stack_columns(columns: list[VectorOverGrid]) -> VectorOverGrid:
    """One VectorOverGrid from one-step results, rows in first-seen order."""
    steps = len(columns)
    rows: dict[Labels, int] = {}
    for column in columns:
        for labels in column.labels:
            rows.setdefault(labels, len(rows))
    values = np.zeros((len(rows), steps))
    present = np.zeros((len(rows), steps), dtype=bool)
    for step, column in enumerate(columns):
        for row, labels in enumerate(column.labels):
            if column.present[row, 0]:
                values[rows[labels], step] = column.values[row, 0]
                present[rows[labels], step] = True
    return VectorOverGrid(list(rows), values, present)


class RuleOutputs:
    """The series each rule wrote, replaceable when rules are evaluated again.

    Every method costs what the rules it touches wrote, never the whole storage: a group of
    20,000 rules calls hide_from and replace once per rule.
    """

    def __init__(self, storage: Storage):
        self.storage = storage
        # The arrays are shared, not copied (a copy doubled peak memory on large simulations): nothing
        # in simulator/ writes into a series' arrays in place; Storage.add and replace() below swap in
        # new arrays instead.
        self.preexisting = {series.labels: (series.t, series.v) for series in storage.all_series()}
        # Every stored Series object by labels (input series and rule outputs), so an output that
        # joins an existing series is found without scanning the storage.
        self.stored: dict[Labels, Series] = {series.labels: series for series in storage.all_series()}
        self.by_position: dict[int, dict[Labels, Series]] = {}
        self.last_written: dict[int, dict[Labels, tuple[np.ndarray, np.ndarray]]] = {}
        # Outputs of rules at positions >= hidden_from are hidden (None: nothing is hidden).
        self.hidden_from: int | None = None

    def replace(self, position: int, written: list[tuple[Labels, np.ndarray, np.ndarray]]) -> bool:
        """Make `written` the rule's output; return whether it differs from the previous one."""
        new = {labels: (t, v) for labels, t, v in written}
        previous = self.last_written.get(position)
        if previous is not None and _same_outputs(previous, new):
            return False
        owned = self.by_position.setdefault(position, {})
        for labels, series in owned.items():
            if labels not in new:
                series.t, series.v = self.preexisting.get(labels, (np.zeros(0, np.int64), np.zeros(0)))
        hidden = self.hidden_from is not None and position >= self.hidden_from
        for labels, (t, v) in new.items():
            mine = owned.get(labels)
            if mine is not None:
                base = self.preexisting.get(labels)
                mine.t, mine.v = (t, v) if base is None else _merge(base, (t, v))
                continue
            stored = self.stored.get(labels)
            if stored is None:
                # A new series: stored as this object (its arrays are fresh, owned by nobody else).
                stored = Series(labels, t, v)
                self.storage.add_series(stored)
                self.stored[labels] = stored
            else:
                self.storage.add(labels, t, v)
            owned[labels] = stored
            stored.hidden_at_eval_time = hidden
        self.last_written[position] = new
        return True

    def hide_from(self, position: int) -> None:
        """Outputs of this rule and later ones are not yet written at the reader's timestamp.

        Only the rules between the previous boundary and this one change sides."""
        previous = self.hidden_from
        self.hidden_from = position
        if previous is None:
            for owner, series_by_labels in self.by_position.items():
                self._set_hidden(series_by_labels, owner >= position)
            return
        low, high = min(previous, position), max(previous, position)
        for owner in range(low, high) if high - low <= len(self.by_position) else sorted(self.by_position):
            if low <= owner < high and owner in self.by_position:
                self._set_hidden(self.by_position[owner], owner >= position)

    def reveal_all(self) -> None:
        self.hidden_from = None
        for series_by_labels in self.by_position.values():
            self._set_hidden(series_by_labels, False)

    @staticmethod
    def _set_hidden(series_by_labels: dict[Labels, Series], hidden: bool) -> None:
        for series in series_by_labels.values():
            series.hidden_at_eval_time = hidden


def _same_outputs(old: dict, new: dict) -> bool:
    if old.keys() != new.keys():
        return False
    return all(
        np.array_equal(old[k][0], new[k][0]) and np.array_equal(old[k][1].view(np.uint64), new[k][1].view(np.uint64))
        for k in new
    )


def _merge(base, output):
    t = np.concatenate([base[0], output[0]])
    v = np.concatenate([base[1], output[1]])
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    keep = np.append(t[1:] != t[:-1], True)  # the rule's sample wins on equal timestamps
    return t[keep], v[keep]
