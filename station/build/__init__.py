"""From the catalogue to built episodes: the runner, the per-episode build, its stages, the report, the
cache (ledger) and withdrawal. Every stage is a function of its hashed inputs."""
