"""evalkit.style: the look shared by the figures a stage puts into its bundle and the figures a
report draws: the seaborn theme (:mod:`evalkit.style.theme`) and the CJK fonts it needs
(:mod:`evalkit.style.fonts`). Below both stages and report (see ARCHITECTURE.md)."""
