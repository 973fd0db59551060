"""Tests for bench/compare/paired.py: per-rep cost ratios, the
order-statistic confidence interval for their median, and the verdict."""

import math
import os
import random
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "..", "bench", "compare"))
import paired  # noqa: E402


class CostRatiosTest(unittest.TestCase):
    def test_time_is_magpie_over_peer(self):
        self.assertEqual(paired.cost_ratios([2.0, 3.0], [4.0, 3.0], False),
                         [0.5, 1.0])

    def test_rate_is_peer_over_magpie(self):
        # 200 req/s against the peer's 100: magpie's cost is half.
        self.assertEqual(paired.cost_ratios([200.0], [100.0], True), [0.5])

    def test_missing_or_zero_reps_are_skipped_not_shifted(self):
        # Rep 1 failed for magpie, rep 2 for the peer, rep 3 measured 0: only
        # rep 0 and rep 4 pair up, each with its own rep's value.
        self.assertEqual(
            paired.cost_ratios([1.0, None, 2.0, 0.0, 5.0],
                               [2.0, 3.0, None, 1.0, 4.0], False),
            [0.5, 1.25])

    def test_unequal_lengths_are_an_error(self):
        with self.assertRaises(ValueError):
            paired.cost_ratios([1.0, 2.0], [1.0], False)


class MedianCiTest(unittest.TestCase):
    def test_empty_is_none(self):
        self.assertIsNone(paired.median_ci([]))

    def test_too_few_for_95_has_no_interval(self):
        med, low, high, coverage = paired.median_ci([3, 1, 2, 5, 4])
        self.assertEqual(med, 3)
        self.assertIsNone(low)
        self.assertIsNone(high)
        self.assertEqual(coverage, 0.0)

    def test_six_values_use_the_extremes(self):
        med, low, high, coverage = paired.median_ci([6, 1, 5, 2, 4, 3])
        self.assertEqual(med, 3.5)
        self.assertEqual((low, high), (1, 6))
        self.assertAlmostEqual(coverage, 1 - 2 / 64)

    def test_twenty_values_match_the_binomial_table(self):
        # n = 20: P(B <= 5) = 0.0207, so k = 6 gives [x(6), x(15)] at
        # 95.86%; k = 7 would give 88.5%.
        med, low, high, coverage = paired.median_ci(list(range(1, 21)))
        self.assertEqual(med, 10.5)
        self.assertEqual((low, high), (6, 15))
        expected = 1 - 2 * sum(math.comb(20, i) for i in range(6)) / 2 ** 20
        self.assertAlmostEqual(coverage, expected)
        self.assertGreaterEqual(coverage, 0.95)

    def test_lower_confidence_gives_a_narrower_interval(self):
        values = list(range(1, 21))
        _, low95, high95, _ = paired.median_ci(values, 0.95)
        _, low80, high80, c80 = paired.median_ci(values, 0.80)
        self.assertGreaterEqual(c80, 0.80)
        self.assertGreaterEqual(low80, low95)
        self.assertLessEqual(high80, high95)
        self.assertLess(high80 - low80, high95 - low95)

    def test_absurd_confidence_is_an_error(self):
        for c in (0, 1, 1.5, -0.1):
            with self.assertRaises(ValueError):
                paired.median_ci([1, 2, 3], c)

    def test_coverage_holds_by_simulation(self):
        # Draw 10 values from a skewed distribution with a known median
        # (exponential, median ln 2) many times; the interval must contain
        # it at least ~95% of the time (its exact coverage is 97.85%).
        rng = random.Random(12345)
        trials, hits = 4000, 0
        for _ in range(trials):
            xs = [rng.expovariate(1.0) for _ in range(10)]
            _, low, high, _ = paired.median_ci(xs)
            hits += low <= math.log(2) <= high
        self.assertGreater(hits / trials, 0.96)


class VerdictTest(unittest.TestCase):
    def test_interval_below_one_is_ahead(self):
        self.assertEqual(paired.verdict((0.9, 0.85, 0.97, 0.96)), "ahead")

    def test_interval_above_one_is_behind(self):
        self.assertEqual(paired.verdict((1.1, 1.02, 1.3, 0.96)), "behind")

    def test_interval_spanning_one_is_level(self):
        self.assertEqual(paired.verdict((0.97, 0.9, 1.04, 0.96)), "level")

    def test_describe_with_and_without_an_interval(self):
        self.assertEqual(paired.describe((0.977, 0.946, 1.067, 0.96), "rounds"),
                         "0.977 (95% CI 0.946-1.067, level)")
        self.assertEqual(paired.describe((0.9, None, None, 0.0)),
                         "0.900 (needs >= 6 reps)")

    def test_no_interval_no_verdict(self):
        self.assertIsNone(paired.verdict(None))
        self.assertIsNone(paired.verdict((1.0, None, None, 0.0)))

    def test_a_real_five_percent_gap_is_found_in_noisy_pairs(self):
        # Both runtimes see the same drifting machine (a 3x swing); magpie
        # truly costs 5% less. The raw medians are dominated by the drift,
        # the paired ratios are not.
        rng = random.Random(7)
        magpie, peer = [], []
        for _ in range(20):
            machine = rng.uniform(1.0, 3.0)
            peer.append(machine * rng.uniform(0.98, 1.02))
            magpie.append(0.95 * machine * rng.uniform(0.98, 1.02))
        ci = paired.median_ci(paired.cost_ratios(magpie, peer, False))
        self.assertEqual(paired.verdict(ci), "ahead")
        self.assertLess(abs(ci[0] - 0.95), 0.03)


if __name__ == "__main__":
    unittest.main()
