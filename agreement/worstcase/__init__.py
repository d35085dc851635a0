"""The exact worst-case contraction of ONE iteration of an "iterate a rule" algorithm (issue 13).

In d = 1 (which bounds every coordinate of a coordinate-wise rule): over every honest input family
of spread 1, every choice of the q senders each honest node gathers (its own value among them when
``include_self``) and every Byzantine value per recipient (equivocation allowed), the largest ratio of
the honest spread after one iteration to the spread before. Pure mathematics, no I/O:

- :mod:`~agreement.worstcase.model`: a configuration (inputs, delivery orders, Byzantine values) and
  its factor under the real rule;
- :mod:`~agreement.worstcase.orderstat`: exact finite search for CwTM, median, trimmed middle (proof);
- :mod:`~agreement.worstcase.milp`: a MILP (HiGHS through scipy) for MDA and CVA;
- :mod:`~agreement.worstcase.lemma`: the paper's per-iteration factor, or why it does not apply;
- :mod:`~agreement.worstcase.solve`: :func:`worst_case` and :func:`one_step_factor`.
"""
from __future__ import annotations

from agreement.worstcase.lemma import LemmaFactor, lemma_factor
from agreement.worstcase.model import Configuration, factor, outputs
from agreement.worstcase.solve import SUPPORTED, WorstCase, default_q, one_step_factor, rule_of, worst_case

__all__ = ["Configuration", "LemmaFactor", "SUPPORTED", "WorstCase", "default_q", "factor", "lemma_factor",
           "one_step_factor", "outputs", "rule_of", "worst_case"]
