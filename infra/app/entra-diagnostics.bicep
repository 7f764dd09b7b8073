// Entra ID's diagnostic setting (tenant scope): sign-in and audit logs to the Event Hub.
targetScope = 'tenant'

param name string
param eventHubAuthorizationRuleId string
param eventHubName string

resource entraDiagnostics 'microsoft.aadiam/diagnosticSettings@2017-04-01' = {
  name: name
  properties: {
    eventHubAuthorizationRuleId: eventHubAuthorizationRuleId
    eventHubName: eventHubName
    logs: [
      {
        category: 'SignInLogs'
        enabled: true
      }
      {
        category: 'NonInteractiveUserSignInLogs'
        enabled: true
      }
      {
        category: 'AuditLogs'
        enabled: true
      }
    ]
  }
}
