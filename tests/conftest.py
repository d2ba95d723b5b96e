"""Shared pytest settings: fixture notebooks are test data, not tests."""
collect_ignore_glob = ["fixtures/*"]
