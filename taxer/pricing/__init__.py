"""Fair market value: the price book the engine asks, user price files, and (later) prices fetched through ccxt."""
