"""When a pattern is worth an admin's look: the thresholds of the anomaly view and the statistics behind
them. Pure: numbers in, decisions out.

1. XP per completed story point, per member (board XP after corrections, over tasks with an estimate):
   compared only among members with at least `MIN_COMPLETIONS` estimated completions in the window, and only
   when at least `MIN_MEMBERS` such members exist. A member is an outlier when the modified z-score
   0.6745 * (rate - median) / MAD exceeds `OUTLIER_Z` (3.5, Iglewicz & Hoaglin's cut-off; when the MAD is 0
   the mean absolute deviation x 1.2533 stands in for it) AND the rate is at least `OUTLIER_RATIO` times the
   median (high: many small tasks, XP out of proportion) or at most 1/`OUTLIER_RATIO` of it (low: padded
   estimates). The ratio guard keeps a team whose rates are all nearly equal from flagging a small
   difference. Median and MAD are robust: the outliers themselves barely move them.
2. Pairs trading reactions and mentions: both directions at least `PAIR_MIN_EACH_WAY` per 30 days of the
   window (never fewer than that many), counting every reaction added and every mention.
3. Estimate inflation after a weights change: for each `workspace.updated` event naming "scoring", the mean
   estimate of the estimated tasks completed in the `INFLATION_DAYS` before it versus after it (each task
   once, at its first completion in that span). Flagged when both sides have at least `INFLATION_MIN_TASKS`
   tasks and the mean rose by `INFLATION_RATIO` times and at least `INFLATION_MIN_POINTS` points.
4. Completions just past the instant-completion cutoff: created -> completed in `INSTANT_SECONDS` to
   `NEAR_INSTANT_SECONDS` seconds (30 s is the scoring kernel's instant cutoff: anything faster earns 0, so a
   script waits just past it). Per completer, flagged at `NEAR_INSTANT_MIN` or more such completions making
   at least `NEAR_INSTANT_SHARE` of their completions in the window.

Evidence lists are capped at `EVIDENCE_LIMIT` rows per finding (per direction for pairs, per side for
inflation); the finding's counts are always the full ones.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

K = TypeVar("K", bound=Hashable)

MIN_COMPLETIONS = 5
MIN_MEMBERS = 4
OUTLIER_Z = 3.5
OUTLIER_RATIO = 1.5
PAIR_MIN_EACH_WAY = 10
INFLATION_DAYS = 14
INFLATION_MIN_TASKS = 5
INFLATION_RATIO = 1.5
INFLATION_MIN_POINTS = 1.0
INSTANT_SECONDS = 30
NEAR_INSTANT_SECONDS = 120
NEAR_INSTANT_MIN = 3
NEAR_INSTANT_SHARE = 0.25
EVIDENCE_LIMIT = 50

_Z_SCALE = 0.6745  # 1 / the 0.75 quantile of the standard normal: makes MAD comparable to a deviation
_MEAN_AD_SCALE = 1.2533  # sqrt(pi / 2): the same for the mean absolute deviation


@dataclass(frozen=True)
class Outlier:
    rate: float
    median: float
    z: float
    direction: Literal["high", "low"]


def modified_z_scores(values: Sequence[float]) -> tuple[float, list[float]]:
    """(median, modified z-score of each value); all zeros when the values do not vary at all."""
    median = statistics.median(values)
    deviations = [abs(v - median) for v in values]
    mad = statistics.median(deviations)
    if mad > 0:
        return median, [_Z_SCALE * (v - median) / mad for v in values]
    mean_ad = statistics.fmean(deviations)
    if mean_ad > 0:
        return median, [(v - median) / (_MEAN_AD_SCALE * mean_ad) for v in values]
    return median, [0.0 for _ in values]


def rate_outliers(rates: Mapping[K, float]) -> dict[K, Outlier]:
    """Members (already those with enough completions) whose XP per point stands out, by key."""
    if len(rates) < MIN_MEMBERS:
        return {}
    keys = list(rates)
    median, scores = modified_z_scores([rates[k] for k in keys])
    found: dict[K, Outlier] = {}
    for key, z in zip(keys, scores, strict=True):
        rate = rates[key]
        if z > OUTLIER_Z and rate >= OUTLIER_RATIO * median:
            found[key] = Outlier(rate, median, z, "high")
        elif z < -OUTLIER_Z and rate * OUTLIER_RATIO <= median:
            found[key] = Outlier(rate, median, z, "low")
    return found


def pair_threshold(days: int) -> int:
    """Reciprocal interactions each way that make a pair worth a look, for a window of `days`."""
    return max(PAIR_MIN_EACH_WAY, math.ceil(PAIR_MIN_EACH_WAY * days / 30))


def reciprocal_pairs(counts: Mapping[tuple[K, K], int], days: int) -> list[tuple[K, K, int, int]]:
    """(a, b, a->b, b->a) for each unordered pair trading at least the threshold both ways, the busiest pair
    first. `counts` holds directed counts; self-pairs are ignored."""
    threshold = pair_threshold(days)
    seen: set[frozenset[K]] = set()
    out: list[tuple[K, K, int, int]] = []
    for (a, b), ab in counts.items():
        pair = frozenset((a, b))
        ba = counts.get((b, a), 0)
        if a != b and pair not in seen and ab >= threshold and ba >= threshold:
            seen.add(pair)
            out.append((a, b, ab, ba))
    return sorted(out, key=lambda p: -min(p[2], p[3]))


@dataclass(frozen=True)
class Inflation:
    before_mean: float
    after_mean: float
    ratio: float | None


def estimate_inflation(before: Sequence[float], after: Sequence[float]) -> Inflation | None:
    """The rise of the mean estimate across a weights change, when it is big enough to show; else None."""
    if len(before) < INFLATION_MIN_TASKS or len(after) < INFLATION_MIN_TASKS:
        return None
    b, a = statistics.fmean(before), statistics.fmean(after)
    if a - b < INFLATION_MIN_POINTS:
        return None
    if b > 0 and a < INFLATION_RATIO * b:
        return None
    return Inflation(b, a, a / b if b > 0 else None)


def is_near_instant(seconds: float) -> bool:
    return INSTANT_SECONDS <= seconds <= NEAR_INSTANT_SECONDS


def near_instant_flagged(near: int, completions: int) -> bool:
    return completions > 0 and near >= NEAR_INSTANT_MIN and near / completions >= NEAR_INSTANT_SHARE
