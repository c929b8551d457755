"""Fast unit tests of the domain modules, one file per module (the mutation run leans on them)."""
