"""Where the mock's mutable state lives: in this process's memory, or in Redis (shared by
several workers and replicas).

Layering (docs/architecture.md): store sits between domain and http. It may import the
contract and the domain, never the http, testing or cli layers.
"""
