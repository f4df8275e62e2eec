"""Run one exchange replica: `python -m taxer_replica bitget --port 0` prints its URL and serves until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from taxer_replica import EXCHANGES, Faults, Permissions, Replica, generate_history


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m taxer_replica", description=__doc__)
    parser.add_argument("exchange", choices=sorted(EXCHANGES))
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--trades", type=int, default=6000)
    parser.add_argument("--start", default="2022-01-01")
    parser.add_argument("--end", default="2025-12-31")
    parser.add_argument("--quote", default="USDT", help="quote currency of the markets (USD for fiat markets)")
    parser.add_argument("--assets", default="BTC,ETH,SOL,BNB", help="comma-separated base assets")
    parser.add_argument("--api-key", default="key")
    parser.add_argument("--secret", default="secret")
    parser.add_argument("--passphrase", default="passphrase")
    parser.add_argument("--permissions", choices=[p.value for p in Permissions], default="read_only")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--rate-limit", action="store_true")
    args = parser.parse_args(argv)
    history = generate_history(seed=args.seed, trades=args.trades, start=args.start, end=args.end,
                               assets=tuple(a.strip().upper() for a in args.assets.split(",") if a.strip()),
                               quote=args.quote.upper())
    replica = Replica(args.exchange, history, api_key=args.api_key, secret=args.secret, passphrase=args.passphrase,
                      permissions=Permissions(args.permissions), faults=Faults(rate=args.fault_rate, seed=args.seed),
                      rate_limit=args.rate_limit, port=args.port)
    with replica:
        print(replica.url, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
