# azd preprovision hook on Windows: what preprovision.sh does.
$ErrorActionPreference = 'Stop'
$providers = @('Microsoft.Web', 'Microsoft.Storage', 'Microsoft.KeyVault', 'Microsoft.ManagedIdentity', 'Microsoft.Insights', 'Microsoft.OperationalInsights')
if ($env:MONITOR_ENABLE_ENTRA_LOG_STREAM -eq 'true') { $providers += 'Microsoft.EventHub' }
if (-not $env:AZURE_SUBSCRIPTION_ID) { throw 'preprovision: azd sets AZURE_SUBSCRIPTION_ID' }
foreach ($namespace in $providers) {
  $state = az provider show --subscription $env:AZURE_SUBSCRIPTION_ID --namespace $namespace --query registrationState -o tsv
  if ($LASTEXITCODE -ne 0) { throw "az provider show $namespace failed" }
  if ($state -eq 'Registered') {
    Write-Output "preprovision: $namespace registered"
  } else {
    Write-Output "preprovision: registering $namespace ($state)"
    az provider register --subscription $env:AZURE_SUBSCRIPTION_ID --namespace $namespace --wait
    if ($LASTEXITCODE -ne 0) { throw "az provider register $namespace failed" }
  }
}
