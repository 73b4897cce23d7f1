"""Machine images: stockade keeps none, so it answers from a small deterministic catalogue.

An instance here is a network namespace; its image id is only a label. Terraform still calls
``DescribeImages`` before a launch with block devices and its ``aws_ami`` data source looks
images up by owner and name pattern; Prowler lists the account's own images. So:

- a few **stand-in public images** under their publishers' real owner ids and name patterns
  (Amazon Linux 2023 and 2, Ubuntu 22.04 and 24.04, Debian 12; x86_64 and arm64), with ids
  derived from their names, so ``data "aws_ami" { owners = ["amazon"] ... }`` resolves;
- **any other well-formed ``ami-`` id** named in ``ImageIds`` (or launched by the caller) is
  described as a private image of the caller's account: RunInstances accepts any image id,
  so DescribeImages must not fail on one a user is about to launch. Listing "self" images
  shows only the ones the caller launched.

Documented in docs/catalogue.md.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from stockade.domain import errors

_AMI = re.compile(r"^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})\Z")
#: Creation date of every stand-in image (a fixed instant: answers never change).
CREATION_DATE = "2024-01-15T00:00:00.000Z"
ROOT_DEVICE = "/dev/xvda"
ROOT_SIZE_GIB = 8


@dataclass(frozen=True)
class Image:
    image_id: str
    name: str
    owner_id: str
    owner_alias: str | None  # "amazon" for Amazon's images; None for other publishers
    public: bool
    architecture: str
    description: str
    root_device_name: str = ROOT_DEVICE

    @property
    def snapshot_id(self) -> str:
        """The root snapshot the image names (deterministic; not the caller's snapshot)."""
        return "snap-" + _digest("snapshot", self.image_id)

    @property
    def location(self) -> str:
        return f"{self.owner_alias or self.owner_id}/{self.name}"


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:17]


def _stand_in(name: str, owner: str, alias: str | None, arch: str, text: str) -> Image:
    return Image("ami-" + _digest("image", name), name, owner, alias, True, arch, text)


_AMAZON, _CANONICAL, _DEBIAN = "137112412989", "099720109477", "136693071363"
#: The stand-in public images, in a stable order.
PUBLIC_IMAGES: tuple[Image, ...] = tuple(
    _stand_in(name, owner, alias, arch, text)
    for arch, label in (("x86_64", "amd64"), ("arm64", "arm64"))
    for name, owner, alias, text in (
        (
            f"al2023-ami-2023.3.20240108.0-kernel-6.1-{arch}",
            _AMAZON,
            "amazon",
            "Amazon Linux 2023 AMI (stockade stand-in)",
        ),
        (
            f"amzn2-ami-kernel-5.10-hvm-2.0.20240109.0-{arch}-gp2",
            _AMAZON,
            "amazon",
            "Amazon Linux 2 Kernel 5.10 AMI (stockade stand-in)",
        ),
        (
            f"ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-{label}-server-20240111",
            _CANONICAL,
            None,
            "Canonical, Ubuntu, 22.04 LTS (stockade stand-in)",
        ),
        (
            f"ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-{label}-server-20240423",
            _CANONICAL,
            None,
            "Canonical, Ubuntu, 24.04 LTS (stockade stand-in)",
        ),
        (
            f"debian-12-{label}-20240102-1614",
            _DEBIAN,
            None,
            "Debian 12 (stockade stand-in)",
        ),
    )
)
_BY_ID = {image.image_id: image for image in PUBLIC_IMAGES}


def is_image_id(value: str) -> bool:
    return bool(_AMI.match(value))


def private_image(image_id: str, account: str) -> Image:
    """The stand-in for an image id stockade has no entry for: the caller's own image."""
    return Image(
        image_id,
        f"stockade-image-{image_id}",
        account,
        None,
        False,
        "x86_64",
        "An image stockade does not model (stand-in)",
    )


def image(image_id: str, account: str, launched: frozenset[str] = frozenset()) -> Image:
    """The image an id names: a stand-in, or any well-formed id (and any id the caller
    launched, well-formed or not) as the caller's own; else ``InvalidAMIID.Malformed``."""
    if image_id in _BY_ID:
        return _BY_ID[image_id]
    if is_image_id(image_id) or image_id in launched:
        return private_image(image_id, account)
    raise errors.error("InvalidAMIID.Malformed", f'Invalid id: "{image_id}" (expecting "ami-...")')


def listed_images(account: str, launched: frozenset[str]) -> list[Image]:
    """Every image a DescribeImages without ids considers: the stand-ins, then the caller's
    launched ones (sorted by id)."""
    own = [private_image(i, account) for i in sorted(launched) if i not in _BY_ID]
    return [*PUBLIC_IMAGES, *own]


def owned_by(img: Image, owners: list[str], account: str) -> bool:
    """The ``Owners`` parameter: account ids, ``self``, ``amazon``, ``aws-marketplace``."""
    for owner in owners:
        if owner == "self" and img.owner_id == account and not img.public:
            return True
        if owner == img.owner_id or (owner == "amazon" and img.owner_alias == "amazon"):
            return True
    return False
