"""Running a resolved scenario: the simulation (network, nodes, adversary), the agreement and LEARN
runners, protocol adapters, recorders, checks and the result."""
