"""What every request costs: the kit's app, its DB read and its proxy against baselines."""
