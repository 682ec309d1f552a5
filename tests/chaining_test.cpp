// Chaining plugins across tracks: plans, mixed and targeted upgrades, downgrades, refusals, takeover, stamp, validate, repair.
