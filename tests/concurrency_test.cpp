// Concurrent hosts and crashed hosts against real databases: the run lock, dirty tracks, repair.
