"""The sentence generator on rises, falls, flat and missing values (small dicts of the services' shapes)."""

from __future__ import annotations

from datetime import date

import pytest

from minerwatch.report import fmt
from minerwatch.report import sentences as sn


def hp(**kw):
    base = {
        "month": "2025-02",
        "usd_per_ehs_day": 54372.05,
        "btc_per_ehs_day": 0.57094245,
        "usd_per_phs_day": 54.3721,
        "mom_change_pct": -6.41,
        "hashrate_ehs": 810.2,
        "hashrate_mom_change_pct": 3.76,
        "fee_share_pct": 1.34,
        "days": 28,
        "days_in_month": 28,
        "difficulty_mean": 111.7e12,
    }
    return base | kw


def basket(**kw):
    base = {
        "month": "2025-02",
        "members_total": 13,
        "members_priced": 12,
        "market_cap_start_usd": 40.9e9,
        "market_cap_end_usd": 28.6e9,
        "change_usd": -12.3e9,
        "change_pct": -30.07,
        "best": {"ticker": "IREN", "price_change_pct": 5.2, "market_cap_change_pct": 6.1},
        "worst": {"ticker": "ARBK", "price_change_pct": -45.0, "market_cap_change_pct": -44.0},
        "beat_btc_count": 5,
        "btc_change_pct": -17.62,
        "cohorts": {
            "pure_play": {"market_cap_start_usd": 30e9, "market_cap_end_usd": 20.4e9, "change_pct": -32.0},
            "ai_hpc": {"market_cap_start_usd": 10.9e9, "market_cap_end_usd": 8.2e9, "change_pct": -24.77},
        },
        "members": [],
        "missing": [{"ticker": "SDIG", "reason": "no prices after 2025-01-31"}],
    }
    return base | kw


def econ(**kw):
    base = {
        "month": "2025-02",
        "efficiency_jth": 20.0,
        "power_usd_kwh": 0.05,
        "revenue_usd_per_ehs_day": 54372.05,
        "cost_usd_per_ehs_day": 24000.0,
        "gross_profit_usd_per_ehs_day": 30372.05,
        "gross_margin_pct": 55.86,
        "breakeven_power_usd_kwh": 0.11328,
        "cost_per_btc_usd": 42035.7,
        "mom_change_pct": -10.94,
    }
    return base | kw


# -- number formats --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12.3e9, "$12.3 billion"),
        (-5.26e9, "-$5.3 billion"),
        (412.66e6, "$412.7 million"),
        (84243.78, "$84,244"),
        (54.3721, "$54.37"),
        (None, "n/a"),
        (float("nan"), "n/a"),
    ],
)
def test_usd_rounds_like_a_note(value, text):
    assert fmt.usd(value) == text


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        (3.76, "rose 3.8%"),
        (-17.62, "fell 17.6%"),
        (0.3, "was flat (+0.3%)"),
        (-0.49, "fell 0.5%"),
        (0.449, "was flat (+0.4%)"),
        (0.0, "was flat (0.0%)"),
        (-0.5, "fell 0.5%"),
        (None, None),
    ],
)
def test_change_phrase_from_sign_and_size(value, phrase):
    assert fmt.change_phrase(value) == phrase


def test_labels():
    assert fmt.month_label("2025-02") == "February 2025"
    assert fmt.relative_month_label("2025-01", "2025-02") == "January"
    assert fmt.relative_month_label("2024-12", "2025-01") == "December 2024"
    assert fmt.day_label(date(2025, 2, 28), "2025-02") == "28 February"
    assert fmt.day_label("2024-12-17", "2025-02") == "17 December 2024"
    assert fmt.difficulty(111.66e12) == "111.7 T"
    assert fmt.difficulty(7.46e12) == "7.5 T"
    assert fmt.difficulty(181_543.0) == "181.5 k"
    assert fmt.difficulty(1.0) == "1.0"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (810.2, "810 EH/s"),
        (1081.4, "1,081 EH/s"),
        (56.04, "56 EH/s"),
        (5.64, "5.6 EH/s"),
        (0.12, "120 PH/s"),
        (0.01, "10 PH/s"),
        (0.0, "under 0.01 EH/s"),
        (None, "n/a"),
    ],
)
def test_hashrate_scales_its_unit(value, text):
    assert fmt.ehs(value) == text


# -- network -------------------------------------------------------------------------------------


def test_hashprice_falls():
    assert sn.hashprice_sentence(hp()) == (
        "Miners earned $54,372 per EH/s per day on average in block rewards in February 2025, down 6.4% from January."
    )


def test_hashprice_rises_across_a_year_end():
    s = sn.hashprice_sentence(hp(month="2025-01", mom_change_pct=12.04))
    assert s.endswith("in January 2025, up 12.0% from December 2024.")


def test_hashprice_flat_and_missing_previous():
    assert sn.hashprice_sentence(hp(mom_change_pct=0.2)).endswith("in February 2025, flat (+0.2%) from January.")
    assert sn.hashprice_sentence(hp(mom_change_pct=None)) == (
        "Miners earned $54,372 per EH/s per day on average in block rewards in February 2025."
    )


def test_network_sentences_partial_month_and_fee_share():
    out = sn.network_sentences(
        hp(days=29, days_in_month=31, month="2025-12", mom_change_pct=None, hashrate_mom_change_pct=None),
        {"fee_share_pct": 0.71, "btc_per_ehs_day": 0.58089204, "difficulty_mean": 108.9e12},
    )
    assert out == [
        "Miners earned $54,372 per EH/s per day on average in block rewards in December 2025 (29 of 31 days).",
        # 0.57094245 / 0.58089204 - 1 = -1.71%; 111.7 / 108.9 - 1 = +2.57%
        "In BTC terms that is 0.5709 BTC per EH/s per day (down 1.7%), or $54.37 per PH/s per day.",
        "Network hashrate averaged 810 EH/s, at a mean difficulty of 111.7 T (up 2.6%).",
        "Transaction fees made up 1.3% of block rewards, against 0.7% in November.",
        "The store covers 29 of 31 days of December 2025, so these are means over those days.",
    ]


# -- BTC ---------------------------------------------------------------------------------------------


def btc(**kw):
    base = {
        "month": "2025-02",
        "open_usd": 102263.04,
        "close_usd": 84243.78,
        "change_pct": -17.62,
        "change_30d_pct": -18.93,
        "low_usd": 78258.52,
        "low_date": date(2025, 2, 28),
        "high_usd": 102783.71,
        "high_date": date(2025, 2, 1),
        "ath_close_usd": 106115.91,
        "ath_close_date": date(2024, 12, 17),
        "drawdown_from_ath_pct": -20.61,
        "close_date": date(2025, 2, 28),
        "low_high_basis": "intraday",
    }
    return base | kw


def test_btc_sentences_fall():
    assert sn.btc_sentences(btc()) == [
        "BTC fell 17.6% in February 2025 to close at $84,244, from $102,263 at the end of January.",
        "Over the 30 days to 28 February it fell 18.9%.",
        "The intramonth low was $78,259 on 28 February and the high $102,784 on 1 February (intraday).",
        "At month end BTC was 20.6% below its all-time closing high of $106,116 (17 December 2024).",
    ]


def test_btc_at_a_new_high_and_missing_changes():
    out = sn.btc_sentences(
        btc(
            change_pct=None,
            change_30d_pct=None,
            drawdown_from_ath_pct=0.0,
            ath_close_usd=84243.78,
            ath_close_date=date(2025, 2, 28),
            low_high_basis="close",
        )
    )
    assert out == [
        "BTC closed February 2025 at $84,244.",
        "The intramonth low was $78,259 on 28 February and the high $102,784 on 1 February (daily close).",
        "BTC ended the month at its all-time closing high of $84,244 (28 February).",
    ]


# -- equities ------------------------------------------------------------------------------------------


def test_basket_falls():
    assert sn.basket_sentence(basket()) == (
        "The 12 tracked miners' aggregate market cap fell 30.1% ($12.3 billion) in February 2025."
    )


def test_basket_rises_flat_missing():
    assert sn.basket_sentence(basket(change_pct=8.44, change_usd=3.45e9)) == (
        "The 12 tracked miners' aggregate market cap rose 8.4% ($3.5 billion) in February 2025."
    )
    assert sn.basket_sentence(basket(change_pct=-0.1, change_usd=-0.04e9)) == (
        "The 12 tracked miners' aggregate market cap was flat (-0.1%) in February 2025."
    )
    assert sn.basket_sentence(basket(change_pct=None, change_usd=None)) == (
        "The 12 tracked miners' aggregate market cap was $28.6 billion at the end of February 2025."
    )


def test_equities_sentences():
    assert sn.equities_sentences(basket()) == [
        "The 12 tracked miners' aggregate market cap fell 30.1% ($12.3 billion) in February 2025.",
        "The best performer was IREN, whose shares rose 5.2%; the worst was ARBK, whose shares fell 45.0%.",
        "By cohort, pure-play miners fell 32.0% (to $20.4 billion), while AI/HPC miners fell 24.8% (to $8.2 billion).",
        "Shares of 5 of the 12 miners beat BTC, which fell 17.6% in the month.",
        "Not in the aggregate: SDIG (no prices after 2025-01-31).",
    ]


def test_best_worst_as_tickers_and_beat_counts():
    members = [{"ticker": "IREN", "change_pct": 7.0, "price_change_pct": 5.2}, {"ticker": "ARBK", "change_pct": -45.0}]
    out = sn.equities_sentences(
        basket(best="IREN", worst="ARBK", members=members, beat_btc_count=0, cohorts={}, missing=[])
    )
    assert out[1] == "The best performer was IREN, whose shares rose 5.2%; the worst was ARBK, whose shares fell 45.0%."
    assert out[2] == "None of the 12 miners' shares beat BTC, which fell 17.6% in the month."
    assert (
        sn.beat_btc_sentence(basket(beat_btc_count=12))
        == "All 12 miners' shares beat BTC, which fell 17.6% in the month."
    )
    assert sn.beat_btc_sentence(basket(btc_change_pct=None)) is None


# -- economics and missing sections ------------------------------------------------------------------


def test_cohort_labels():
    assert sn.cohort_label("AI/HPC-exposed") == "AI/HPC-exposed miners"
    assert sn.cohort_label("pure-play") == "pure-play miners"
    assert sn.cohort_label("ai_hpc") == "AI/HPC miners"
    assert sn.cohort_label("hosting miners") == "hosting miners"


def test_economics_profit_and_loss():
    assert sn.economics_sentences(econ()) == [
        "For a fleet at 20 J/TH paying $0.050 per kWh (the default assumption), power cost $24,000 per EH/s per "
        "day against revenue of $54,372.",
        "That is a gross profit of $30,372 per EH/s per day (down 10.9% from January), a gross margin of 55.9%.",
        "The breakeven power price was $0.113 per kWh.",
        # The fleet's price, not the breakeven one: 24,000 / 0.57094245 BTC = $42,036 per BTC.
        "At $0.050 per kWh the power cost of mining one BTC was $42,036.",
    ]
    loss = sn.economics_sentences(
        econ(
            power_usd_kwh=0.12,
            cost_usd_per_ehs_day=57600.0,
            gross_profit_usd_per_ehs_day=-3227.95,
            gross_margin_pct=-5.94,
            mom_change_pct=None,
        ),
        default_assumption=False,
    )
    assert loss[0].endswith(
        "(the assumption chosen for this note), power cost $57,600 per EH/s per day against revenue of $54,372."
    )
    assert loss[1] == "That is a gross loss of $3,228 per EH/s per day, a gross margin of -5.9%."
    assert sn.economics_headline(econ()) == (
        "A 20 J/TH fleet at $0.050 per kWh made a gross profit of $30,372 per EH/s per day (55.9% margin)."
    )


def test_missing_sections_say_so_in_one_sentence():
    assert sn.missing_sentence("equities", "2025-02", "no equity prices in 2025-02.") == (
        "No miner equity data for February 2025: no equity prices in 2025-02."
    )
    out = sn.summary_sentences("2025-02", hp(), btc(), None, None, {"equities": "no equity prices", "economics": None})
    assert out == [
        sn.hashprice_sentence(hp()),
        sn.hashrate_sentence(hp()),
        sn.btc_change_sentence(btc()),
        "No miner equity data for February 2025: no equity prices.",
        "No mining economics data for February 2025.",
    ]


def test_summary_has_four_to_six_sentences():
    full = sn.summary_sentences("2025-02", hp(), btc(), basket(), econ())
    assert len(full) == 6
    assert full[3] == sn.basket_sentence(basket())
    assert full[5] == sn.economics_headline(econ())


# -- second pass: halving, partial months, BTC over the basket's dates, signed contributions -----------


HALVING = {
    "date": date(2024, 4, 20),
    "height": 840000,
    "subsidy_before_btc": 6.25,
    "subsidy_after_btc": 3.125,
    "days_before": 19,
    "days_after": 10,
    "usd_per_ehs_day_before": 107159.4,
    "usd_per_ehs_day_after": 63093.1,
}


def test_halving_month_names_the_halving():
    h = hp(month="2024-04", usd_per_ehs_day=95148.0, mom_change_pct=-12.47)
    assert sn.hashprice_sentence(h, HALVING) == (
        "Miners earned $95,148 per EH/s per day on average in block rewards in April 2024, down 12.5% from March, "
        "with the block subsidy halving to 3.125 BTC at block 840,000 on 20 April."
    )
    out = sn.network_sentences(h, None, HALVING)
    # 63,093.1 / 107,159.4 - 1 = -41.12%
    assert out[1] == (
        "The block subsidy halved from 6.25 BTC to 3.125 BTC per block at block 840,000 on 20 April: hashprice "
        "averaged $107,159 per EH/s per day over the 19 days before that day and $63,093 over the 10 days after it "
        "(down 41.1%)."
    )
    assert sn.halving_sentence(None, "2024-04") is None
    assert len(sn.network_sentences(h, None, None)) == len(out) - 1


@pytest.mark.parametrize(
    ("subsidy", "blocks", "era"),
    [
        (7400.0, 148, (0, False)),  # 50 BTC a block
        (7000.0, 172, (0, True)),  # 28 Nov 2012: 40.70 a block, mixing 50 and 25
        (931.25, 151, (3, False)),  # 19 Apr 2024: 6.167 a block, 1.3% off 6.25 (block count glitch), not mixed
        (406.25, 130, (4, False)),  # 3.125 a block
        (None, 130, None),
        (406.25, 0, None),
    ],
)
def test_subsidy_era_of_a_day(subsidy, blocks, era):
    from minerwatch.report.facts import subsidy_era

    assert subsidy_era(subsidy, blocks) == era


def test_subsidy_halving_from_daily_rows():
    from minerwatch.report.facts import subsidy_halving

    days = [date(2024, 4, d) for d in (18, 19, 20, 21, 22)]
    subsidy, blocks = [906.25, 931.25, 406.25, 437.5, 475.0], [145, 151, 130, 140, 152]
    out = subsidy_halving(days, subsidy, blocks, [100.0, 110.0, 180.0, 80.0, 60.0])
    # 20 April is the first day of the later era; it is in neither mean: (100 + 110) / 2, (80 + 60) / 2.
    assert out == {
        "date": date(2024, 4, 20),
        "height": 840000,
        "subsidy_before_btc": 6.25,
        "subsidy_after_btc": 3.125,
        "days_before": 2,
        "days_after": 2,
        "usd_per_ehs_day_before": 105.0,
        "usd_per_ehs_day_after": 70.0,
    }
    # A day mixing the eras is the halving day (9 July 2016: 20.55 BTC a block, between 25 and 12.5).
    mixed = subsidy_halving(
        [date(2016, 7, d) for d in (8, 9, 10)], [3650.0, 3062.5, 1950.0], [146, 149, 156], [1.0, 2.0, 3.0]
    )
    assert mixed is not None and (mixed["date"], mixed["height"], mixed["subsidy_after_btc"]) == (
        date(2016, 7, 9),
        420000,
        12.5,
    )
    assert subsidy_halving(days[2:], subsidy[2:], blocks[2:], [180.0, 80.0, 60.0]) is None
    assert subsidy_halving([], [], [], []) is None


def test_btc_partial_month_says_through_which_day():
    b = btc(month="2025-12", close_date=date(2025, 12, 29), open_usd=90608.0, close_usd=87134.0, change_pct=-3.83)
    out = sn.btc_sentences(b)
    assert (
        out[0] == "BTC fell 3.8% in December 2025 through 29 December, to $87,134, from $90,608 at the end of November."
    )
    assert out[-1].startswith("On 29 December BTC was 20.6% below its all-time closing high")
    assert sn.btc_partial(b) and not sn.btc_partial(btc())


def test_beat_btc_names_the_basket_dates_when_they_are_not_the_month_ends():
    """April 2024: the equities' start is 28 March (29 March was Good Friday), BTC's month starts 31 March."""
    k = basket(
        month="2024-04",
        beat_btc_count=0,
        btc_change_pct=-14.41,
        start_date=date(2024, 3, 28),
        end_date=date(2024, 4, 30),
    )
    b = btc(month="2024-04", open_date=date(2024, 3, 31), close_date=date(2024, 4, 30))
    assert sn.beat_btc_sentence(k, b) == (
        "None of the 12 miners' shares beat BTC, which fell 14.4% between 28 March 2024 and 30 April."
    )
    same = btc(month="2024-04", open_date=date(2024, 3, 28), close_date=date(2024, 4, 30))
    assert sn.beat_btc_sentence(k, same).endswith("which fell 14.4% in the month.")


def test_no_btc_comparison_is_said_in_one_sentence():
    k = basket(
        month="2025-12",
        beat_btc_count=None,
        btc_change_pct=None,
        start_date=date(2025, 11, 28),
        end_date=date(2025, 12, 31),
    )
    b = btc(month="2025-12", close_date=date(2025, 12, 29))
    out = sn.equities_sentences(k, b)
    assert (
        "Shares are not compared with BTC: the store's BTC closes end on 29 December, before the equities' "
        "last close on 31 December." in out
    )
    assert not any("beat BTC" in s for s in out)
    assert sn.no_btc_comparison_sentence(basket(), b) is None
    assert sn.no_btc_comparison_sentence(k, btc(month="2025-12", close_date=date(2025, 12, 31))) == (
        "Shares are not compared with BTC: the store lacks a BTC close on 28 November 2025 or 31 December."
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [(99.2e6, "+$99.2 million"), (-1.1e9, "-$1.1 billion"), (465162.0, "+$465,162"), (0.0, "$0"), (None, "n/a")],
)
def test_signed_usd_for_contributions(value, text):
    assert fmt.signed_usd(value) == text


@pytest.mark.parametrize(("value", "text"), [(-0.06, "-0.1 pp"), (11.68, "+11.7 pp"), (0.01, "0.0 pp"), (None, "n/a")])
def test_percentage_point_changes(value, text):
    assert fmt.pct_points(value) == text


@pytest.mark.parametrize(("value", "text"), [(20.0, "20"), (17.5, "17.5"), (26.04, "26"), (None, "n/a")])
def test_efficiency_reads_like_a_spec_sheet(value, text):
    assert fmt.efficiency(value) == text


def test_basket_caveats_name_old_share_counts_and_unverified_closes():
    k = basket(
        end_date=date(2025, 2, 28),
        stale_shares=[
            {"ticker": "BTDR", "shares_as_of": date(2024, 4, 8), "age_days": 326, "shares_source": "nasdaq_screener"},
            {"ticker": "IREN", "shares_as_of": date(2024, 8, 30), "age_days": 182, "shares_source": "nasdaq_screener"},
        ],
        unverified_closes=[{"ticker": "CANG", "date": date(2025, 2, 28), "price_source": "nasdaq_screener_unverified"}],
    )
    assert sn.basket_caveats(k, 120) == [
        "Share counts more than 120 days old on 28 February, so market caps may miss issuance since: "
        "BTDR (326 days) and IREN (182 days).",
        "Closes from screener snapshots whose trading date is unverified: CANG (28 February).",
    ]
    assert sn.equities_sentences(k, None, 120)[-2:] == sn.basket_caveats(k, 120)
    assert sn.basket_caveats(basket()) == []
