"""dqe-mock: a mock of DQE Software's ID Mobile API and a contract-testing kit around it."""

__version__ = "0.1.0"
