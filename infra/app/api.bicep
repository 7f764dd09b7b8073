// The Function App (Flex Consumption, Python 3.11) and every app setting the monitor reads.
// tests/infra/test_bicep.py checks this file against the settings monitor/settings.py and
// function_app.py read; a setting left out here must be listed in docs/deploy.md as optional.
param name string
param location string
param tags object
param planId string
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string
param keyVaultName string
param pollSchedule string
param weeklySchedule string
param graphEndpoint string
param tablePrefix string
param eventHubNamespaceHost string
param eventHubName string
param eventHubConsumerGroup string
param extraAppSettings object
param socEasyAuth bool = false
param sentinelEndpoint string = ''
param sentinelDcrId string = ''
param mspAppId string = ''
param instanceMemoryMB int = 2048

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Key Vault references resolve with the app's user-assigned identity (keyVaultReferenceIdentity below).
// A reference to a secret not set yet resolves to nothing useful: docs/deploy.md sets them after azd up.
var secretReference = '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName='

var hostSettings = {
  // The Functions host's own storage, identity-based: no connection string, no key.
  AzureWebJobsStorage__accountName: storage.name
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  // Application Insights with Entra ID auth (local auth is off on the component).
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // host.json sets telemetryMode OpenTelemetry. This makes the Python worker pass the host's trace
  // context to each invocation, so a pass's spans join the invocation's trace; monitor/telemetry.py
  // configures the exporters itself. (PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY would have the worker
  // call configure_azure_monitor too, and everything would be exported twice.)
  PYTHON_ENABLE_OPENTELEMETRY: 'true'
}

var monitorSettings = {
  AZURE_CLIENT_ID: identityClientId
  MONITOR_GRAPH_CREDENTIAL: 'managed-identity'
  MONITOR_GRAPH_ENDPOINT: graphEndpoint
  MONITOR_STORAGE_ENDPOINT: storage.properties.primaryEndpoints.table
  MONITOR_TABLE_PREFIX: tablePrefix
  MONITOR_POLL_SCHEDULE: pollSchedule
  MONITOR_WEEKLY_SCHEDULE: weeklySchedule
}

// One alert destination out of the box: the Teams channel whose Workflows webhook URL is the Key Vault
// secret teams-webhook-url (docs/deploy.md, step 3). More destinations, routes and email: the
// MONITOR_ALERT_* settings of docs/alerts.md, in extraAppSettings.
var alertSettings = {
  MONITOR_ALERT_DESTINATIONS: 'teams=teams'
}

var secretSettings = {
  MONITOR_ALERT_TEAMS_URL: '${secretReference}teams-webhook-url)'
  // Signs the acknowledge links in alert messages (docs/alerts.md). Until the secret is set the
  // reference does not resolve, the monitor reads no key, and messages carry no link.
  MONITOR_ALERT_LINK_KEY: '${secretReference}alert-link-key)'
}

// Where those links point: the app's default host name. Behind a custom domain, change it here (this
// var comes after extraAppSettings in the union below, so a value there would be replaced).
var linkSettings = {
  MONITOR_PUBLIC_URL: 'https://${functionApp.properties.defaultHostName}'
}

// The Entra log stream (optional): an Event Hub trigger reading with the managed identity.
var logStreamSettings = empty(eventHubNamespaceHost) ? {} : {
  EntraLogStream__fullyQualifiedNamespace: eventHubNamespaceHost
  EntraLogStream__credential: 'managedidentity'
  EntraLogStream__clientId: identityClientId
  MONITOR_ENTRA_LOG_HUB: eventHubName
  MONITOR_ENTRA_LOG_CONSUMER_GROUP: eventHubConsumerGroup
}

// The SOC review page trusts the signed-in principal only where easyauth.bicep put App Service
// authentication in front of the app.
var socSettings = !socEasyAuth ? {} : {
  MONITOR_SOC_EASY_AUTH: 'on'
}

// Microsoft Sentinel (optional): the data collection endpoint and rule of sentinel.bicep.
var sentinelSettings = empty(sentinelEndpoint) ? {} : {
  MONITOR_SENTINEL_ENDPOINT: sentinelEndpoint
  MONITOR_SENTINEL_DCR_ID: sentinelDcrId
}

// Many customer tenants (optional, docs/msp.md): the multi-tenant app registration the monitor reads them
// as, trusting the managed identity above as its federated credential (infra/scripts/msp_app_registration.py).
// Many tenants: the customer tenants' passes share one report budget across instances (docs/msp.md).
var mspSettings = empty(mspAppId) ? {} : {
  MONITOR_MSP_APP_ID: mspAppId
  MONITOR_GRAPH_BUDGET: 'table'
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: planId
    //checkov:skip=CKV_AZURE_18: the HTTP version check in its web app form, which checkov also applies to function apps (see CKV_AZURE_67 below)
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    //checkov:skip=CKV_AZURE_222: the health route and the timer need no inbound network isolation; every route requires a function key, except the alert confirmation page, which requires the signed token of its link
    publicNetworkAccess: 'Enabled'
    //checkov:skip=CKV_AZURE_17: callers authenticate with the function key (Azure Monitor action groups cannot present client certificates)
    clientCertEnabled: false
    //checkov:skip=CKV_AZURE_212: a pass every 15 minutes needs no standby instance; Flex scales from zero and always-ready instances are billed while idle
    //checkov:skip=CKV_AZURE_213: every route needs a function key, so the platform health probe would be refused; GET /api/health is checked with the key (docs/deploy.md)
    //checkov:skip=CKV_AZURE_78: Flex Consumption offers no FTP(S) deployment, and ARM refuses siteConfig.ftpsState on Flex with error 51021
    //checkov:skip=CKV_AZURE_67: http20Enabled is not among the site configuration the Microsoft Flex Consumption samples send; HTTP/1.1 over TLS 1.2 is enough for a function-key API
    siteConfig: {
      // Only what Flex Consumption accepts: ARM refuses ftpsState with error 51021, and the Microsoft Flex
      // samples send no http20Enabled or scmMinTlsVersion. Deployments go to the blob container below.
      minTlsVersion: '1.2'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        // One pass at a time is all the monitor needs; a low ceiling caps the bill if something loops.
        maximumInstanceCount: 40
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: union(extraAppSettings, hostSettings, monitorSettings, alertSettings, secretSettings, logStreamSettings, socSettings, sentinelSettings, mspSettings, linkSettings)
  }

  // Deployment goes through the identity-based package container; no publishing credentials.
  resource ftpCredentials 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }

  resource scmCredentials 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }
}

output name string = functionApp.name
output url string = 'https://${functionApp.properties.defaultHostName}'
