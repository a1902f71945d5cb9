"""Settlement services, split along their seams: contracts, run computation, statements, payouts.

Import from the submodules: ``contracts``, ``runs``, ``computation``, ``statements``, ``payouts``.
"""
