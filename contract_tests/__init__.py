"""The contract suite: the same tests against the in-process mock or any DQE server."""
