"""Reliability table, expected calibration error and the threshold chooser, on hand-made figures."""

from __future__ import annotations

import pytest

from congdan.routing.calibration import (
    CurvePoint,
    choose_threshold,
    curve,
    default_thresholds,
    expected_calibration_error,
    reliability,
)


def test_reliability_lists_every_bin_and_puts_certainty_in_the_last() -> None:
    table = reliability([(0.05, False), (0.95, True), (1.0, True), (0.55, True), (0.55, False)])
    assert len(table) == 10
    assert [b.count for b in table] == [1, 0, 0, 0, 0, 2, 0, 0, 0, 2]
    assert table[5].accuracy == 0.5 and table[9].accuracy == 1.0
    assert table[1].confidence == 0.0 and table[1].accuracy == 0.0


def test_reliability_refuses_no_bins() -> None:
    with pytest.raises(ValueError):
        reliability([(0.5, True)], bins=0)


def test_ece_is_zero_when_confidence_matches_accuracy_and_grows_when_it_does_not() -> None:
    honest = [(0.75, True), (0.75, True), (0.75, True), (0.75, False)]
    assert expected_calibration_error(reliability(honest)) == pytest.approx(0.0)
    overconfident = [(0.95, True), (0.95, False)]
    assert expected_calibration_error(reliability(overconfident)) == pytest.approx(0.45)
    assert expected_calibration_error(reliability([])) == 0.0


def test_curve_counts_shares_of_all_reports() -> None:
    pairs = [(0.9, True), (0.8, True), (0.6, False), (0.3, False)]
    points = {p.threshold: p for p in curve(pairs, [0.5, 0.0, 0.7])}
    assert points[0.0] == CurvePoint(0.0, 1.0, 0.5)
    assert points[0.5] == CurvePoint(0.5, 0.75, 0.25)
    assert points[0.7] == CurvePoint(0.7, 0.5, 0.0)


def test_chooser_takes_the_lowest_threshold_under_the_goal() -> None:
    points = [
        CurvePoint(0.2, 0.99, 0.08),
        CurvePoint(0.4, 0.93, 0.035),
        CurvePoint(0.5, 0.90, 0.029),
        CurvePoint(0.6, 0.86, 0.01),
    ]
    chosen = choose_threshold(list(reversed(points)))
    assert chosen is not None and chosen.threshold == 0.5
    assert choose_threshold(points, max_misrouted=0.001) is None


def test_default_thresholds_cover_the_unit_interval() -> None:
    thresholds = default_thresholds()
    assert thresholds[0] == 0.0 and thresholds[-1] == 0.99 and len(thresholds) == 100
