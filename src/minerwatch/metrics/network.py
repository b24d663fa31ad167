"""Network economics, pure: subsidy schedule, difficulty, hashrate estimators, hashprice, fee share.

Conventions (see docs/METHOD.md):
- Hashrate estimators
  * ``difficulty``: H = D x 2^32 / 600 (the hashrate at which blocks would come every 10 minutes at
    the day's difficulty; luck-free but lags real hashrate by up to one epoch).
  * ``blockcount`` (default): H = (blocks found that day / 144) x D x 2^32 / 600, the day's mean
    hashrate implied by the blocks actually found. This is Coin Metrics' HashRate and the figure
    monthly research notes quote as "network hashrate averaged X EH/s".
- Revenue basis
  * ``realized`` (default): subsidy + fees the day's blocks actually paid.
  * ``expected``: what one unit of hashrate earns at the day's difficulty: 144 x mean reward per block.
  Identity: realized / blockcount-hashrate == expected / difficulty-hashrate == 144 x reward per
  block x price / (D x 2^32 / 600). So the default pairing is luck-neutral and equals the
  "expected value of a unit of hashrate at today's difficulty" that hashprice indices quote; the
  crossed pairings (realized/difficulty, expected/blockcount) carry the day's luck and differ by
  several percent while hashrate moves within an epoch.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

SATS_PER_BTC = 100_000_000
HALVING_INTERVAL_BLOCKS = 210_000
INITIAL_SUBSIDY_SAT = 50 * SATS_PER_BTC
BLOCKS_PER_DAY = 144
TARGET_SPACING_SECONDS = 600
RETARGET_INTERVAL_BLOCKS = 2016
#: Difficulty-1 target (the "pool" definition used by Bitcoin Core's GetDifficulty): 0xFFFF x 2^208.
MAX_TARGET = 0xFFFF << 208
H_PER_EH = 1e18

Estimator = Literal["difficulty", "blockcount"]
Basis = Literal["realized", "expected"]
ESTIMATORS: tuple[str, ...] = ("blockcount", "difficulty")
BASES: tuple[str, ...] = ("realized", "expected")
DEFAULT_ESTIMATOR: Estimator = "blockcount"
DEFAULT_BASIS: Basis = "realized"


def subsidy_sat(height: int) -> int:
    """Block subsidy in satoshis at `height`: 50 BTC >> (height // 210000), zero after 64 halvings."""
    if height < 0:
        raise ValueError(f"height must be >= 0, got {height!r}")
    halvings = height // HALVING_INTERVAL_BLOCKS
    return 0 if halvings >= 64 else INITIAL_SUBSIDY_SAT >> halvings


def subsidy_btc(height: int) -> float:
    """Block subsidy in BTC at `height` (3.125 from height 840,000)."""
    return subsidy_sat(height) / SATS_PER_BTC


def subsidy_btc_for_heights(first_height: int, last_height: int) -> float:
    """Total subsidy in BTC of the blocks `first_height..last_height` inclusive (exact across halvings)."""
    if last_height < first_height:
        return 0.0
    total = 0
    h = first_height
    while h <= last_height:
        era_end = (h // HALVING_INTERVAL_BLOCKS + 1) * HALVING_INTERVAL_BLOCKS - 1
        upto = min(era_end, last_height)
        total += (upto - h + 1) * subsidy_sat(h)
        h = upto + 1
    return total / SATS_PER_BTC


def next_halving_height(height: int) -> int:
    """The first height of the next subsidy era after `height`."""
    return (height // HALVING_INTERVAL_BLOCKS + 1) * HALVING_INTERVAL_BLOCKS


def target_from_bits(bits: int) -> int:
    """Expand the compact `nBits` encoding to the full 256-bit target."""
    exponent = bits >> 24
    mantissa = bits & 0x007FFFFF
    if bits & 0x00800000:
        raise ValueError(f"negative compact target {bits:#010x}")
    if exponent <= 3:
        return mantissa >> (8 * (3 - exponent))
    return mantissa << (8 * (exponent - 3))


def difficulty_from_target(target: int) -> float:
    """Difficulty = 0xFFFF x 2^208 / target (exact rational, rounded once)."""
    if target <= 0:
        raise ValueError(f"target must be positive, got {target!r}")
    from fractions import Fraction

    return float(Fraction(MAX_TARGET, target))


def difficulty_from_bits(bits: int) -> float:
    """Difficulty of a block header's `bits` field."""
    return difficulty_from_target(target_from_bits(bits))


def hashrate_hs_from_difficulty(difficulty: float) -> float:
    """Hashes per second that find one block per 600 s on average at `difficulty`: D x 2^32 / 600."""
    return difficulty * 2**32 / TARGET_SPACING_SECONDS


def hashrate_ehs_from_difficulty(difficulty: float) -> float:
    """Difficulty-implied hashrate in EH/s."""
    return hashrate_hs_from_difficulty(difficulty) / H_PER_EH


def hashrate_ehs_from_blockcount(block_count: float, difficulty: float) -> float:
    """Block-count-implied hashrate in EH/s: (blocks / 144) x D x 2^32 / 600 (for one day of blocks)."""
    return block_count / BLOCKS_PER_DAY * hashrate_ehs_from_difficulty(difficulty)


def expected_revenue_btc_per_day(reward_btc: float, block_count: float) -> float:
    """Value of the network's hashrate at the day's difficulty: 144 x mean reward per block (BTC)."""
    if block_count <= 0:
        raise ValueError(f"block_count must be positive, got {block_count!r}")
    return BLOCKS_PER_DAY * reward_btc / block_count


def hashprice_btc_per_ehs_day(revenue_btc_per_day: float, hashrate_ehs: float) -> float:
    """BTC earned per EH/s per day: daily network revenue / network hashrate."""
    if hashrate_ehs <= 0:
        raise ValueError(f"hashrate_ehs must be positive, got {hashrate_ehs!r}")
    return revenue_btc_per_day / hashrate_ehs


def hashprice_usd_per_ehs_day(revenue_btc_per_day: float, price_usd: float, hashrate_ehs: float) -> float:
    """USD earned per EH/s per day: daily revenue (BTC) x price (USD/BTC) / hashrate (EH/s)."""
    return hashprice_btc_per_ehs_day(revenue_btc_per_day, hashrate_ehs) * price_usd


def usd_per_phs_day(usd_per_ehs_day: float) -> float:
    """Per PH/s from per EH/s (1 EH/s = 1000 PH/s)."""
    return usd_per_ehs_day / 1000.0


def fee_share_pct(fees_btc: float, subsidy_btc: float) -> float:
    """Fees as a percent of the block reward (subsidy + fees)."""
    total = fees_btc + subsidy_btc
    if total <= 0:
        raise ValueError("block reward is zero; fee share undefined")
    return 100.0 * fees_btc / total


def pct_change(new: float | None, old: float | None) -> float | None:
    """Percent change from `old` to `new` (-5.0 means -5%); None when either is missing or old is 0."""
    if new is None or old is None or old == 0:
        return None
    return 100.0 * (new / old - 1.0)


# -- frame level ---------------------------------------------------------------------------------


def daily_hashprice(
    network: pl.DataFrame,
    prices: pl.DataFrame,
    *,
    estimator: str = DEFAULT_ESTIMATOR,
    basis: str = DEFAULT_BASIS,
    smooth_days: int = 1,
) -> pl.DataFrame:
    """Daily network economics.

    `network`: date, block_count, difficulty, subsidy_btc, fees_btc (one row per UTC day, sorted).
    `prices`: date, close_usd. Returns one row per day with hashrate_ehs (the chosen estimator,
    trailing `smooth_days` mean), revenue_btc (the chosen basis), and hashprice in USD/BTC per EH/s
    and USD per PH/s per day, plus fee_share_pct. Days without blocks or price give nulls.
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    if basis not in BASES:
        raise ValueError(f"basis must be one of {BASES}, got {basis!r}")
    if smooth_days < 1:
        raise ValueError(f"smooth_days must be >= 1, got {smooth_days!r}")
    unit_ehs = 2**32 / TARGET_SPACING_SECONDS / H_PER_EH
    df = network.sort("date").join(prices.select("date", "close_usd"), on="date", how="left")
    blocks = pl.col("block_count").cast(pl.Float64)
    has_blocks = pl.col("block_count") > 0
    reward = pl.col("subsidy_btc") + pl.col("fees_btc")
    hr_diff = pl.col("difficulty") * unit_ehs
    hr_raw = hr_diff if estimator == "difficulty" else blocks / BLOCKS_PER_DAY * hr_diff
    df = df.with_columns(
        pl.when(has_blocks).then(hr_raw).otherwise(None).alias("hashrate_ehs_raw"),
        pl.when(has_blocks)
        .then(reward if basis == "realized" else BLOCKS_PER_DAY * reward / blocks)
        .otherwise(None)
        .alias("revenue_btc"),
    )
    hr = pl.col("hashrate_ehs_raw")
    if smooth_days > 1:
        hr = hr.rolling_mean(window_size=smooth_days, min_samples=smooth_days)
    df = df.with_columns(hr.alias("hashrate_ehs"))
    df = df.with_columns((pl.col("revenue_btc") / pl.col("hashrate_ehs")).alias("btc_per_ehs_day"))
    df = df.with_columns(
        (pl.col("btc_per_ehs_day") * pl.col("close_usd")).alias("usd_per_ehs_day"),
    ).with_columns(
        (pl.col("usd_per_ehs_day") / 1000.0).alias("usd_per_phs_day"),
        pl.when(reward > 0).then(100.0 * pl.col("fees_btc") / reward).otherwise(None).alias("fee_share_pct"),
        (hr_diff).alias("hashrate_ehs_difficulty"),
    )
    return df.select(
        "date",
        "block_count",
        "difficulty",
        "subsidy_btc",
        "fees_btc",
        "close_usd",
        "hashrate_ehs",
        "hashrate_ehs_difficulty",
        "revenue_btc",
        "btc_per_ehs_day",
        "usd_per_ehs_day",
        "usd_per_phs_day",
        "fee_share_pct",
    )


def period_summary(daily: pl.DataFrame) -> dict[str, float | int | None]:
    """Means over a period of `daily_hashprice` rows (days with a hashprice only).

    Hashprice and hashrate: arithmetic mean of the daily values ("earned $X per EH/s per day on
    average"). Fee share: total fees / total reward over the period (reward-weighted, not a mean of
    daily shares). Difficulty: mean of the daily (block-weighted) difficulty.
    """
    d = daily.filter(pl.col("usd_per_ehs_day").is_not_null())
    if d.height == 0:
        return {"days": 0}

    def total(col: str) -> float:
        return float(d[col].sum())

    def mean(col: str) -> float:
        return total(col) / d.height

    fees = total("fees_btc")
    reward = fees + total("subsidy_btc")
    return {
        "days": d.height,
        "usd_per_ehs_day": mean("usd_per_ehs_day"),
        "btc_per_ehs_day": mean("btc_per_ehs_day"),
        "usd_per_phs_day": mean("usd_per_phs_day"),
        "hashrate_ehs": mean("hashrate_ehs"),
        "difficulty": mean("difficulty"),
        "fee_share_pct": 100.0 * fees / reward if reward else None,
        "blocks": int(total("block_count")),
        "subsidy_btc": total("subsidy_btc"),
        "fees_btc": fees,
    }
