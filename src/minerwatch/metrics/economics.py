"""Mining economics, pure: power and cost per EH/s, gross profit and margin, breakeven power, cost per BTC, scenarios.

Units are in every name. Conventions (see docs/economics.md):
- A fleet's efficiency is in J/TH (joules per terahash = watts per TH/s). 1 EH/s = 1,000,000 TH/s, so
  1 EH/s at 26 J/TH draws 26,000,000 W = 26 MW = 26,000 kW, i.e. 624,000 kWh per day.
- Power and opex (hosting, maintenance) are priced per kWh drawn; the pool fee is a percent of the
  mining revenue (it scales revenue, not cost).
- Revenue per EH/s per day is the hashprice; gross profit = revenue after pool fee - (power + opex) cost.
- Scenario hashprice: luck-neutral, 144 blocks a day (difficulty retargets to 10-minute blocks),
  reward per block = subsidy at the height / (1 - fee share), so the fee share is the share of the
  reward on the scenario day. The subsidy follows the height schedule (`network.subsidy_btc`).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

from minerwatch.metrics import network as nw

TH_PER_EH = 1_000_000
HOURS_PER_DAY = 24
#: Four years of blocks at the 10-minute target, i.e. one halving era.
BLOCKS_PER_FOUR_YEARS = nw.HALVING_INTERVAL_BLOCKS


def _positive(value: float, name: str) -> None:
    if not isinstance(value, int | float) or math.isnan(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def _non_negative(value: float, name: str) -> None:
    if not isinstance(value, int | float) or math.isnan(value) or value < 0:
        raise ValueError(f"{name} must be zero or positive, got {value!r}")


def _pct_in_range(value: float, name: str) -> None:
    if not isinstance(value, int | float) or math.isnan(value) or not 0 <= value < 100:
        raise ValueError(f"{name} must be a percent in [0, 100), got {value!r}")


# -- power and cost -------------------------------------------------------------------------------


def power_kw_per_ehs(efficiency_jth: float) -> float:
    """Power drawn by 1 EH/s at `efficiency_jth` J/TH, in kW (J/TH x 1e6 TH/s = W; / 1000 = kW)."""
    _positive(efficiency_jth, "efficiency_jth")
    return efficiency_jth * TH_PER_EH / 1000.0


def kwh_per_ehs_day(efficiency_jth: float) -> float:
    """Energy used by 1 EH/s in one day at `efficiency_jth` J/TH, in kWh."""
    return power_kw_per_ehs(efficiency_jth) * HOURS_PER_DAY


def power_cost_usd_per_ehs_day(efficiency_jth: float, power_usd_kwh: float, opex_usd_kwh: float = 0.0) -> float:
    """Daily cost of running 1 EH/s: kWh per day x (power price + opex per kWh), in USD."""
    _non_negative(power_usd_kwh, "power_usd_kwh")
    _non_negative(opex_usd_kwh, "opex_usd_kwh")
    return kwh_per_ehs_day(efficiency_jth) * (power_usd_kwh + opex_usd_kwh)


def net_revenue_usd_per_ehs_day(hashprice_usd_per_ehs_day: float, pool_fee_pct: float = 0.0) -> float:
    """Revenue per EH/s per day after the pool fee: hashprice x (1 - fee/100)."""
    _pct_in_range(pool_fee_pct, "pool_fee_pct")
    return hashprice_usd_per_ehs_day * (1.0 - pool_fee_pct / 100.0)


def gross_profit_usd_per_ehs_day(revenue_usd_per_ehs_day: float, cost_usd_per_ehs_day: float) -> float:
    """Gross profit per EH/s per day: revenue (after pool fee) minus power and opex cost."""
    return revenue_usd_per_ehs_day - cost_usd_per_ehs_day


def gross_margin_pct(revenue_usd_per_ehs_day: float, cost_usd_per_ehs_day: float) -> float | None:
    """Gross profit as a percent of revenue (negative when cost exceeds revenue; None if no revenue)."""
    if revenue_usd_per_ehs_day <= 0:
        return None
    return 100.0 * (revenue_usd_per_ehs_day - cost_usd_per_ehs_day) / revenue_usd_per_ehs_day


def breakeven_power_usd_kwh(revenue_usd_per_ehs_day: float, efficiency_jth: float, opex_usd_kwh: float = 0.0) -> float:
    """Power price (USD/kWh) at which gross profit is zero: revenue / kWh per day - opex per kWh."""
    _non_negative(opex_usd_kwh, "opex_usd_kwh")
    return revenue_usd_per_ehs_day / kwh_per_ehs_day(efficiency_jth) - opex_usd_kwh


def cost_per_btc_usd(cost_usd_per_ehs_day: float, btc_per_ehs_day: float, pool_fee_pct: float = 0.0) -> float:
    """All-in (power + opex) cost of mining 1 BTC: daily cost / BTC earned per day after the pool fee."""
    _positive(btc_per_ehs_day, "btc_per_ehs_day")
    _pct_in_range(pool_fee_pct, "pool_fee_pct")
    return cost_usd_per_ehs_day / (btc_per_ehs_day * (1.0 - pool_fee_pct / 100.0))


def machine_cost_usd_per_ehs(machine_usd_per_th: float) -> float:
    """Capital cost of 1 EH/s of machines priced at `machine_usd_per_th` USD per TH/s."""
    _positive(machine_usd_per_th, "machine_usd_per_th")
    return machine_usd_per_th * TH_PER_EH


def payback_days(machine_usd_per_th: float, gross_profit_usd_per_ehs_day: float) -> float | None:
    """Days of gross profit that repay the machines (constant profit assumed); None if profit <= 0."""
    capex = machine_cost_usd_per_ehs(machine_usd_per_th)
    if gross_profit_usd_per_ehs_day <= 0:
        return None
    return capex / gross_profit_usd_per_ehs_day


def change_pct_abs_base(new: float | None, old: float | None) -> float | None:
    """Percent change measured against |old| so a loss shrinking reads as a rise; None if old is 0/missing."""
    if new is None or old is None or old == 0:
        return None
    return 100.0 * (new - old) / abs(old)


def change_pp(new: float | None, old: float | None) -> float | None:
    """Change of a percentage in percentage points (new - old); None if either is missing."""
    if new is None or old is None:
        return None
    return new - old


# -- scenarios ------------------------------------------------------------------------------------


def reward_btc_per_block(subsidy_btc: float, fee_share_pct: float) -> float:
    """Block reward (subsidy + fees) when fees are `fee_share_pct` percent of the reward."""
    _pct_in_range(fee_share_pct, "fee_share_pct")
    return subsidy_btc / (1.0 - fee_share_pct / 100.0)


def estimated_height(last_height: int, last_date: date, on: date, blocks_per_day: float) -> int:
    """Height at the end of day `on`, extrapolated from the height at the end of `last_date` at a block rate."""
    _positive(blocks_per_day, "blocks_per_day")
    return last_height + int(math.floor((on - last_date).days * blocks_per_day))


def estimated_date_of_height(last_height: int, last_date: date, height: int, blocks_per_day: float) -> date:
    """First UTC day whose blocks (at the block rate, from the end of `last_date`) reach `height`."""
    _positive(blocks_per_day, "blocks_per_day")
    if height <= last_height:
        raise ValueError(f"height {height} is not after the last known height {last_height}")
    days = math.ceil((height - last_height) / blocks_per_day)
    return last_date + timedelta(days=days)


def scenario_day_heights(last_height: int, last_date: date, on: date, blocks_per_day: float) -> tuple[int, int]:
    """First and last height of the blocks mined on day `on` at the block rate (exact across halvings)."""
    if on <= last_date:
        raise ValueError(f"scenario day {on} must be after the last day of data {last_date}")
    first = estimated_height(last_height, last_date, on - timedelta(days=1), blocks_per_day) + 1
    last = estimated_height(last_height, last_date, on, blocks_per_day)
    return first, max(first, last)


def scenario_mean_subsidy_btc(first_height: int, last_height: int) -> float:
    """Mean subsidy per block over heights first..last (blends the two eras on a halving day)."""
    n = last_height - first_height + 1
    if n <= 0:
        raise ValueError(f"empty height range {first_height}..{last_height}")
    return nw.subsidy_btc_for_heights(first_height, last_height) / n


def scenario_btc_per_ehs_day(subsidy_btc: float, fee_share_pct: float, hashrate_ehs: float) -> float:
    """Luck-neutral BTC per EH/s per day: 144 blocks x reward per block / network hashrate."""
    _positive(hashrate_ehs, "hashrate_ehs")
    return nw.BLOCKS_PER_DAY * reward_btc_per_block(subsidy_btc, fee_share_pct) / hashrate_ehs


def scenario_hashprice_usd_per_ehs_day(
    price_usd: float, hashrate_ehs: float, fee_share_pct: float, subsidy_btc: float
) -> float:
    """Hashprice in a scenario: 144 x subsidy / (1 - fee share) x price / hashrate (USD per EH/s per day)."""
    _positive(price_usd, "price_usd")
    return scenario_btc_per_ehs_day(subsidy_btc, fee_share_pct, hashrate_ehs) * price_usd


def scenario_hashprice_at_height_usd_per_ehs_day(
    height: int, price_usd: float, hashrate_ehs: float, fee_share_pct: float
) -> float:
    """Scenario hashprice if every block of the day paid the subsidy of `height` (steps at each halving)."""
    return scenario_hashprice_usd_per_ehs_day(price_usd, hashrate_ehs, fee_share_pct, nw.subsidy_btc(height))


def future_subsidy_btc(from_height: int, n_blocks: int) -> float:
    """Total subsidy of the `n_blocks` blocks after `from_height` (exact across halvings)."""
    if n_blocks <= 0:
        return 0.0
    return nw.subsidy_btc_for_heights(from_height + 1, from_height + n_blocks)


def hashrate_share_pct(part_ehs: float, network_ehs: float) -> float:
    """Share of network hashrate, percent."""
    _positive(network_ehs, "network_ehs")
    _non_negative(part_ehs, "part_ehs")
    return 100.0 * part_ehs / network_ehs


def market_cap_to_reward_share_multiple(
    market_cap_usd: float, hashrate_share_pct_value: float, rewards_btc: float, price_usd: float
) -> float | None:
    """Market cap / (hashrate share x value of the next rewards in USD); None if that value is 0."""
    value = hashrate_share_pct_value / 100.0 * rewards_btc * price_usd
    if value <= 0:
        return None
    return market_cap_usd / value
