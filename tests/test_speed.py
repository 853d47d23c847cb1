"""The one rule for "faster", "slower" and "too close to call" (notebooks 06 and 08, nnworkshop bench)."""

from __future__ import annotations

import pytest

from nnworkshop import speed


def test_a_clear_win_is_called_with_its_median_ratio_and_spread():
    r = speed.race("NumPy", [2.0, 2.2, 1.8], "PyTorch", [1.0, 1.0, 1.0])
    assert r.winner == "PyTorch" and r.ratio == pytest.approx(2.0) and r.spread == pytest.approx((1.8, 2.2))
    assert r.sentence() == ("PyTorch was 2.00x faster than NumPy (median; over 3 rounds, NumPy's time over "
                            "PyTorch's ranged 1.80x to 2.20x)")
    assert speed.race("A", [1.0, 1.0], "B", [3.0, 3.3]).winner == "A"


def test_a_spread_that_includes_no_difference_is_too_close_to_call():
    """The same medians as a clear win, but one round went the other way: no call."""
    r = speed.race("NumPy", [2.0, 2.2, 0.9], "PyTorch", [1.0, 1.0, 1.0])
    assert r.ratio == pytest.approx(2.0) and r.winner is None
    assert r.sentence().startswith("too close to call")


def test_a_steady_difference_inside_the_margin_is_not_called():
    assert speed.race("A", [1.03, 1.04, 1.03], "B", [1.0, 1.0, 1.0]).winner is None
    assert speed.race("A", [1.07, 1.08, 1.07], "B", [1.0, 1.0, 1.0]).winner == "B"
    assert speed.race("A", [1.03, 1.04], "B", [1.0, 1.0], margin=0.01).winner == "B"


def test_one_measurement_is_never_a_verdict():
    r = speed.race("A", [5.0], "B", [1.0])
    assert r.winner is None and "measured once each: too few to call" in r.sentence()


def test_unpaired_timings_use_the_widest_ratio_they_allow():
    r = speed.race("A", [3.0, 3.5, 4.0], "B", [1.0, 2.0])
    assert r.spread == pytest.approx((1.5, 4.0)) and r.winner == "B"


@pytest.mark.parametrize("bad", [[], [0.0, 1.0], [-1.0]])
def test_timings_must_be_positive_seconds(bad):
    with pytest.raises(ValueError, match="timings must be one or more positive numbers of seconds"):
        speed.race("A", bad, "B", [1.0])


def test_busy_warns_only_above_the_threshold(monkeypatch):
    monkeypatch.setattr(speed, "cores", lambda: 2)
    monkeypatch.setattr(speed.os, "getloadavg", lambda: (1.9, 1.0, 1.0), raising=False)
    assert "load average 1.9 on 2 core(s)" in speed.busy()
    monkeypatch.setattr(speed.os, "getloadavg", lambda: (0.4, 1.0, 1.0), raising=False)
    assert speed.busy() is None


def test_from_five_rounds_one_disturbed_round_does_not_decide():
    """Ten epochs, one of them hit by another program: the middle half of the ratios still shows the win."""
    numpy_s = [2.0, 2.1, 1.9, 2.0, 0.3, 2.2, 2.0, 1.9, 2.1, 2.0]  # round 5: NumPy ran while torch was disturbed
    r = speed.race("NumPy", numpy_s, "PyTorch", [1.0] * 10)
    assert r.winner == "PyTorch" and "the middle half of NumPy's time" in r.sentence()
    low, high = r.spread
    assert 1.9 <= low <= 2.0 <= high <= 2.1
    assert speed.race("NumPy", numpy_s[:4] + [0.3], "PyTorch", [1.0] * 5).winner == "PyTorch"
    assert speed.race("NumPy", [2.0, 0.3, 2.0, 0.4, 2.1, 0.5], "PyTorch", [1.0] * 6).winner is None  # truly mixed
