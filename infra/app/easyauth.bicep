// App Service built-in authentication ("Easy Auth") with Microsoft Entra ID, for the SOC review page
// (GET/POST /api/soc/review). Microsoft Learn: "Configure your App Service or Azure Functions app to use
// Microsoft Entra sign-in" and "Microsoft.Web sites/config 'authsettingsV2'".
//
// Unauthenticated requests are let through (AllowAnonymous): the machine routes keep their function
// keys, and the page itself answers 403 without a signed-in principal holding the app role
// TapSignIn.Review. Signed-in requests carry X-MS-CLIENT-PRINCIPAL, which App Service sets itself and
// does not let callers set. The app registration (clientId) and its app role are made once by hand
// (docs/soc.md); no client secret is needed for sign-in with an ID token.
param functionAppName string
param clientId string

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource authSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: clientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${clientId}'
            clientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: true
      }
    }
  }
}
