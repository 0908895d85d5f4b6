"""What the station has: shows and episodes read from content/, their transcripts, the recovery map and the
Recovery Network Map's resources. Reading only: nothing here writes, measures or renders."""
