"""Regenerate examples/berlin/orders.csv (seeded, so the file is reproducible)."""

from datetime import datetime
from pathlib import Path

from microfactory.adapters.files.generate import order_rows, write_orders_csv
from microfactory.adapters.files.scenario import load_scenario

root = Path(__file__).resolve().parents[1] / "examples" / "berlin"
orders = root / "orders.csv"
if orders.exists():
    orders.unlink()
scenario = load_scenario(root)
rows = order_rows(scenario.network, scenario.catalog, 240, start=datetime(2026, 12, 1, 8, 0), days=14, seed=2026,
                  prefix="BER")
orders.write_text(write_orders_csv(rows))
print(f"wrote {len(rows)} rows to {orders}")
