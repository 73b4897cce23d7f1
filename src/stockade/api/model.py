"""botocore's EC2 service model: the single source of truth for the wire format.

Parsing requests and serialising responses are both driven by the very JSON that drives
boto3, so stockade cannot drift from what clients send and expect. The model is ~5 MB of
JSON; it is loaded once, lazily, on first use (importing :mod:`stockade.api` stays cheap).
"""

from __future__ import annotations

import re
import threading
from functools import cache

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, StructureShape

from stockade.domain.errors import AwsError

#: The API version boto3 sends (``Version=2016-11-15``).
API_VERSION = "2016-11-15"
#: Namespace of success documents. The model's ``xmlNamespace`` has no trailing slash;
#: AWS's responses have one, so we follow AWS.
EC2_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"

_lock = threading.Lock()
_model: ServiceModel | None = None


def service_model() -> ServiceModel:
    """The EC2 :class:`ServiceModel`, loaded on first call (thread-safe)."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                data = Loader().load_service_model("ec2", "service-2")
                _model = ServiceModel(data, service_name="ec2")
    return _model


@cache
def operation_names() -> frozenset[str]:
    """Every EC2 action name the model knows (e.g. ``DescribeSecurityGroups``)."""
    return frozenset(service_model().operation_names)


def operation_model(action: str) -> OperationModel:
    """The model of one action; an unknown name is the client's ``InvalidAction``."""
    if not isinstance(action, str) or action not in operation_names():
        shown = str(action)[:200]
        raise AwsError("InvalidAction", f"The action {shown} is not valid for this web service.")
    return service_model().operation_model(action)


def input_shape(action: str) -> StructureShape | None:
    """The request shape of ``action`` (``None`` for actions without parameters)."""
    return operation_model(action).input_shape


def output_shape(action: str) -> StructureShape | None:
    """The response shape of ``action`` (``None`` for actions that answer only ``return``)."""
    return operation_model(action).output_shape


# --- filter names, read from the model's documentation ---------------------------------------

# The model lists each action's filters only in the HTML documentation of its ``Filters``
# member: ``<li> <p> <code>group-id</code> - The ID ...``. ``tag:<key>`` appears as
# ``<code>tag</code>:&lt;key&gt;``, ``<code>tag:&lt;key&gt;</code>`` or plain ``<code>tag</code>``
# depending on the action. Reading them from there keeps "every filter the model
# lists" true as botocore is upgraded.
_FILTER_ITEM = re.compile(r"<li>\s*<p>\s*<code>([A-Za-z0-9:._-]+)(?:&lt;key&gt;)?</code>")
# A few actions (DescribeNetworkInsightsPaths, -Analyses) write the names as plain text:
# ``<li> <p>filter-at-source.source-address - The …``.
_PLAIN_FILTER_ITEM = re.compile(r"<li>\s*<p>\s*([a-z][a-z0-9.:-]*) - ")


@cache
def model_filter_names(action: str) -> frozenset[str]:
    """Filter names the model documents for ``action``; ``tag:<key>`` is listed as ``tag:``.

    Empty for actions without a ``Filters`` member (DescribeFlowLogs calls it ``Filter``).
    """
    shape = input_shape(action)
    member = next((m for m in ("Filters", "Filter") if shape and m in shape.members), None)
    if shape is None or member is None:
        return frozenset()
    doc = shape.members[member].documentation or ""
    names: set[str] = set()
    for name in _FILTER_ITEM.findall(doc) + _PLAIN_FILTER_ITEM.findall(doc):
        names.add("tag:" if name in ("tag", "tag:") else name)
    return frozenset(names)
