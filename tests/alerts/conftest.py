from tests.alerts.support import alert_store, any_alert_store, graph

__all__ = ["alert_store", "any_alert_store", "graph"]
