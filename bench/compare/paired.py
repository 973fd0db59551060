"""Paired ratios between two runtimes measured in the same interleaved run,
and a distribution-free confidence interval for their median.

Why paired: on a shared machine the load from other tenants drifts by 2-3x
within minutes, so a peer's median over the whole run mixes quiet and busy
minutes. run.py measures each rep's peers back to back (and alternates
their order), so one rep's magpie and peer values saw about the same
machine. The ratio within a rep cancels most of the drift; the median of
those ratios, with its confidence interval, says whether a difference is
real or inside the noise.

The interval is the classic order-statistic interval for a median (no
assumption about the distribution, only that the reps are independent):
with n sorted values x(1) <= ... <= x(n), the interval [x(k), x(n+1-k)]
covers the true median with probability 1 - 2 P(B < k), B ~ Binomial(n,
1/2). See e.g. Conover, "Practical Nonparametric Statistics", 3rd ed.,
section 3.2 (the sign test and its confidence interval).

Pure functions, no I/O; run.py and tests/bench/compare/paired_test.py use
them.
"""

import math
import statistics

# The smallest number of pairs whose order-statistic interval reaches 95%
# (n = 6: [x(1), x(6)] covers with 1 - 2/64 = 96.9%).
MIN_PAIRS_95 = 6


def cost_ratios(magpie, peer, higher_is_better):
    """Per-rep magpie cost / peer cost: below 1 magpie is better.

    magpie, peer: one value per rep (None where that run failed), in rep
    order. higher_is_better: the metric is a rate (req/s), so the cost is
    its inverse. Reps where either value is missing or not positive are
    skipped, never paired with another rep's value.
    """
    if len(magpie) != len(peer):
        raise ValueError(f"{len(magpie)} magpie reps but {len(peer)} peer reps")
    out = []
    for m, p in zip(magpie, peer):
        if m is None or p is None or m <= 0 or p <= 0:
            continue
        out.append(p / m if higher_is_better else m / p)
    return out


def median_ci(values, confidence=0.95):
    """(median, low, high, achieved_confidence) of values, or None if empty.

    low/high is the widest-k order-statistic interval whose coverage is at
    least `confidence`; with too few values for that (fewer than
    MIN_PAIRS_95 at 95%), low and high are None and achieved_confidence is
    0. Raises ValueError for a confidence outside (0, 1).
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence} not in (0, 1)")
    xs = sorted(values)
    n = len(xs)
    if n == 0:
        return None
    med = statistics.median(xs)
    # P(B < k) for B ~ Binomial(n, 1/2), k = 1, 2, ...: the interval
    # [x(k), x(n+1-k)] misses the median with probability 2 P(B < k).
    best = None
    below = 0.0  # P(B < k)
    for k in range(1, n // 2 + 1):
        below += math.comb(n, k - 1) / 2 ** n
        coverage = 1 - 2 * below
        if coverage < confidence:
            break
        best = (k, coverage)
    if best is None:
        return med, None, None, 0.0
    k, coverage = best
    return med, xs[k - 1], xs[n - k], coverage


def describe(ci, reps="reps"):
    """A median_ci() result as text: "0.977 (95% CI 0.946-1.067, level)", or
    "0.977 (needs >= 6 reps)" without an interval; reps names the unit
    (reps, rounds)."""
    if ci[1] is None:
        return f"{ci[0]:.3f} (needs >= {MIN_PAIRS_95} {reps})"
    return f"{ci[0]:.3f} (95% CI {ci[1]:.3f}-{ci[2]:.3f}, {verdict(ci)})"


def verdict(ci):
    """'ahead', 'behind' or 'level' for a median_ci() result of cost ratios:
    ahead only if the whole interval is below 1, behind only if above 1.
    None when there is no interval."""
    if ci is None or ci[1] is None:
        return None
    _, low, high, _ = ci
    if high < 1:
        return "ahead"
    if low > 1:
        return "behind"
    return "level"
