"""The analyzer: questions about a (real or stockade's own) account, answered without packets.

- AWS import/export (``aws_*``): the unmodified JSON of ``aws ec2 describe-*`` in, the same
  files out;
- audit (``audit*``, ``checks_*``): findings as interval intersections over the effective
  rules, graded by exposure, rendered as tables, JSON or SARIF;
- reachability (``reach*``): who can reach what, as merged port ranges with the rules
  responsible, and what a change opens and closes;
- flow-log rule usage (``flowlog_*``): every rule that matched each accepted flow, unused
  rules, suggested tightenings, streamed through DuckDB.

Everything except the import/export and flow-log reader modules is pure: it works from a
:class:`~stockade.domain.state.Snapshot` and the policy engine's effective policies, so the
matching semantics stay in ``policy/``.
"""
