// The Entra log stream: an Event Hub that Entra's diagnostic setting writes to and the app reads.
param namespaceName string
param location string
param tags object
param managedIdentityPrincipalId string

var hubName = 'entra-logs'
var consumerGroupName = 'pin-reset-monitor'
var eventHubsDataReceiver = 'a638d3c7-ab3a-418d-83e6-5f17a39d4fde' // Azure built-in role

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
    capacity: 1
  }
  properties: {
    minimumTlsVersion: '1.2'
    //checkov:skip=CKV_AZURE_228: Entra diagnostic settings stream through a namespace authorization rule (SAS); the app itself reads with its managed identity
    disableLocalAuth: false
    publicNetworkAccess: 'Enabled'
  }
}

resource hub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: namespace
  name: hubName
  properties: {
    partitionCount: 2
    messageRetentionInDays: 1
  }
}

resource consumerGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = {
  parent: hub
  name: consumerGroupName
}

// Azure Monitor streaming needs Manage, Send and Listen on the rule it is given.
resource diagnosticsRule 'Microsoft.EventHub/namespaces/authorizationRules@2024-01-01' = {
  parent: namespace
  name: 'entra-diagnostics'
  properties: {
    rights: [
      'Manage'
      'Send'
      'Listen'
    ]
  }
}

resource receiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hub.id, managedIdentityPrincipalId, eventHubsDataReceiver)
  scope: hub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', eventHubsDataReceiver)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output namespaceHost string = '${namespace.name}.servicebus.windows.net'
output hubName string = hub.name
output consumerGroup string = consumerGroup.name
output diagnosticsAuthorizationRuleId string = diagnosticsRule.id
