"""The pure policy engine: effective policies, decisions and explanations, bulk decisions,
exposure findings. No I/O: everything works from a :class:`~stockade.domain.state.Snapshot`.

The names re-exported here are the engine's public surface (CLI, data plane, analyzer).
"""

from stockade.policy.bulk import BulkDecisions, FlowBatch, decide_many
from stockade.policy.changes import PolicyDelta, changed_interfaces, policy_delta
from stockade.policy.compile import CompiledPolicy, compile_policy
from stockade.policy.decide import decide
from stockade.policy.decision import (
    Blocker,
    Decision,
    PathEnd,
    PathKind,
    RuleRef,
    SideEvaluation,
    SuggestedRule,
    Verdict,
)
from stockade.policy.effective import (
    Direction,
    EffectiveEntry,
    EffectivePolicy,
    effective_policies,
    effective_policy,
)
from stockade.policy.explain import explain
from stockade.policy.exposure import ExposureFinding, OpenPortRange, exposure
from stockade.policy.flow import Flow
from stockade.policy.reasons import Reason
from stockade.policy.stateful import ReplyVerdict, reply_allowed, reply_verdict

__all__ = [
    "Blocker",
    "BulkDecisions",
    "CompiledPolicy",
    "Decision",
    "Direction",
    "EffectiveEntry",
    "EffectivePolicy",
    "ExposureFinding",
    "Flow",
    "FlowBatch",
    "OpenPortRange",
    "PathEnd",
    "PathKind",
    "PolicyDelta",
    "Reason",
    "ReplyVerdict",
    "RuleRef",
    "SideEvaluation",
    "SuggestedRule",
    "Verdict",
    "changed_interfaces",
    "compile_policy",
    "decide",
    "decide_many",
    "effective_policies",
    "effective_policy",
    "explain",
    "exposure",
    "policy_delta",
    "reply_allowed",
    "reply_verdict",
]
