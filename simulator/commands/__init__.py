"""The simulator's click commands: the composition root of simulate, test, drill, routes and coverage.

The evaluator never calls BLAS, but OpenBLAS starts a thread per core when numpy is imported: CPU
time a shared CI machine pays for nothing, and about a fifth of `alertkit test`'s start-up wall
time on a loaded two-core machine. One thread, unless the user chose otherwise.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
