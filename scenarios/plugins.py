"""Third-party plugins: Python entry points, one group per kind of plugin.

A package adds a plugin without editing jungle by declaring, in its own ``pyproject.toml``::

    [project.entry-points."jungle.attacks"]
    mirror = "my_package.attacks:Mirror"

The entry point's name is the plugin's name; its object is what the registry holds (an attack or
schedule class, a rule function, a pre-aggregation wrapper, a protocol adapter class, an input
construction, a workload factory, or a subcommand's ``register(subparsers)``). The groups:

=========================== =========================================== ============================
group                       registry                                    object
=========================== =========================================== ============================
``jungle.rules``            :data:`agreement.rules.RULES`               ``rule(X, f, own) -> vector``
``jungle.pre_aggregations`` :data:`agreement.rules.PRE_AGGREGATIONS`    ``wrap(rule) -> rule``
``jungle.schedules``        :data:`net.schedules.SCHEDULES`             a ``Schedule`` subclass
``jungle.attacks``          :data:`nodes.attacks.ATTACKS`               an ``Attack`` subclass
``jungle.broadcast_attacks`` :data:`nodes.attacks.BROADCAST_ATTACKS`    a ``BroadcastAttack`` subclass
``jungle.protocols``        :data:`scenarios.run.protocols.PROTOCOLS`   a ``Protocol`` subclass
``jungle.inputs``           :data:`scenarios.spec.inputs.CONSTRUCTIONS` ``f(n, f, q, d, scenario, rng)``
``jungle.workloads``        :data:`scenarios.run.workloads.WORKLOADS`   ``WorkloadPlugin`` or ``make(scenario, rng)``
``jungle.commands``         :data:`scenarios.cli.main.COMMANDS`         ``register(subparsers)``
=========================== =========================================== ============================

An attack or a schedule declares the parameters it reads as a nested ``Params`` pydantic model
(:class:`net.params.PluginParams`); the scenario schema then accepts, types and checks them in
``[adversary]`` (attacks) or ``[adversary.schedule_params]`` (schedules), and ``jungle schema`` lists
them.

Importing ``scenarios`` installs :func:`load_group` as the registries' loader: each registry reads
its group once, on its first lookup. A plugin may not take a name jungle already has, and a plugin
that fails to import is reported in one line (the CLI exits with status 2).
"""
from __future__ import annotations

from importlib.metadata import entry_points

from agreement.registry import Registry
from scenarios.errors import ScenarioError


def load_group(registry: Registry) -> None:
    """Register every entry point of ``registry.group`` in ``registry``."""
    for ep in sorted(entry_points(group=registry.group), key=lambda e: e.name):
        where = f"{registry.group} entry point {ep.name!r} = {ep.value!r}"
        if ep.name in registry._items:
            raise ScenarioError(f"{where}: jungle already has a {registry.kind} called {ep.name!r}; rename the plugin")
        try:
            obj = ep.load()
        except Exception as exc:  # a broken third-party package: one line, not a traceback
            raise ScenarioError(f"{where} failed to load: {type(exc).__name__}: {exc}") from None
        if isinstance(obj, type) and "name" not in vars(obj):
            obj.name = ep.name  # attacks and schedules report their name (e.g. Schedule.describe)
        registry.register(ep.name, obj)


Registry.set_loader(load_group)
