"""Self-play loops: game self-play (SPIRAL, :mod:`.games`) and propose-solve (Absolute Zero, :mod:`.propose_solve`)."""
