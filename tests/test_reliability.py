"""The hostile-input probe list (``tests/reliability_probes.py``): no case may be silently
wrong or crash; each expected error is one line naming the problem."""

from __future__ import annotations

import pytest
from reliability_probes import all_probes, outcome

PROBES = all_probes()


@pytest.mark.parametrize("probe", PROBES, ids=[p.name for p in PROBES])
def test_probe_is_a_clear_error_or_handled(probe) -> None:
    kind, detail = outcome(probe)
    assert kind in ("a", "b"), f"{kind}: {detail}"
    assert kind == ("a" if probe.error else "b")


def test_the_probe_list_covers_every_tracker() -> None:
    from mottrack import list_trackers

    names = {p.name.split(":")[0] for p in PROBES}
    assert set(list_trackers()) <= names and len(PROBES) >= 80
