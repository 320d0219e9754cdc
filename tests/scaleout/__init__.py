"""Scale-out: the layout beyond one process (tests/scaleout/cluster.py)."""
