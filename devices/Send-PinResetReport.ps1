<#
.SYNOPSIS
    Intune Remediations detection script: sends this device's `dsregcmd /status` to the PIN reset
    monitor (POST /api/device-reports) and reports CanReset to Intune.

.DESCRIPTION
    Run it in the signed-in user's context ("Run this script using the logged-on credentials: Yes"):
    the User State section of dsregcmd /status, which holds CanReset, belongs to the user who runs it.
    The Intune device ID is the EntDMID of the device's MDM enrollment (registry, readable by users).

    Exit codes, as Remediations reads them: 0 = no issue (non-destructive PIN reset is possible, or
    the user has no Windows Hello container), 1 = issue (CanReset : DestructiveOnly). There is no
    remediation script: the monitor decides whether DestructiveOnly is a problem for this tenant.

    Nothing secret is written to the output: the function key is sent in a header, never printed.
#>
$ErrorActionPreference = 'Stop'

# Set these two before uploading the script to Intune (see devices/README.md).
$MonitorUrl  = 'https://<your-function-app>.azurewebsites.net/api/device-reports'
$FunctionKey = '<the device-reports function key>'

function Get-IntuneDeviceId {
    $enrollments = Get-ChildItem -Path 'HKLM:\SOFTWARE\Microsoft\Enrollments' -ErrorAction SilentlyContinue
    foreach ($enrollment in $enrollments) {
        $values = Get-ItemProperty -Path $enrollment.PSPath -ErrorAction SilentlyContinue
        if ($values.ProviderID -eq 'MS DM Server' -and $values.EntDMID) { return [string]$values.EntDMID }
    }
    return $null
}

$deviceId = Get-IntuneDeviceId
if (-not $deviceId) {
    Write-Output 'not sent: no Intune MDM enrollment found on this device'
    exit 0
}

$status = (& "$env:SystemRoot\System32\dsregcmd.exe" /status | Out-String)
$upn = ''
try { $upn = (& "$env:SystemRoot\System32\whoami.exe" /upn 2>$null | Out-String).Trim() } catch { $upn = '' }

$report = [ordered]@{
    intuneDeviceId    = $deviceId.ToLowerInvariant()
    # ISO 8601 ('o') in the invariant culture: with the user's culture, ':' would become the culture's
    # time separator ('.' in fi-FI) and the year that of its calendar (Buddhist in th-TH).
    collectedDateTime = [DateTime]::UtcNow.ToString('o', [System.Globalization.CultureInfo]::InvariantCulture)
    dsregcmd          = $status
}
if ($upn) { $report.userPrincipalName = $upn }
$body = [System.Text.Encoding]::UTF8.GetBytes(($report | ConvertTo-Json -Compress))

$canReset = 'unknown'
if ($status -match 'CanReset\s*:\s*(\S+)') { $canReset = $Matches[1] }

try {
    Invoke-RestMethod -Method Post -Uri $MonitorUrl -Body $body -ContentType 'application/json; charset=utf-8' `
        -Headers @{ 'x-functions-key' = $FunctionKey } -TimeoutSec 60 | Out-Null
    $sent = 'sent'
} catch {
    # The status code says why (400 bad report, 401/403 key, 413 too large, 503 retry later).
    $code = $_.Exception.Response.StatusCode.value__
    $sent = "not sent (HTTP $code)"
}

Write-Output "CanReset=$canReset; report $sent"
if ($canReset -eq 'DestructiveOnly') { exit 1 }
exit 0
