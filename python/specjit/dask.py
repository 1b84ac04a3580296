"""Scale-out over Dask: a descriptor run over every partition of a Dask
DataFrame (docs/scale-out.md).

    import specjit.dask
    features = specjit.dask.map_partitions(ddf, "examples/churn.json")
    features.compute()          # == specjit.compile(desc).run(ddf.compute())

The task graph carries the descriptor's text, not a kernel (kernels hold
native code and do not pickle). Each worker process compiles a descriptor
once, on the first partition it runs, and keeps the kernel in a per-process
cache keyed by the descriptor text and the compile options; every later
partition in that process reuses it. Threads of one worker share the cache.
With specjit's persistent cache on (the default; SPECJIT_CACHE_DIR), a
worker started after another one compiled the descriptor, or after a
restart, loads the object from disk instead of compiling it.
"""

import threading

import dask.dataframe as dd
import numpy as np
import pandas as pd

import specjit

__all__ = ["map_partitions", "cache_info", "clear_cache"]

# The families whose output row depends only on its input row: a partition
# computes the same rows as the whole frame does.
_ROW_WISE = ("pipeline", "model")

_lock = threading.Lock()
_kernels = {}
_compiles = 0
# Where this process's kernels came from (Kernel.source): "compiled" here,
# or "disk" when the persistent cache held the object (docs/runtime.md).
_sources = {}


def _key(text, options):
    return text, tuple(sorted(options.items()))


def _kernel(text, options):
    """The process's kernel for (text, options), compiled on first use."""
    global _compiles
    key = _key(text, options)
    with _lock:
        k = _kernels.get(key)
        if k is None:
            # Under the lock: threads of one worker that ask at once wait
            # for the first compile instead of compiling it again.
            k = specjit.compile(text, **options)
            _kernels[key] = k
            _compiles += 1
            _sources[k.source] = _sources.get(k.source, 0) + 1
        return k


def cache_info():
    """This process's cache: {"kernels": kernels held, "compiles":
    specjit.compile calls made, "sources": {Kernel.source: count}} — a
    source "disk" is a kernel loaded from the persistent cache instead of
    compiled. With a distributed Client, `client.run(specjit.dask.cache_info)`
    returns it per worker."""
    with _lock:
        return {"kernels": len(_kernels), "compiles": _compiles, "sources": dict(_sources)}


def clear_cache():
    """Drops this process's kernels (the next partition compiles again)."""
    global _compiles
    with _lock:
        _kernels.clear()
        _sources.clear()
        _compiles = 0


def _run_partition(part, text, options, names, dtype, strict):
    k = _kernel(text, options)
    if len(part) == 0:
        out = np.empty((0, len(names)), dtype=dtype)
    else:
        out = k.run(part, strict=strict)
    return pd.DataFrame(out, index=part.index, columns=names, copy=False)


def map_partitions(ddf, desc, strict=False, **options):
    """Runs the pipeline or model descriptor `desc` (a dict, JSON text or a
    path) over each partition of the Dask DataFrame `ddf`; returns a lazy
    Dask DataFrame of the output columns (named as the descriptor's outputs,
    float32 or float64 as its output type) with ddf's index and divisions.
    `options` are specjit.compile's (specialize, tree_layout, opt_level,
    tier, ...); `strict` is Kernel.run's. The descriptor is validated here,
    so a bad descriptor or a missing input column raises specjit.Error at
    once, not in a worker."""
    if not isinstance(ddf, dd.DataFrame):
        raise TypeError("map_partitions: expected a dask.dataframe.DataFrame, got %r"
                        % type(ddf).__name__)
    text = specjit._text(desc)
    info = specjit.describe(text)
    kind = info["kind"]
    if kind not in _ROW_WISE:
        hint = " (a series carries state from row to row: run it with Kernel.stream())" \
            if kind == "series" else ""
        raise specjit.Error("map_partitions: a %s descriptor does not compute each row "
                            "from its own inputs; only %s descriptors run per partition%s"
                            % (kind, " and ".join(_ROW_WISE), hint))
    names = list(info["outputs"])
    missing = [i["name"] for i in info["inputs"] if i["name"] not in ddf.columns]
    if missing:
        raise specjit.Error("%s: missing column (the descriptor needs %s)"
                            % (missing[0], ", ".join(i["name"] for i in info["inputs"])))
    # Fails here, with the reason, for options compile() does not take.
    _kernel(text, options)
    dtype = np.float32 if info["output_type"] == "f32" else np.float64
    meta = pd.DataFrame({n: pd.Series([], dtype=dtype) for n in names},
                        index=ddf._meta.index[:0], columns=names)
    return ddf.map_partitions(_run_partition, text, options, names, dtype, strict,
                              meta=meta, align_dataframes=False,
                              enforce_metadata=False, transform_divisions=False)
