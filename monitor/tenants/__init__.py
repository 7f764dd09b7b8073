"""Many customer tenants from one deployment: each tenant's credential and Graph session, onboarding
(the admin-consent URL, the permission check) and the settings they read."""
