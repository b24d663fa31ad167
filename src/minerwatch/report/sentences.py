"""The note's sentences, made from the service answers (plain dicts) by pure functions.

Each function takes the dict a service returns (`hashprice_month`, `btc_month`, `basket_month`,
`economics_month`) and the month, and returns plain English sentences. Numbers go through
`report.fmt`, the same functions that write each figure's `text` in facts.json. A section whose data
is missing gets one sentence saying so (`missing_sentence`).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from typing import Any

from minerwatch.metrics.market import previous_month
from minerwatch.report import fmt

#: How cohort names from the basket service read in a sentence.
COHORT_LABELS = {
    "pure": "pure-play miners",
    "pure-play": "pure-play miners",
    "pure_play": "pure-play miners",
    "miner": "pure-play miners",
    "ai_hpc": "AI/HPC miners",
    "ai-hpc": "AI/HPC miners",
    "ai/hpc": "AI/HPC miners",
    "hpc": "AI/HPC miners",
}

SECTION_NAMES = {
    "network": "network",
    "btc": "BTC price",
    "equities": "miner equity",
    "economics": "mining economics",
}


def cohort_label(name: str) -> str:
    """`ai_hpc` -> `AI/HPC miners`, `AI/HPC-exposed` -> `AI/HPC-exposed miners`."""
    if name.lower() in COHORT_LABELS:
        return COHORT_LABELS[name.lower()]
    return name if not name or name.lower().endswith("miners") else f"{name} miners"


def _prev(month: str) -> str:
    return fmt.relative_month_label(previous_month(month), month)


def missing_sentence(section: str, month: str, reason: str | None = None) -> str:
    """One sentence for a section without data: `No miner equity data for February 2025 (reason).`"""
    what = SECTION_NAMES.get(section, section)
    tail = f": {reason.rstrip('.')}" if reason else ""
    return f"No {what} data for {fmt.month_label(month)}{tail}."


# -- network ---------------------------------------------------------------------------------------


def partial_days(hp: dict[str, Any]) -> str | None:
    """`29 of 31 days` when the store covers only part of the month, else None."""
    days, in_month = hp.get("days"), hp.get("days_in_month")
    if days is None or in_month is None or days >= in_month:
        return None
    return f"{fmt.count(days)} of {fmt.count(in_month)} days"


def hashprice_sentence(hp: dict[str, Any], halving: dict[str, Any] | None = None) -> str:
    """`Miners earned $Z per EH/s per day on average in block rewards, down W% from January.`

    A partial month says how many days it covers; a halving month adds the halving as a clause.
    """
    month = hp["month"]
    head = f"Miners earned {fmt.usd(hp['usd_per_ehs_day'])} per EH/s per day on average in block rewards"
    when = fmt.month_label(month)
    part = partial_days(hp)
    if part:
        when += f" ({part})"
    move = fmt.updown_phrase(hp.get("mom_change_pct"))
    text = f"{head} in {when}" if move is None else f"{head} in {when}, {move} from {_prev(month)}"
    if halving:
        text += (
            f", with the block subsidy halving to {fmt.subsidy(halving['subsidy_after_btc'])} "
            f"at block {fmt.count(halving['height'])} on {fmt.day_label(halving['date'], month)}"
        )
    return text + "."


def halving_sentence(halving: dict[str, Any] | None, month: str) -> str | None:
    """`The block subsidy halved from 6.25 BTC to 3.125 BTC per block on 20 April: ...`; None without a halving."""
    if not halving:
        return None
    text = (
        f"The block subsidy halved from {fmt.subsidy(halving['subsidy_before_btc'])} to "
        f"{fmt.subsidy(halving['subsidy_after_btc'])} per block at block {fmt.count(halving['height'])} "
        f"on {fmt.day_label(halving['date'], month)}"
    )
    before, after = halving.get("usd_per_ehs_day_before"), halving.get("usd_per_ehs_day_after")
    if before is not None and after is not None:
        text += (
            f": hashprice averaged {fmt.usd(before)} per EH/s per day over the "
            f"{fmt.count(halving['days_before'])} days before that day and {fmt.usd(after)} over the "
            f"{fmt.count(halving['days_after'])} days after it ({fmt.updown_phrase(pct_change(after, before))})"
        )
    return text + "."


def hashrate_sentence(hp: dict[str, Any], prev: dict[str, Any] | None = None) -> str:
    """`Network hashrate averaged 810 EH/s, up 3.8% from January, at a mean difficulty of 111.7 T (up 2.1%).`"""
    text = f"Network hashrate averaged {fmt.ehs(hp['hashrate_ehs'])}"
    move = fmt.updown_phrase(hp.get("hashrate_mom_change_pct"))
    if move is not None:
        text += f", {move} from {_prev(hp['month'])}"
    if hp.get("difficulty_mean") is not None:
        text += f", at a mean difficulty of {fmt.difficulty(hp['difficulty_mean'])}"
        d_move = fmt.updown_phrase(pct_change(hp["difficulty_mean"], (prev or {}).get("difficulty_mean")))
        if d_move is not None:
            text += f" ({d_move})"
    return text + "."


def network_sentences(
    hp: dict[str, Any], prev: dict[str, Any] | None = None, halving: dict[str, Any] | None = None
) -> list[str]:
    """The Network section: hashprice in USD and BTC, hashrate and difficulty, fee share, all vs last month."""
    prev = prev or {}
    btc_text = f"In BTC terms that is {fmt.btc(hp['btc_per_ehs_day'])} per EH/s per day"
    btc_move = fmt.updown_phrase(pct_change(hp["btc_per_ehs_day"], prev.get("btc_per_ehs_day")))
    if btc_move is not None:
        btc_text += f" ({btc_move})"
    out = [hashprice_sentence(hp)]
    halved = halving_sentence(halving, hp["month"])
    if halved:
        out.append(halved)
    out += [
        f"{btc_text}, or {fmt.usd(hp['usd_per_phs_day'])} per PH/s per day.",
        hashrate_sentence(hp, prev),
    ]
    fee = f"Transaction fees made up {fmt.pct(hp['fee_share_pct'])} of block rewards"
    if prev.get("fee_share_pct") is not None:
        fee += f", against {fmt.pct(prev['fee_share_pct'])} in {_prev(hp['month'])}"
    out.append(fee + ".")
    days, in_month = hp.get("days"), hp.get("days_in_month")
    if days is not None and in_month is not None and days < in_month:
        out.append(
            f"The store covers {fmt.count(days)} of {fmt.count(in_month)} days of {fmt.month_label(hp['month'])}, "
            f"so these are means over those days."
        )
    return out


def pct_change(new: float | None, old: float | None) -> float | None:
    """Percent change rounded to 2 decimals like the services' `*_change_pct` (None if either is missing)."""
    from minerwatch.metrics.network import pct_change as raw

    value = raw(new, old)
    return None if value is None else round(value, 2)


# -- BTC ----------------------------------------------------------------------------------------


def btc_partial(b: dict[str, Any]) -> bool:
    """Whether the store's BTC closes end before the month does (the month is still running)."""
    month = b["month"]
    last_day = f"{month}-{calendar.monthrange(int(month[:4]), int(month[5:7]))[1]:02d}"
    return b.get("close_date") is not None and str(b["close_date"])[:10] < last_day


def btc_change_sentence(b: dict[str, Any]) -> str:
    """`BTC fell 17.6% in February 2025 to close at $84,244, from $102,263 at the end of January.`"""
    month = b["month"]
    move = fmt.change_phrase(b.get("change_pct"))
    close = fmt.usd(b["close_usd"])
    if btc_partial(b):
        through = f"through {fmt.day_label(b['close_date'], month)}"
        if move is None:
            return f"BTC was at {close} on {fmt.day_label(b['close_date'], month)}."
        return (
            f"BTC {move} in {fmt.month_label(month)} {through}, to {close}, "
            f"from {fmt.usd(b['open_usd'])} at the end of {_prev(month)}."
        )
    if move is None:
        return f"BTC closed {fmt.month_label(month)} at {close}."
    return (
        f"BTC {move} in {fmt.month_label(month)} to close at {close}, "
        f"from {fmt.usd(b['open_usd'])} at the end of {_prev(month)}."
    )


def btc_sentences(b: dict[str, Any]) -> list[str]:
    """The BTC section: month and 30-day change, intramonth low/high with dates, ATH and drawdown."""
    month = b["month"]
    out = [btc_change_sentence(b)]
    move30 = fmt.change_phrase(b.get("change_30d_pct"))
    if move30 is not None:
        out.append(f"Over the 30 days to {fmt.day_label(b['close_date'], month)} it {move30}.")
    basis = "intraday" if b.get("low_high_basis") == "intraday" else "daily close"
    out.append(
        f"The intramonth low was {fmt.usd(b['low_usd'])} on {fmt.day_label(b['low_date'], month)} "
        f"and the high {fmt.usd(b['high_usd'])} on {fmt.day_label(b['high_date'], month)} ({basis})."
    )
    dd = b.get("drawdown_from_ath_pct")
    ath = fmt.usd(b["ath_close_usd"])
    ath_day = fmt.day_label(b["ath_close_date"], month)
    if dd is None:
        pass
    elif dd >= 0 or fmt.pct(dd) == "0.0%":
        out.append(f"BTC ended the month at its all-time closing high of {ath} ({ath_day}).")
    else:
        when = f"On {fmt.day_label(b['close_date'], month)}" if btc_partial(b) else "At month end"
        out.append(f"{when} BTC was {fmt.pct(dd)} below its all-time closing high of {ath} ({ath_day}).")
    return out


# -- miner equities --------------------------------------------------------------------------------


def member_return_pct(member: dict[str, Any]) -> float | None:
    """A member's return in the month: its share-price change where the basket gives it, else market-cap change."""
    for key in ("price_change_pct", "change_pct", "market_cap_change_pct"):
        if member.get(key) is not None:
            return member[key]
    return None


def member_change(basket: dict[str, Any], which: str) -> tuple[str, float | None] | None:
    """The best/worst member as (ticker, return %), whatever shape the basket gives it in."""
    value = basket.get(which)
    if value is None:
        return None
    ticker = value.get("ticker") if isinstance(value, dict) else str(value)
    if not ticker:
        return None
    change = member_return_pct(value) if isinstance(value, dict) else None
    if change is None:
        row = next((m for m in basket.get("members", []) if m.get("ticker") == ticker), None)
        change = member_return_pct(row) if row else None
    return str(ticker), change


def basket_sentence(basket: dict[str, Any]) -> str:
    """`The 12 tracked miners' aggregate market cap fell 30.1% ($12.3 billion) in February 2025.`"""
    n = basket.get("members_priced") or 0
    month = fmt.month_label(basket["month"])
    who = f"The {fmt.count(n)} tracked miners'" if n != 1 else "The 1 tracked miner's"
    change, change_usd = basket.get("change_pct"), basket.get("change_usd")
    verb = fmt.direction(change)
    if verb is None:
        return f"{who} aggregate market cap was {fmt.usd(basket.get('market_cap_end_usd'))} at the end of {month}."
    if verb == "was flat":
        return f"{who} aggregate market cap was flat ({fmt.signed_pct(change)}) in {month}."
    return f"{who} aggregate market cap {verb} {fmt.pct(change)} ({fmt.usd_abs(change_usd)}) in {month}."


def _same_day(a: object, b: object) -> bool:
    return a is not None and b is not None and str(a)[:10] == str(b)[:10]


def btc_period(basket: dict[str, Any], btc: dict[str, Any] | None = None) -> str:
    """`in the month` when the basket's two closing dates are BTC's month ends, else `between 28 March and 30 April`.

    The basket compares closes on the last trading days, which differ from the calendar month ends
    that the BTC section uses when a month ends on a weekend or holiday; the sentence then names them.
    """
    start, end = basket.get("start_date"), basket.get("end_date")
    if btc is None or start is None or end is None:
        return "in the month"
    if _same_day(start, btc.get("open_date")) and _same_day(end, btc.get("close_date")):
        return "in the month"
    month = basket["month"]
    return f"between {fmt.day_label(start, month)} and {fmt.day_label(end, month)}"


def beat_btc_sentence(basket: dict[str, Any], btc: dict[str, Any] | None = None) -> str | None:
    """`Shares of 5 of the 12 miners beat BTC, which fell 17.6% in the month.`; None without a BTC change."""
    btc_change = basket.get("btc_change_pct")
    beat = basket.get("beat_btc_count")
    n = basket.get("members_priced") or 0
    move = fmt.change_phrase(btc_change)
    if move is None or beat is None or n == 0:
        return None
    if beat == 0:
        lead = f"None of the {fmt.count(n)} miners' shares beat BTC"
    elif beat == n:
        lead = f"All {fmt.count(n)} miners' shares beat BTC"
    else:
        lead = f"Shares of {fmt.count(beat)} of the {fmt.count(n)} miners beat BTC"
    return f"{lead}, which {move} {btc_period(basket, btc)}."


def no_btc_comparison_sentence(basket: dict[str, Any], btc: dict[str, Any] | None = None) -> str | None:
    """Why the members are not compared with BTC (no BTC close on a basket date); None when they are."""
    if basket.get("beat_btc_count") is not None or not basket.get("members_priced"):
        return None
    month = basket["month"]
    start, end = basket.get("start_date"), basket.get("end_date")
    last_btc = (btc or {}).get("close_date")
    if end is not None and last_btc is not None and str(last_btc)[:10] < str(end)[:10]:
        return (
            f"Shares are not compared with BTC: the store's BTC closes end on {fmt.day_label(last_btc, month)}, "
            f"before the equities' last close on {fmt.day_label(end, month)}."
        )
    if start is not None and end is not None:
        return (
            f"Shares are not compared with BTC: the store lacks a BTC close on {fmt.day_label(start, month)} "
            f"or {fmt.day_label(end, month)}."
        )
    return "Shares are not compared with BTC: the store lacks BTC closes on the basket's dates."


def equities_sentences(
    basket: dict[str, Any], btc: dict[str, Any] | None = None, stale_days: int | None = None
) -> list[str]:
    """The Miner equities section: aggregate and change, best/worst, cohorts, beat-BTC count, gaps."""
    out = [basket_sentence(basket)]
    best, worst = member_change(basket, "best"), member_change(basket, "worst")
    if best and worst and best[0] != worst[0]:
        b_move, w_move = fmt.change_phrase(best[1]), fmt.change_phrase(worst[1])
        if b_move and w_move:
            out.append(
                f"The best performer was {best[0]}, whose shares {b_move}; the worst was {worst[0]}, "
                f"whose shares {w_move}."
            )
    cohorts = basket.get("cohorts") or {}
    parts = []
    for name, c in cohorts.items():
        move = fmt.change_phrase(c.get("change_pct"))
        if move is not None:
            parts.append(f"{cohort_label(name)} {move} (to {fmt.usd(c.get('market_cap_end_usd'))})")
    if parts:
        out.append("By cohort, " + (", while ".join(parts) if len(parts) == 2 else "; ".join(parts)) + ".")
    beat = beat_btc_sentence(basket, btc) or no_btc_comparison_sentence(basket, btc)
    if beat:
        out.append(beat)
    missing = basket.get("missing") or []
    if missing:
        names = "; ".join(f"{m['ticker']} ({m['reason']})" for m in missing)
        out.append(f"Not in the aggregate: {names}.")
    stale = basket_caveats(basket, stale_days)
    out += stale
    return out


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def basket_caveats(basket: dict[str, Any], stale_days: int | None = None) -> list[str]:
    """Footnotes on the basket's inputs: share counts long out of date, closes whose dates are unverified."""
    out = []
    month = basket["month"]
    stale = basket.get("stale_shares") or []
    if stale:
        limit = f"more than {fmt.count(stale_days)} days" if stale_days else "long"
        if all(m.get("on", "end") == "end" for m in stale):
            names = _and([f"{m['ticker']} ({fmt.count(m['age_days'])} days)" for m in stale])
            end = basket.get("end_date")
            when = f" on {fmt.day_label(end, month)}" if end else ""
        else:  # some counts are stale only at the window's start: name the date for each
            names = _and(
                [
                    f"{m['ticker']} ({fmt.count(m['age_days'])} days on "
                    f"{fmt.day_label(basket.get(m.get('on', 'end') + '_date'), month)})"
                    for m in stale
                ]
            )
            when = " on the dates used"
        out.append(f"Share counts {limit} old{when}, so market caps may miss issuance since: {names}.")
    unverified = basket.get("unverified_closes") or []
    if unverified:
        names = _and([f"{m['ticker']} ({fmt.day_label(m['date'], month)})" for m in unverified])
        out.append(f"Closes from screener snapshots whose trading date is unverified: {names}.")
    return out


# -- economics --------------------------------------------------------------------------------------


def economics_sentences(e: dict[str, Any], *, default_assumption: bool = True) -> list[str]:
    """The Economics section: the fleet assumption, gross profit and margin, breakeven power price."""
    which = "the default assumption" if default_assumption else "the assumption chosen for this note"
    out = [
        f"For a fleet at {fmt.efficiency(e['efficiency_jth'])} J/TH paying {fmt.usd_price(e['power_usd_kwh'])} per kWh "
        f"({which}), power cost {fmt.usd(e.get('cost_usd_per_ehs_day'))} per EH/s per day "
        f"against revenue of {fmt.usd(e.get('revenue_usd_per_ehs_day'))}."
    ]
    profit = e.get("gross_profit_usd_per_ehs_day")
    margin = e.get("gross_margin_pct")
    if profit is not None:
        kind = "gross profit" if profit >= 0 else "gross loss"
        text = f"That is a {kind} of {fmt.usd_abs(profit)} per EH/s per day"
        move = fmt.updown_phrase(e.get("mom_change_pct"))
        if move is not None:
            text += f" ({move} from {_prev(e['month'])})"
        if margin is not None:
            text += f", a gross margin of {fmt.signed_pct(margin) if margin < 0 else fmt.pct(margin)}"
        out.append(text + ".")
    if e.get("breakeven_power_usd_kwh") is not None:
        out.append(f"The breakeven power price was {fmt.usd_price(e['breakeven_power_usd_kwh'])} per kWh.")
    if e.get("cost_per_btc_usd") is not None:
        # Named explicitly: after the breakeven sentence, "at that price" would read as the breakeven price.
        out.append(
            f"At {fmt.usd_price(e['power_usd_kwh'])} per kWh the power cost of mining one BTC was "
            f"{fmt.usd(e['cost_per_btc_usd'])}."
        )
    return out


def economics_headline(e: dict[str, Any]) -> str:
    """The Summary's economics sentence."""
    profit = e.get("gross_profit_usd_per_ehs_day")
    margin = e.get("gross_margin_pct")
    fleet = f"A {fmt.efficiency(e['efficiency_jth'])} J/TH fleet at {fmt.usd_price(e['power_usd_kwh'])} per kWh"
    if profit is None:
        return f"{fleet} broke even at {fmt.usd_price(e.get('breakeven_power_usd_kwh'))} per kWh."
    kind = "gross profit" if profit >= 0 else "gross loss"
    m = "" if margin is None else f" ({fmt.signed_pct(margin) if margin < 0 else fmt.pct(margin)} margin)"
    return f"{fleet} made a {kind} of {fmt.usd_abs(profit)} per EH/s per day{m}."


# -- summary -----------------------------------------------------------------------------------------


def summary_sentences(
    month: str,
    hp: dict[str, Any] | None,
    b: dict[str, Any] | None,
    basket: dict[str, Any] | None,
    econ: dict[str, Any] | None,
    missing: Mapping[str, str | None] | None = None,
    hp_prev: dict[str, Any] | None = None,
    halving: dict[str, Any] | None = None,
) -> list[str]:
    """The 4-6 headline sentences; a missing section contributes its one 'no data' sentence."""
    missing = missing or {}
    out: list[str] = []
    if hp is not None:
        out += [hashprice_sentence(hp, halving), hashrate_sentence(hp, hp_prev)]
    else:
        out.append(missing_sentence("network", month, missing.get("network")))
    if b is not None:
        out.append(btc_change_sentence(b))
    else:
        out.append(missing_sentence("btc", month, missing.get("btc")))
    if basket is not None:
        out.append(basket_sentence(basket))
        beat = beat_btc_sentence(basket, b)
        if beat:
            out.append(beat)
    else:
        out.append(missing_sentence("equities", month, missing.get("equities")))
    if econ is not None:
        out.append(economics_headline(econ))
    else:
        out.append(missing_sentence("economics", month, missing.get("economics")))
    return out[:6]
