"""Virtual readers: RF link model, Gen2 inventory rounds, LLRP-shaped tag reports; placements and site export."""
