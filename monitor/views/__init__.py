"""Views of what the monitor keeps, for the people who review it (the SOC)."""
