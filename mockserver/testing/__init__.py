"""Testing helpers for dqe-mock users and for dqe-mock's own tests."""
