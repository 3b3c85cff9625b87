"""The synthetic Xuhui-like district with known truth (see ``data/SYNTH.md``).

>>> from evalkit.synth import synthesize_district, write_district   # doctest: +SKIP
>>> d = synthesize_district(n_firms=20000, start=2016, end=2025, seed=7)   # doctest: +SKIP
>>> write_district(d, "out/", dirty=False, seed=7)   # doctest: +SKIP
"""

from evalkit.synth.district import District, synthesize_district
from evalkit.synth.stats import district_statistics
from evalkit.synth.write import write_district

__all__ = ["District", "district_statistics", "synthesize_district", "write_district"]
