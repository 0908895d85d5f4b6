"""The overnight stream: schedules, the library of what may air, running orders, the stream itself and the
daemon that runs builds, assembly and the night on time."""
