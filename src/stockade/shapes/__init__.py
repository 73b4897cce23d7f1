"""Domain objects as EC2 shapes: the dicts boto3 returns (``GroupId``, ``IpPermissions``…).

One presentation shared by the API (which serializes these dicts with botocore's model)
and the CLI (whose ``--json`` prints them), so both show exactly what AWS would. The
inverse, shapes back into domain objects, is ``read_network``, ``read_groups`` and
``read_instances`` (one reader for ``import aws`` and the remote client; see ``fields``).
"""

from __future__ import annotations

from stockade.domain.tags import RawTags


def tag_list(tags: RawTags) -> list[dict[str, str]]:
    """``[{"Key": k, "Value": v}, …]``; a value left out (``None``) is the empty string, as in
    EC2."""
    return [{"Key": k, "Value": "" if v is None else v} for k, v in tags]
