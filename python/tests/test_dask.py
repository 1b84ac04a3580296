"""specjit.dask.map_partitions against one run over the whole frame.

    PYTHONPATH=build/python /usr/bin/python3 -m pytest -q python/tests/test_dask.py

(ctest runs it as python-dask.) Threads, dask's process scheduler and a
two-process distributed cluster; unequal and empty partitions; the meta;
one compile per worker process; errors raised in the caller.
"""

import os

import numpy as np
import pandas as pd
import pytest

dd = pytest.importorskip("dask.dataframe")

import specjit
import specjit.dask

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHURN = os.path.join(ROOT, "examples", "churn.json")
LOGISTIC = os.path.join(ROOT, "examples", "model_logistic.json")


def churn_frame(n, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "age": rng.integers(18, 90, n).astype(np.int64),
        "income": rng.lognormal(10.8, 0.9, n),
        "engagement": rng.random(n) * 1.4 - 0.2,
        "category": rng.integers(-1, 3, n).astype(np.int64),
        "unused": rng.random(n),
    })
    df.loc[::17, "income"] = np.nan
    # A named index that is not 0..n-1: it must come through unchanged.
    df.index = pd.Index(np.arange(n) * 3 + 7, name="customer")
    return df


def uneven(df):
    """Partitions of sizes 1, 12, 0, ~half and the rest: the empty one is a
    partition whose rows a filter removed."""
    idx = df.index.to_numpy()
    n = len(idx)
    ddf = dd.from_pandas(df, npartitions=1).repartition(
        divisions=[idx[0], idx[1], idx[13], idx[20], idx[n // 2], idx[-1]])
    lo, hi = idx[13], idx[20]
    ddf = ddf.map_partitions(lambda p: p[(p.index < lo) | (p.index >= hi)])
    sizes = ddf.map_partitions(len).compute(scheduler="sync").tolist()
    assert sizes[:4] == [1, 12, 0, n // 2 - 20] and sum(sizes) == n - 7, sizes
    return ddf


def whole(desc, pdf, **options):
    k = specjit.compile(desc, **options)
    return pd.DataFrame(k.run(pdf), index=pdf.index, columns=k.output_names)


def assert_same(got, want):
    assert list(got.columns) == list(want.columns)
    assert got.index.equals(want.index) and got.index.name == want.index.name
    assert (got.dtypes == want.dtypes).all()
    # Each row is computed by the same code from the same inputs: bit for bit.
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())


def test_meta_names_dtype_and_index():
    df = churn_frame(100)
    out = specjit.dask.map_partitions(dd.from_pandas(df, npartitions=3), CHURN)
    names = specjit.describe(CHURN)["outputs"]
    assert list(out.columns) == names
    assert all(t == np.float32 for t in out.dtypes)
    assert out.index.name == "customer" and out._meta.index.dtype == np.int64
    assert out.npartitions == 3
    # Divisions are those of the input: the index is preserved.
    assert out.divisions == dd.from_pandas(df, npartitions=3).divisions


def test_threads_uneven_and_empty_partitions():
    df = churn_frame(5000)
    ddf = uneven(df)
    kept = ddf.compute(scheduler="sync")
    before = specjit.dask.cache_info()["compiles"]
    got = specjit.dask.map_partitions(ddf, CHURN).compute(scheduler="threads", num_workers=2)
    assert_same(got, whole(CHURN, kept))
    # Several partitions in one process, one compile (the caller's check).
    assert specjit.dask.cache_info()["compiles"] - before <= 1


def test_model_and_options_are_part_of_the_cache_key():
    rng = np.random.default_rng(3)
    n = 3000
    df = pd.DataFrame({"tenure_months": rng.random(n) * 72,
                       "monthly_charges": rng.random(n) * 120,
                       "support_calls": rng.integers(-1, 9, n).astype(np.int32),
                       "age": (rng.random(n) * 60 + 18).astype(np.float32)})
    ddf = dd.from_pandas(df, npartitions=4)
    specjit.dask.clear_cache()
    jit = specjit.dask.map_partitions(ddf, LOGISTIC).compute(scheduler="threads")
    interp = specjit.dask.map_partitions(ddf, LOGISTIC, specialize=False).compute(
        scheduler="threads")
    info = specjit.dask.cache_info()
    assert info["kernels"] == 2 and info["compiles"] == 2
    assert_same(jit, whole(LOGISTIC, df))
    assert_same(interp, whole(LOGISTIC, df, specialize=False))


def test_processes_scheduler():
    df = churn_frame(4000, seed=1)
    ddf = uneven(df)
    got = specjit.dask.map_partitions(ddf, CHURN).compute(scheduler="processes",
                                                          num_workers=2)
    assert_same(got, whole(CHURN, ddf.compute(scheduler="sync")))


def test_distributed_cluster_compiles_once_per_worker():
    distributed = pytest.importorskip("distributed")
    df = churn_frame(20000, seed=2)
    ddf = dd.from_pandas(df, npartitions=16)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=True,
                                  dashboard_address=None, silence_logs=40) as cluster, \
            distributed.Client(cluster) as client:
        got = specjit.dask.map_partitions(ddf, CHURN).compute()
        again = specjit.dask.map_partitions(ddf, CHURN).compute()
        per_worker = client.run(specjit.dask.cache_info)
    assert_same(got, whole(CHURN, df))
    assert_same(again, got)
    assert len(per_worker) == 2
    # 32 partitions over two processes: each compiled the descriptor at
    # most once (a worker that got no partition compiled nothing).
    assert sum(info["compiles"] for info in per_worker.values()) >= 1
    for info in per_worker.values():
        assert info["compiles"] <= 1 and info["kernels"] <= 1, per_worker


def test_errors_are_raised_in_the_caller():
    df = churn_frame(50)
    ddf = dd.from_pandas(df, npartitions=2)
    with pytest.raises(specjit.Error, match="series descriptor .* Kernel.stream"):
        specjit.dask.map_partitions(
            ddf, os.path.join(ROOT, "test", "specjit", "Inputs", "tiny-series.json"))
    with pytest.raises(specjit.Error, match="^engagement: missing column"):
        specjit.dask.map_partitions(ddf.drop(columns=["engagement"]), CHURN)
    with pytest.raises(specjit.Error, match=r"steps\[0\]"):
        specjit.dask.map_partitions(ddf, {"specjit": 1, "kind": "pipeline",
                                          "inputs": [{"name": "age", "type": "i64"}],
                                          "output": {"type": "f64"},
                                          "steps": [{"op": "standardize", "column": "age",
                                                     "std": 0}]})
    with pytest.raises(TypeError, match="dask.dataframe.DataFrame"):
        specjit.dask.map_partitions(df, CHURN)
    with pytest.raises(TypeError):
        specjit.dask.map_partitions(ddf, CHURN, no_such_option=1)


def test_restarted_workers_load_from_the_persistent_cache(tmp_path, monkeypatch):
    """A cluster started after another one compiled the descriptor loads the
    kernel from the persistent cache in every worker instead of compiling."""
    distributed = pytest.importorskip("distributed")
    monkeypatch.setenv("SPECJIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SPECJIT_CACHE", raising=False)
    df = churn_frame(8000, seed=4)
    ddf = dd.from_pandas(df, npartitions=8)
    # Options no other test uses: a kernel this process's caches do not hold.
    options = {"opt_level": 2}
    results, infos = [], []
    for _ in range(2):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None, silence_logs=40) as cluster, \
                distributed.Client(cluster) as client:
            # Every worker runs partitions: one task per worker first.
            client.wait_for_workers(2)
            results.append(specjit.dask.map_partitions(ddf, CHURN, **options).compute())
            infos.append(client.run(specjit.dask.cache_info))
    assert_same(results[0], whole(CHURN, df, **options))
    assert_same(results[1], results[0])
    # The caller's check compiled (or loaded) first; each restarted worker
    # that ran a partition loaded it from disk.
    second = [i["sources"] for i in infos[1].values() if i["compiles"]]
    assert second, infos
    for sources in second:
        assert sources == {"disk": 1}, infos
