"""Make the example client importable as its integrator would (it sits next to its tests)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
