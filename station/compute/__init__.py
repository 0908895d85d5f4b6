"""Where an episode's audio and model work runs: on a pool on this machine or on a Dask cluster.

`work.episode_work` is a pure function of blobs in a content-addressed store
(`store.py`: a folder or a bucket); `tasks.py` is the station's side (what a
task needs, filing its results in the cache); `pool.py` runs the tasks. See
docs/scale.md.
"""
