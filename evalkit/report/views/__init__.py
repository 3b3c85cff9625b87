"""Turn the contents of a stage's results bundle into the sentences, tables and figures of its
report (``reports/ex_post.qmd``, ``portfolio.qmd``, ...).

Presentation only: every number shown here was computed by the stage and stored in the bundle;
nothing is estimated. Tables come back as markdown pipe tables (with the disclosure footnote below
them when a cell is suppressed); figures are drawn on a themed matplotlib Axes. Every label comes
from :mod:`evalkit.i18n` and every amount goes through :mod:`evalkit.numbers`.

Text from data or a study (policy ids and names, departments, cycles, KPI names, notes, review
comments, category values without a translation) enters markdown only through
:func:`evalkit.escape.markdown` (``md``) and figure labels only through
:func:`evalkit.escape.matplotlib`: it is shown as written and never read as markup.

Disclosure control (see :mod:`evalkit.disclosure` and
:mod:`evalkit.report.suppression`): every number shown is decided on the firms it rests on (their
number and the largest one's share, as the stage recorded them in the bundle) under the study's
rule; a hidden number reads ``—*`` (or its sentence says it is not published) and the report's
disclosure statement lists it.
"""
