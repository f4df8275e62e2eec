"""Exchange access: credentials, the one ccxt gateway, per-exchange quirks as data, and record normalization."""
