"""A suite run by tests/test_isolation.py under xdist against one shared server (check_*.py)."""
