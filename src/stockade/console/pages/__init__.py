"""One module per console page; each exports ``ROUTES`` (paths under ``/console``).

- :mod:`.topology`: the picture of each VPC (and ``/``, which opens it);
- :mod:`.resources`: groups, network ACLs and instances, their rule tables and rule edits;
- :mod:`.reach`: "can A reach B?", layer by layer, with the fix and a button to apply it;
- :mod:`.audit`: internet exposure and audit findings;
- :mod:`.live`: flow-log records as they arrive, and real probes (data plane on).
"""

from starlette.routing import BaseRoute

from stockade.console.pages import audit, live, reach, resources, topology

ROUTES: list[BaseRoute] = [
    *topology.ROUTES,
    *resources.ROUTES,
    *reach.ROUTES,
    *audit.ROUTES,
    *live.ROUTES,
]
