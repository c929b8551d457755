"""The mock's domain: plain Python, no aiohttp. Testable without a server."""
