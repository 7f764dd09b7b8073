# azd postprovision hook on Windows: what postprovision.sh does.
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..\..')
$python = '.venv\Scripts\python.exe'
if (-not (Test-Path $python)) { throw 'postprovision: create .venv first (the manifest comes from python -m monitor)' }
$manifest = New-TemporaryFile
try {
  & $python -m monitor permissions --format json | Set-Content -Encoding utf8 $manifest
  if ($LASTEXITCODE -ne 0) { throw 'python -m monitor permissions failed' }
  & $python infra\scripts\grant_graph_permissions.py --manifest $manifest --if-allowed
  if ($LASTEXITCODE -ne 0) { throw 'granting the Graph permissions failed' }
  if ($env:MONITOR_ENABLE_MSP -eq 'true') {
    & $python infra\scripts\msp_app_registration.py --manifest $manifest --save-to-azd --if-allowed
    if ($LASTEXITCODE -ne 0) { throw 'creating the multi-tenant app registration failed' }
  }
} finally {
  Remove-Item $manifest
}
if ($env:MONITOR_ENABLE_ENTRA_LOG_STREAM -eq 'true') {
  & $python infra\scripts\entra_log_stream.py --if-allowed
  if ($LASTEXITCODE -ne 0) { throw 'creating the Entra ID diagnostic setting failed' }
}
