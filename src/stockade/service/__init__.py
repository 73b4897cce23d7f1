"""Use cases: the only code that changes state.

Each public method of a service runs in one store transaction (all or nothing), applies
AWS's rules from ``domain/`` and returns domain objects. Services are grouped by resource
family: ``network`` (VPCs, subnets, gateways), ``groups`` (security groups and rules),
``prefix_lists``, ``instances`` (instances and network interfaces) and ``tags``.
"""
