// Secrets the app reads as Key Vault references (webhook URLs and the like). Access is Azure RBAC only:
// the app's identity may read secrets, the person running azd may set them (rbac.bicep).
param name string
param location string
param tags object

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    //checkov:skip=CKV_AZURE_42: soft delete is on (7 days); the purge-protection half of this check is CKV_AZURE_110 below
    //checkov:skip=CKV_AZURE_110: purge protection would block `azd down --purge` for the whole retention period; the vault holds only webhook URLs, which can be issued again
    //checkov:skip=CKV_AZURE_189: Flex Consumption without a virtual network resolves Key Vault references over the public endpoint; access is RBAC only
    publicNetworkAccess: 'Enabled'
    //checkov:skip=CKV_AZURE_109: as above, a deny-by-default firewall needs VNet integration, which this deployment does not add
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
