"""The Linux data plane: instances as network namespaces, security groups as nftables in a
per-VPC router namespace, real packets allowed, dropped or refused (root only).

Pure (no kernel, testable without root): ``plan``, ``decompose``, ``ruleset``, ``compile``,
``nftables``, ``render``, ``delta``, ``fake``, ``nft_match``, ``evaluate``,
``flowlog_window``, ``flowlog_flows``.
Kernel-touching: ``netns``, ``nft``, ``links``, ``topology``, ``internet``, ``applier``,
``nflog``, ``ct_accounting``, ``flowlog``, ``counters``, ``probe``;
following the store: ``follow``, ``reconcile``, ``agent``. Every object it creates is
``stk``-prefixed and nothing touches the root namespace (``names``).
"""
