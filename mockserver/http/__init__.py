"""The HTTP layer: aiohttp lives here and nowhere else."""
