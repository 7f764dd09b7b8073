from tests.alerts.support import alert_store, any_alert_store

__all__ = ["alert_store", "any_alert_store"]
