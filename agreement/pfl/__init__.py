"""The three other seeds, as pure mathematics (numpy, no trio, no I/O):

* :mod:`agreement.pfl.regularizers`, :mod:`agreement.pfl.cga`, :mod:`agreement.pfl.poisoning`,
  :mod:`agreement.pfl.softmax`:
  personalised federated learning and the counter-gradient attack (Farhadkhani, Guerraoui, Hoang,
  Villemaud, "An Equivalence Between Data Poisoning and Byzantine Gradient Attacks", ICML 2022);
* :mod:`agreement.pfl.licchavi`, :mod:`agreement.pfl.piecewise`, :mod:`agreement.pfl.theorem10`:
  LICCHAVI (Farhadkhani, Guerraoui, Hoang, "Strategyproof learning: building trustworthy
  user-generated datasets");
* :mod:`agreement.pfl.gmm`, :mod:`agreement.pfl.gmm_estimator`, :mod:`agreement.pfl.gmm_attacks`: robust personalised mean estimation
  for a Gaussian mixture (Managoli, Prabhakaran, Diggavi).

Each docstring cites the equation or theorem it implements and states the paper's erratum where one
applies.
"""
