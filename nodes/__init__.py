"""trio tasks: the honest node driver, the adversary's Byzantine nodes, attacks."""
