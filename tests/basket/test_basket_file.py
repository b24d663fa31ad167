"""Basket TOML: the packaged default basket and clear errors for bad files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from minerwatch import basket_file
from minerwatch.errors import InputError

GOOD = """\
[[member]]
ticker = "MARA"
from = 2024-01-01
cohorts = [{ cohort = "pure-play", from = 2024-01-01 }]
"""


def test_default_basket_is_the_dated_14_plus_cang() -> None:
    b = basket_file.load()
    tickers = b.tickers()
    assert tickers[:13] == [
        "MARA",
        "RIOT",
        "CLSK",
        "CORZ",
        "IREN",
        "CIFR",
        "WULF",
        "HUT",
        "BITF",
        "BTDR",
        "GREE",
        "ARBK",
        "SDIG",
    ]
    assert tickers[13:] == ["BTBT", "CANG"]
    by = {m.ticker: m for m in b.members}
    on = date(2025, 2, 28)
    assert sum(m.is_member(on) for m in b.members) == 14
    assert by["SDIG"].end == date(2025, 3, 13) and not by["SDIG"].is_member(date(2025, 3, 31))
    assert by["CANG"].start.year == 2025 and not by["CANG"].is_member(on)
    assert by["CORZ"].cohort_on(date(2024, 3, 1)) == "pure-play"
    assert by["CORZ"].cohort_on(on) == "AI/HPC-exposed"
    assert by["ARBK"].shares_sources == ("nasdaq_screener",)
    assert by["MARA"].cik == "0001507605"
    assert {m.ticker for m in b.members if not m.cik} == {"ARBK", "CANG"}
    assert (by["IREN"].cik, by["BTDR"].cik, by["SDIG"].cik) == ("0001878848", "0001899123", "0001856028")
    text = (Path(basket_file.__file__).parent / "data" / "basket.toml").read_text()
    assert "BTBT (Bit Digital) is used" in text  # the 14th name is a stand-in, and the file says so


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "b.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty; add [[member]] tables"),
        ("   \n# only a comment\n", "has no [[member]] entries"),
        ('name = "x"\n', "has no [[member]] entries"),
        (
            "[[member]\nticker = 1",
            "is not valid TOML (Expected ']]' at the end of an array declaration (at line 1, column 9))",
        ),
        (
            GOOD.replace('"MARA"', '"mara"'),
            "line 2 (member mara): `ticker` must be an upper-case symbol like \"MARA\", got 'mara'",
        ),
        (
            GOOD.replace('ticker = "MARA"', "ticker = 7"),
            'member #1: `ticker` must be an upper-case symbol like "MARA", got 7',
        ),
        (GOOD.replace("from = 2024-01-01\ncohorts", "cohorts"), "line 2 (member MARA): missing `from`"),
        (
            GOOD.replace("from = 2024-01-01\n", 'from = "Jan 2024"\n'),
            "line 2 (member MARA): `from` must be a date like 2025-03-13, got 'Jan 2024'",
        ),
        (GOOD + "to = 2023-01-01\n", "`to` 2023-01-01 is before `from` 2024-01-01"),
        (GOOD.replace("pure-play", "bitcoin"), "cohort must be one of pure-play, AI/HPC-exposed; got 'bitcoin'"),
        (GOOD.replace('cohorts = [{ cohort = "pure-play", from = 2024-01-01 }]\n', ""), "missing `cohorts`"),
        (GOOD + GOOD, "ticker MARA appears twice"),
        (GOOD + "weight = 2\n", "unknown field(s) weight"),
        (GOOD.replace("from = 2024-01-01 }", "from = 2024-06-01 }"), "the first cohort starts 2024-06-01, after"),
        (
            GOOD.replace("from = 2024-01-01\ncohorts", "from = 2024-01-01T10:00:00\ncohorts"),
            "`from` must be a date like 2025-03-13, got datetime.datetime(2024, 1, 1, 10, 0)",
        ),
        (
            GOOD.replace("from = 2024-01-01 }", "from = 2024-01-01T00:00:00Z }"),
            "`cohorts.from` must be a date like 2025-03-13, got datetime.datetime(2024, 1, 1, 0, 0, tzinfo=",
        ),
        (GOOD + "shares_sources = []\n", "`shares_sources` is empty; list at least one source id"),
        (GOOD + 'cik = "1507605"\n', '`cik` must be 10 digits like "0001507605" (or ""), got \'1507605\''),
    ],
)
def test_bad_basket_files(tmp_path: Path, text: str, message: str) -> None:
    p = _write(tmp_path, text)
    with pytest.raises(InputError) as exc:
        basket_file.load(p, known_tickers=["MARA"])
    assert str(exc.value).startswith(f"basket file {p}")
    assert message in str(exc.value)


def test_unknown_ticker_names_file_line_and_fix(tmp_path: Path) -> None:
    p = _write(tmp_path, GOOD + GOOD.replace("MARA", "ZZZZ"))
    with pytest.raises(InputError) as exc:
        basket_file.load(p, known_tickers=["MARA", "RIOT"])
    assert str(exc.value) == (
        f"basket file {p} line 6 (member ZZZZ): unknown ticker 'ZZZZ' (the store has no prices for it); "
        "use one of MARA, RIOT or load its prices first"
    )


def test_unreadable_paths(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist; check the path given to --basket"):
        basket_file.load(tmp_path / "nope.toml")
    with pytest.raises(InputError, match="is a directory; pass a .toml file to --basket"):
        basket_file.load(tmp_path)
    p = tmp_path / "latin1.toml"
    p.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(InputError, match="cannot be read"):
        basket_file.load(p)
