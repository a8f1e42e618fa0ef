"""Person profiles, the source records behind them, relationships and agencies' events."""
