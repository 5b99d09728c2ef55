"""Build costlab's compiled kernel (src/costlab/_kernel.c) with the package; everything else is in pyproject.toml.

The kernel is plain C loaded through ctypes (no Python C API): it is compiled
once for each processor level and picks the best one when it loads. Where no
C compiler is found the build goes on without it, and training takes the NumPy
path with one costlab.KernelWarning.
"""

import sys

from setuptools import Extension, setup

FLAGS = [] if sys.platform == "win32" else ["-O3", "-std=gnu11", "-fno-math-errno", "-fno-trapping-math"]

setup(ext_modules=[Extension(
    "costlab._kernel", sources=["src/costlab/_kernel.c"], depends=["src/costlab/_kernel_body.h", "src/costlab/_kernel_types.h"],
    extra_compile_args=FLAGS, libraries=[] if sys.platform == "win32" else ["m"], optional=True,
)])
