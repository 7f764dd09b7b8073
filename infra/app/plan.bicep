// Flex Consumption (FC1): billed per execution; Linux only, hence reserved.
param name string
param location string
param tags object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  //checkov:skip=CKV_AZURE_225: zone redundancy on Flex needs always-ready instances, billed while idle; a missed 15-minute pass is caught up by the next
  properties: {
    reserved: true
  }
}

output id string = plan.id
