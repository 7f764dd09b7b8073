// The monitor in Azure: `azd up` provisions this, then deploys the app (azure.yaml).
// Shape of Microsoft's azd Functions quickstarts (Azure-Samples/functions-quickstart-python-azd-*):
// a Flex Consumption app on Python reaching its storage with a user-assigned managed identity.
// Resources are declared directly rather than through registry modules (br/public:avm/...), so that
// checkov and tests/infra can read every property offline; docs/deploy.md says why.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to derive a unique suffix for every resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource; Flex Consumption must be offered there.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object ID of the person (or pipeline) running azd: allowed to set secrets in the Key Vault.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
])
@description('What principalId is.')
param principalType string = 'User'

@description('NCRONTAB schedule of the monitoring pass (MONITOR_POLL_SCHEDULE).')
param pollSchedule string = '0 */15 * * * *'

@description('NCRONTAB schedule of the weekly compliance snapshot (MONITOR_WEEKLY_SCHEDULE).')
param weeklySchedule string = '0 0 7 * * Mon'

@description('Root of Microsoft Graph (MONITOR_GRAPH_ENDPOINT); another root only for a national cloud.')
param graphEndpoint string = 'https://graph.microsoft.com'

@description('Prefix of the monitor\'s tables (MONITOR_TABLE_PREFIX).')
param tablePrefix string = 'pinmon'

@description('Storage queues to create for the monitor (the app creates its tables itself).')
param queueNames array = []

@description('Stream Entra sign-in and audit logs to an Event Hub for the app (needs a Global or Security Administrator running azd).')
param enableEntraLogStream bool = false

@description('Application (client) ID of the multi-tenant app registration that reads customer tenants (MONITOR_MSP_APP_ID, docs/msp.md); empty: the deployment watches its own tenant only.')
param mspAppId string = ''

@description('Memory of each Function app instance, in MB ("Azure Functions Flex Consumption plan hosting": instance memory); 0 chooses by the deployment: 2048 for one tenant, 512 for many (a customer tenant\'s pass mostly waits on Graph\'s report budget, and the wait is billed at this size).')
@allowed([0, 512, 2048, 4096])
param instanceMemoryMB int = 0
var manyTenantsMemoryMB = 512
var oneTenantMemoryMB = 2048
var chosenMemoryMB = empty(mspAppId) ? oneTenantMemoryMB : manyTenantsMemoryMB
var instanceMemory = (instanceMemoryMB == 0) ? chosenMemoryMB : instanceMemoryMB

@description('Further app settings, e.g. rule thresholds (MONITOR_<THRESHOLD>); docs/deploy.md lists them.')
param extraAppSettings object = {}

@description('Client ID of the app registration that signs SOC reviewers in to the review page (App Service authentication; it defines the app role TapSignIn.Review, docs/soc.md). Empty: no review page sign-in.')
param socReviewClientId string = ''

@description('Ship TAP sign-ins (with issuance, verdicts, recovery chain) and findings to Log Analytics custom tables for Microsoft Sentinel (docs/soc.md).')
param enableSentinel bool = false

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var functionAppName = 'func-pinmon-${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-pinmon-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'stpinmon${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    queueNames: queueNames
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-pinmon-${resourceToken}'
    applicationInsightsName: 'appi-pinmon-${resourceToken}'
    location: location
    tags: tags
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-pinmon-${resourceToken}'
    location: location
    tags: tags
  }
}

module logStream 'app/eventhub.bicep' = if (enableEntraLogStream) {
  name: 'logstream'
  scope: rg
  params: {
    namespaceName: 'evhns-pinmon-${resourceToken}'
    location: location
    tags: tags
    managedIdentityPrincipalId: identity.outputs.principalId
  }
}

// Entra ID's diagnostic setting that feeds the hub is tenant-level: an ARM deployment of it needs rights at
// the root scope, which a subscription owner lacks. The postprovision hook creates it through the
// diagnostic settings API instead (infra/scripts/entra_log_stream.py), or prints the command for a Security
// Administrator (docs/deploy.md, "Who needs which role").

module plan 'app/plan.bicep' = {
  name: 'plan'
  scope: rg
  params: {
    name: 'plan-pinmon-${resourceToken}'
    location: location
    tags: tags
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    planId: plan.outputs.id
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    pollSchedule: pollSchedule
    weeklySchedule: weeklySchedule
    graphEndpoint: graphEndpoint
    tablePrefix: tablePrefix
    eventHubNamespaceHost: enableEntraLogStream ? logStream.outputs.namespaceHost : ''
    eventHubName: enableEntraLogStream ? logStream.outputs.hubName : ''
    eventHubConsumerGroup: enableEntraLogStream ? logStream.outputs.consumerGroup : ''
    extraAppSettings: extraAppSettings
    socEasyAuth: !empty(socReviewClientId)
    sentinelEndpoint: enableSentinel ? sentinel.outputs.endpoint : ''
    sentinelDcrId: enableSentinel ? sentinel.outputs.immutableId : ''
    mspAppId: mspAppId
    instanceMemoryMB: instanceMemory
  }
}

module sentinel 'app/sentinel.bicep' = if (enableSentinel) {
  name: 'sentinel'
  scope: rg
  params: {
    workspaceName: 'log-pinmon-${resourceToken}'
    location: location
    tags: tags
    managedIdentityPrincipalId: identity.outputs.principalId
    dataCollectionEndpointName: 'dce-pinmon-${resourceToken}'
    dataCollectionRuleName: 'dcr-pinmon-${resourceToken}'
  }
  dependsOn: [
    monitoring
  ]
}

module socReviewAuth 'app/easyauth.bicep' = if (!empty(socReviewClientId)) {
  name: 'soc-review-auth'
  scope: rg
  params: {
    functionAppName: api.outputs.name
    clientId: socReviewClientId
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: keyVault.outputs.name
    managedIdentityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

// azd stores these in .azure/<env>/.env; the postprovision hook and docs/deploy.md use them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_NAME string = api.outputs.name
output AZURE_FUNCTION_URL string = api.outputs.url
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output MONITOR_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output MONITOR_IDENTITY_CLIENT_ID string = identity.outputs.clientId
// The log stream's hub and the rule Entra ID's diagnostic setting writes through (postprovision hook).
output ENTRA_LOG_STREAM_AUTHORIZATION_RULE_ID string = enableEntraLogStream ? logStream.outputs.diagnosticsAuthorizationRuleId : ''
output ENTRA_LOG_STREAM_HUB string = enableEntraLogStream ? logStream.outputs.hubName : ''
output ENTRA_LOG_STREAM_SETTING_NAME string = enableEntraLogStream ? 'pin-reset-monitor-${resourceToken}' : ''
