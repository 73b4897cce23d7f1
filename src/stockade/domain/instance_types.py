"""The instance types stockade knows: a small, deterministic stand-in for EC2's catalogue.

Stockade runs every instance as a network namespace, so a type changes nothing but what
the API reports. Clients still need the facts: Terraform reads ``DescribeInstanceTypes``
for every instance (an unknown type fails its read) and asks for CPU credits only when
the type is burstable; the aws cli and Ansible validate user input against it. So the
types users actually write are here, with AWS's published vCPU and memory figures for the
sizes of each family, and RunInstances refuses any other name as AWS refuses a type that
does not exist (documented in docs/catalogue.md).

Families: burstable ``t2``, ``t3``, ``t3a``, ``t4g`` (nano..2xlarge); general purpose
``m5``, ``m6i``, ``m6g``, ``m7i``, ``m7g``; compute ``c5``, ``c6i``, ``c6g``, ``c7g``;
memory ``r5``, ``r6i``, ``r6g`` (large..24xlarge; c5 has 9xlarge/18xlarge instead of
8xlarge/16xlarge); and ``m1.small``, EC2's default when RunInstances names no type.
Network figures (interfaces, addresses per interface, bandwidth text) follow each family's
published table for the small sizes and its ratio for the larger ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from stockade.domain import errors

#: RunInstances' type when the request names none (EC2's documented default).
DEFAULT_INSTANCE_TYPE = "m1.small"


@dataclass(frozen=True)
class InstanceType:
    """One type's facts, as ``DescribeInstanceTypes`` reports them."""

    name: str
    vcpus: int
    memory_mib: int
    architecture: str  # x86_64 | arm64
    hypervisor: str  # nitro | xen
    burstable: bool
    default_credits: str | None  # standard | unlimited (burstable types only)
    current_generation: bool
    max_interfaces: int
    ipv4_per_interface: int
    network_performance: str
    free_tier: bool = False

    @property
    def family(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def threads_per_core(self) -> int:
        """Graviton (arm64) cores run one thread; t2 has no SMT exposed; others two."""
        if self.architecture == "arm64" or self.family == "t2" or self.vcpus == 1:
            return 1
        return 2

    @property
    def cores(self) -> int:
        return self.vcpus // self.threads_per_core

    @property
    def ebs_optimized_by_default(self) -> bool:
        """Nitro types are EBS-optimized by default (t2 and m1 are not)."""
        return self.hypervisor == "nitro"


@dataclass(frozen=True)
class _Family:
    architecture: str
    hypervisor: str
    credits: str | None  # burstable families: their default credit option
    gib_per_vcpu: int  # memory per vCPU past the burstable sizes
    speed: str  # bandwidth text of the sizes up to 4xlarge


_BURSTABLE = {
    "t2": _Family("x86_64", "xen", "standard", 4, "Low to Moderate"),
    "t3": _Family("x86_64", "nitro", "unlimited", 4, "Up to 5 Gigabit"),
    "t3a": _Family("x86_64", "nitro", "unlimited", 4, "Up to 5 Gigabit"),
    "t4g": _Family("arm64", "nitro", "unlimited", 4, "Up to 5 Gigabit"),
}
#: size -> (vCPUs, memory MiB, interfaces, IPv4 addresses per interface) of t3/t3a/t4g.
_T_SIZES = {
    "nano": (2, 512, 2, 2),
    "micro": (2, 1024, 2, 2),
    "small": (2, 2048, 3, 4),
    "medium": (2, 4096, 3, 6),
    "large": (2, 8192, 3, 12),
    "xlarge": (4, 16384, 4, 15),
    "2xlarge": (8, 32768, 4, 15),
}
#: t2's smallest sizes have one vCPU.
_T2_VCPUS = {"nano": 1, "micro": 1, "small": 1}
_FIXED = {
    "m5": _Family("x86_64", "nitro", None, 4, "Up to 10 Gigabit"),
    "m6i": _Family("x86_64", "nitro", None, 4, "Up to 12.5 Gigabit"),
    "m6g": _Family("arm64", "nitro", None, 4, "Up to 10 Gigabit"),
    "m7i": _Family("x86_64", "nitro", None, 4, "Up to 12.5 Gigabit"),
    "m7g": _Family("arm64", "nitro", None, 4, "Up to 12.5 Gigabit"),
    "c5": _Family("x86_64", "nitro", None, 2, "Up to 10 Gigabit"),
    "c6i": _Family("x86_64", "nitro", None, 2, "Up to 12.5 Gigabit"),
    "c6g": _Family("arm64", "nitro", None, 2, "Up to 10 Gigabit"),
    "c7g": _Family("arm64", "nitro", None, 2, "Up to 12.5 Gigabit"),
    "r5": _Family("x86_64", "nitro", None, 8, "Up to 10 Gigabit"),
    "r6i": _Family("x86_64", "nitro", None, 8, "Up to 12.5 Gigabit"),
    "r6g": _Family("arm64", "nitro", None, 8, "Up to 10 Gigabit"),
}
#: size -> (vCPUs, interfaces, IPv4 per interface, bandwidth text past 4xlarge or None).
_SIZES = {
    "large": (2, 3, 10, None),
    "xlarge": (4, 4, 15, None),
    "2xlarge": (8, 4, 15, None),
    "4xlarge": (16, 8, 30, None),
    "8xlarge": (32, 8, 30, "12.5 Gigabit"),
    "12xlarge": (48, 8, 30, "18.75 Gigabit"),
    "16xlarge": (64, 15, 50, "25 Gigabit"),
    "24xlarge": (96, 15, 50, "37.5 Gigabit"),
}
_C5_SIZES = {"9xlarge": (36, 8, 30, "12 Gigabit"), "18xlarge": (72, 15, 50, "25 Gigabit")}


def _build() -> dict[str, InstanceType]:
    types: dict[str, InstanceType] = {}
    for family, f in _BURSTABLE.items():
        for size, (vcpus, memory, enis, ips) in _T_SIZES.items():
            name = f"{family}.{size}"
            vcpus = _T2_VCPUS.get(size, vcpus) if family == "t2" else vcpus
            types[name] = InstanceType(
                name=name,
                vcpus=vcpus,
                memory_mib=memory,
                architecture=f.architecture,
                hypervisor=f.hypervisor,
                burstable=True,
                default_credits=f.credits,
                current_generation=True,
                max_interfaces=enis,
                ipv4_per_interface=ips,
                network_performance=f.speed,
                free_tier=name in ("t2.micro", "t3.micro"),
            )
    for family, f in _FIXED.items():
        sizes = dict(_SIZES)
        if family == "c5":
            del sizes["8xlarge"], sizes["16xlarge"]
            sizes.update(_C5_SIZES)
        for size, (vcpus, enis, ips, speed) in sizes.items():
            name = f"{family}.{size}"
            types[name] = InstanceType(
                name=name,
                vcpus=vcpus,
                memory_mib=vcpus * f.gib_per_vcpu * 1024,
                architecture=f.architecture,
                hypervisor=f.hypervisor,
                burstable=False,
                default_credits=None,
                current_generation=True,
                max_interfaces=enis,
                ipv4_per_interface=ips,
                network_performance=speed or f.speed,
            )
    types[DEFAULT_INSTANCE_TYPE] = InstanceType(
        name=DEFAULT_INSTANCE_TYPE,
        vcpus=1,
        memory_mib=1740,
        architecture="x86_64",
        hypervisor="xen",
        burstable=False,
        default_credits=None,
        current_generation=False,
        max_interfaces=2,
        ipv4_per_interface=4,
        network_performance="Low",
    )
    return types


#: Every known type by name, in a stable order (families as listed above, sizes ascending).
INSTANCE_TYPES: dict[str, InstanceType] = _build()


def instance_type(name: str | None) -> InstanceType | None:
    return INSTANCE_TYPES.get(name or "")


def launchable_type(name: str) -> InstanceType:
    """The type RunInstances (or a type change) may use; AWS's error for any other name."""
    found = INSTANCE_TYPES.get(name)
    if found is None:
        # AWS's answer to a type that does not exist (as reported by users of RunInstances).
        raise errors.invalid_parameter_value(f"Invalid value '{name}' for InstanceType.")
    return found


def described_types(names: list[str]) -> list[InstanceType]:
    """The types ``DescribeInstanceTypes`` names, each of which must exist."""
    missing = [n for n in dict.fromkeys(names) if n not in INSTANCE_TYPES]
    if missing:
        raise errors.error(
            "InvalidInstanceType",
            f"The following supplied instance types do not exist: [{', '.join(missing)}]",
        )
    return [INSTANCE_TYPES[n] for n in dict.fromkeys(names)]


def check_credit_option(kind: InstanceType, credits: str | None) -> None:
    """A launch's ``CreditSpecification``: burstable types only, and only the type's own
    default, since stockade keeps no per-instance credit option (a different one would be
    reported wrongly afterwards)."""
    if credits is None:
        return
    if credits not in ("standard", "unlimited"):
        raise errors.invalid_value("CpuCredits", credits)
    if not kind.burstable:
        raise errors.error(
            "InvalidParameterCombination",
            f"The instance type {kind.name} does not support burstable performance credits.",
        )
    if credits != kind.default_credits:
        raise errors.error(
            "UnsupportedOperation",
            f"stockade keeps each burstable type's default CPU credit option; {kind.name} "
            f"runs '{kind.default_credits}', not '{credits}'.",
        )
