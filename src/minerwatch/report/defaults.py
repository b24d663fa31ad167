"""The note's defaults, importable without the data stack (the CLI's --help reads them)."""

from __future__ import annotations

#: The default fleet of the Economics section: about 20 J/TH, a 2025 mix of S21- and S19 XP-class machines.
DEFAULT_EFFICIENCY_JTH = 20.0
#: The default all-in power price of the Economics section, USD per kWh.
DEFAULT_POWER_USD_KWH = 0.05
#: Charts look back this many months (the report month included).
CHART_WINDOW_MONTHS = 13
