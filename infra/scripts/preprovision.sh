#!/usr/bin/env sh
# azd preprovision hook: register the resource providers infra/ deploys to, so that a subscription that
# never used one of them (a new subscription has few registered) does not fail the deployment half-way.
# Registering needs the */register/action permission that Owner and Contributor hold on the subscription.
# Needs `az login`. Safe to run again: a registered provider is left alone.
set -eu
providers="Microsoft.Web Microsoft.Storage Microsoft.KeyVault Microsoft.ManagedIdentity Microsoft.Insights Microsoft.OperationalInsights"
if [ "${MONITOR_ENABLE_ENTRA_LOG_STREAM:-false}" = "true" ]; then
  providers="$providers Microsoft.EventHub"
fi
subscription=${AZURE_SUBSCRIPTION_ID:?azd sets AZURE_SUBSCRIPTION_ID}
for namespace in $providers; do
  state=$(az provider show --subscription "$subscription" --namespace "$namespace" --query registrationState -o tsv)
  if [ "$state" = "Registered" ]; then
    echo "preprovision: $namespace registered"
  else
    echo "preprovision: registering $namespace ($state)"
    az provider register --subscription "$subscription" --namespace "$namespace" --wait
  fi
done
