// The identity the Function App runs as: storage, Key Vault, Application Insights and Microsoft Graph
// all see this one principal, so its grants are the monitor's whole reach.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
