// Microsoft Sentinel / Log Analytics, optional (enableSentinel): two custom tables in the monitor's
// workspace, a data collection endpoint and a data collection rule that takes the monitor's uploads
// through the Logs Ingestion API (Microsoft Learn: "Logs Ingestion API in Azure Monitor", "Tutorial:
// Send data to Azure Monitor Logs with Logs ingestion API (Resource Manager templates)").
// The columns below are the contract: monitor/soc/sentinel.py builds rows of exactly these columns, and
// tests/soc/test_sentinel.py checks every upload, and the KQL under docs/sentinel/, against them.
param workspaceName string
param location string
param tags object
param managedIdentityPrincipalId string
param dataCollectionEndpointName string
param dataCollectionRuleName string

var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb' // Logs Ingestion API upload

var signinColumns = [
  { name: 'TimeGenerated', type: 'datetime' }
  { name: 'RowId', type: 'string' }
  { name: 'ContentHash', type: 'string' }
  { name: 'EntraTenantId', type: 'string' }
  { name: 'SignInId', type: 'string' }
  { name: 'UserPrincipalName', type: 'string' }
  { name: 'UserId', type: 'string' }
  { name: 'Succeeded', type: 'boolean' }
  { name: 'ErrorCode', type: 'int' }
  { name: 'IPAddress', type: 'string' }
  { name: 'City', type: 'string' }
  { name: 'CountryOrRegion', type: 'string' }
  { name: 'DeviceId', type: 'string' }
  { name: 'DeviceName', type: 'string' }
  { name: 'RiskLevel', type: 'string' }
  { name: 'RiskLevelAggregated', type: 'string' }
  { name: 'IssuedBy', type: 'string' }
  { name: 'IssuedDateTime', type: 'datetime' }
  { name: 'LifetimeInMinutes', type: 'int' }
  { name: 'IsUsableOnce', type: 'boolean' }
  { name: 'Rules', type: 'dynamic' }
  { name: 'Flagged', type: 'boolean' }
  { name: 'RecoveryStage', type: 'string' }
  { name: 'Recovery', type: 'dynamic' }
  { name: 'ReviewState', type: 'string' }
  { name: 'Classification', type: 'string' }
  { name: 'Reviewer', type: 'string' }
  { name: 'ReviewedDateTime', type: 'datetime' }
  { name: 'ReviewNote', type: 'string' }
  { name: 'ReviewHistory', type: 'dynamic' }
]

var findingColumns = [
  { name: 'TimeGenerated', type: 'datetime' }
  { name: 'RowId', type: 'string' }
  { name: 'ContentHash', type: 'string' }
  { name: 'EntraTenantId', type: 'string' }
  { name: 'Rule', type: 'string' }
  { name: 'Subject', type: 'string' }
  { name: 'Severity', type: 'string' }
  { name: 'Title', type: 'string' }
  { name: 'Detail', type: 'string' }
  { name: 'Status', type: 'string' }
  { name: 'FirstSeen', type: 'datetime' }
  { name: 'TimesSeen', type: 'int' }
  { name: 'ResolvedAt', type: 'datetime' }
  { name: 'Evidence', type: 'dynamic' }
]

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' existing = {
  name: workspaceName
}

// A table's columns spell datetime as dateTime; a stream declaration as datetime.
resource signinTable 'Microsoft.OperationalInsights/workspaces/tables@2023-09-01' = {
  parent: workspace
  name: 'TapSignInReview_CL'
  properties: {
    schema: {
      name: 'TapSignInReview_CL'
      columns: [for c in signinColumns: { name: c.name, type: c.type == 'datetime' ? 'dateTime' : c.type }]
    }
    retentionInDays: 90
  }
}

resource findingTable 'Microsoft.OperationalInsights/workspaces/tables@2023-09-01' = {
  parent: workspace
  name: 'MonitorFinding_CL'
  properties: {
    schema: {
      name: 'MonitorFinding_CL'
      columns: [for c in findingColumns: { name: c.name, type: c.type == 'datetime' ? 'dateTime' : c.type }]
    }
    retentionInDays: 90
  }
}

resource endpoint 'Microsoft.Insights/dataCollectionEndpoints@2023-03-11' = {
  name: dataCollectionEndpointName
  location: location
  tags: tags
  properties: {
    networkAcls: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

resource rule 'Microsoft.Insights/dataCollectionRules@2023-03-11' = {
  name: dataCollectionRuleName
  location: location
  tags: tags
  dependsOn: [
    signinTable
    findingTable
  ]
  properties: {
    dataCollectionEndpointId: endpoint.id
    streamDeclarations: {
      'Custom-TapSignInReview_CL': {
        columns: signinColumns
      }
      'Custom-MonitorFinding_CL': {
        columns: findingColumns
      }
    }
    destinations: {
      logAnalytics: [
        {
          name: 'monitorWorkspace'
          workspaceResourceId: workspace.id
        }
      ]
    }
    dataFlows: [
      {
        streams: [
          'Custom-TapSignInReview_CL'
        ]
        destinations: [
          'monitorWorkspace'
        ]
        transformKql: 'source'
        outputStream: 'Custom-TapSignInReview_CL'
      }
      {
        streams: [
          'Custom-MonitorFinding_CL'
        ]
        destinations: [
          'monitorWorkspace'
        ]
        transformKql: 'source'
        outputStream: 'Custom-MonitorFinding_CL'
      }
    ]
  }
}

// The app's identity may upload through this rule only.
resource publisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(rule.id, managedIdentityPrincipalId, monitoringMetricsPublisher)
  scope: rule
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
    principalId: managedIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output endpoint string = endpoint.properties.logsIngestion.endpoint
output immutableId string = rule.properties.immutableId
