// Mentorbot on Azure: Container Apps running N replicas, PostgreSQL flexible server, Key
// Vault for the secrets, Log Analytics for logs, and the Azure Bot with its Teams channel.
// Deploy registry.bicep first and push the image (README "Deploy to Azure"); every
// parameter is described by its @description below.

@description('Short lowercase name prefix for every resource (3-12 letters or digits).')
@minLength(3)
@maxLength(12)
param name string

@description('Azure region of the resources (the bot itself is global).')
param location string = resourceGroup().location

@description('The image to run, e.g. mentorbotab12cd.azurecr.io/mentorbot:1.0.0.')
param image string

@description('Name of the container registry from registry.bicep (the app pulls with its identity).')
param registryName string

@description('Replicas always running (2 or more keeps the bot up through a restart).')
@minValue(1)
param minReplicas int = 2

@description('Replicas at most, under load.')
@minValue(1)
param maxReplicas int = 5

@description('How the bot authenticates: SingleTenant (an Entra app with a secret) or UserAssignedMSI (the managed identity below; no secret).')
@allowed([
  'SingleTenant'
  'UserAssignedMSI'
])
param botAppType string = 'SingleTenant'

@description('SingleTenant: the Entra app (client) id of the bot. UserAssignedMSI: leave empty (the identity\'s client id is used).')
param botAppId string = ''

@description('SingleTenant: the Entra app\'s client secret. UserAssignedMSI: leave empty.')
@secure()
param botAppPassword string = ''

@description('Name shown for the bot in the Azure portal.')
param botDisplayName string = 'Mentorbot'

@description('Azure Bot pricing tier: F0 (free, standard channels) or S1.')
@allowed([
  'F0'
  'S1'
])
param botSku string = 'F0'

@description('PostgreSQL administrator login.')
param postgresAdminLogin string = 'mentorbot'

@description('PostgreSQL administrator password (kept in Key Vault; the app reads the database URL from there).')
@secure()
@minLength(16)
param postgresAdminPassword string

@description('PostgreSQL compute: a Burstable B1ms serves a few thousand members; use GeneralPurpose for more.')
param postgresSkuName string = 'Standard_B1ms'

@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param postgresSkuTier string = 'Burstable'

@description('PostgreSQL storage in GB.')
param postgresStorageGB int = 32

@description('Zone-redundant standby for PostgreSQL (not available on Burstable).')
@allowed([
  'Disabled'
  'ZoneRedundant'
])
param postgresHighAvailability string = 'Disabled'

@description('Comma-separated Teams user ids or Entra object ids who administer every team.')
param admins string = ''

@description('Comma-separated tenant ids served (default: this tenant only).')
param allowedTenants string = tenant().tenantId

@description('A token for GET /metrics (Authorization: Bearer ...). Empty: metrics only from inside the replica.')
@secure()
param metricsToken string = ''

@description('Days Log Analytics keeps the logs.')
param logRetentionDays int = 30

var suffix = uniqueString(resourceGroup().id)
var msi = botAppType == 'UserAssignedMSI'
var appId = msi ? identity.properties.clientId : botAppId
var databaseUrl = 'postgresql://${postgresAdminLogin}:${uriComponent(postgresAdminPassword)}@${postgres.properties.fullyQualifiedDomainName}:5432/mentorbot?ssl=require'
var roles = {
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
}

// --- logs -------------------------------------------------------------------------
resource logs 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: '${name}-logs-${suffix}'
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
  }
}

// --- the app's identity: pulls the image, reads secrets, and (UserAssignedMSI) is the bot
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${name}-identity'
  location: location
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = {
  name: registryName
}

resource acrPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identity.id, roles.acrPull)
  scope: registry
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
  }
}

// --- secrets ------------------------------------------------------------------------
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: Container Apps reads the secrets over the vault's public endpoint with its managed identity (RBAC); a private endpoint needs a VNet-integrated environment, an option for locked-down networks.
  // checkov:skip=CKV_AZURE_189: as above: public network access is on, but only the app's identity has a role on the secrets.
  name: '${name}-kv-${take(suffix, 8)}'
  location: location
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

resource databaseUrlSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  // checkov:skip=CKV_AZURE_41: an expiry date would stop the bot on that day; the database password is rotated by hand (README "Operate").
  parent: vault
  name: 'database-url'
  properties: {
    value: databaseUrl
    contentType: 'text/plain; postgresql connection URL'
  }
}

resource appPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!msi) {
  // checkov:skip=CKV_AZURE_114: contentType is set below; checkov does not read the body of a conditional resource (= if (...) {).
  // checkov:skip=CKV_AZURE_41: the bot's client secret expires in Entra ID; renew it there and here together.
  parent: vault
  name: 'app-password'
  properties: {
    value: botAppPassword
    contentType: 'text/plain; Entra app client secret'
  }
}

resource metricsTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(metricsToken)) {
  // checkov:skip=CKV_AZURE_114: contentType is set below; checkov does not read the body of a conditional resource (= if (...) {).
  // checkov:skip=CKV_AZURE_41: a scrape token is rotated by setting a new one; an expiry would break scraping silently.
  parent: vault
  name: 'metrics-token'
  properties: {
    value: metricsToken
    contentType: 'text/plain; bearer token for GET /metrics'
  }
}

// --- the database -------------------------------------------------------------------
resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2022-12-01' = {
  // checkov:skip=CKV_AZURE_136: geo-redundant backups cost double and are a choice per deployment; set backup.geoRedundantBackup to Enabled where the data must survive a region.
  name: '${name}-db-${suffix}'
  location: location
  sku: {
    name: postgresSkuName
    tier: postgresSkuTier
  }
  properties: {
    version: '16'
    administratorLogin: postgresAdminLogin
    administratorLoginPassword: postgresAdminPassword
    storage: {
      storageSizeGB: postgresStorageGB
    }
    backup: {
      backupRetentionDays: 14
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: postgresHighAvailability
    }
    network: {
      publicNetworkAccess: 'Enabled'
    }
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2022-12-01' = {
  parent: postgres
  name: 'mentorbot'
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

// The replicas' outbound addresses are not fixed on a consumption environment: allow
// Azure's own addresses (0.0.0.0), TLS required, and the password kept in Key Vault.
resource allowAzure 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2022-12-01' = {
  parent: postgres
  name: 'AllowAzureServices'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

resource requireTls 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2022-12-01' = {
  parent: postgres
  name: 'require_secure_transport'
  properties: {
    value: 'ON'
    source: 'user-override'
  }
}

// --- the app: N replicas behind one HTTPS endpoint -----------------------------------
resource environment 'Microsoft.App/managedEnvironments@2023-05-01' = {
  name: '${name}-env'
  location: location
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
  }
}

var databaseSecretRef = [
  {
    name: 'database-url'
    keyVaultUrl: databaseUrlSecret.properties.secretUri
    identity: identity.id
  }
]
var passwordSecretRef = msi ? [] : [
  {
    name: 'app-password'
    keyVaultUrl: '${vault.properties.vaultUri}secrets/app-password'
    identity: identity.id
  }
]
var metricsSecretRef = empty(metricsToken) ? [] : [
  {
    name: 'metrics-token'
    keyVaultUrl: '${vault.properties.vaultUri}secrets/metrics-token'
    identity: identity.id
  }
]
var secretRefs = concat(databaseSecretRef, passwordSecretRef, metricsSecretRef)

var baseVariables = [
  {
    name: 'MicrosoftAppId'
    value: appId
  }
  {
    name: 'MicrosoftAppType'
    value: botAppType
  }
  {
    name: 'MicrosoftAppTenantId'
    value: tenant().tenantId
  }
  {
    name: 'DATABASE_URL'
    secretRef: 'database-url'
  }
  {
    name: 'HOST'
    value: '0.0.0.0'
  }
  {
    name: 'PORT'
    value: '3978'
  }
  {
    name: 'LOG_FORMAT'
    value: 'json'
  }
  {
    name: 'ADMINS'
    value: admins
  }
  {
    name: 'ALLOWED_TENANTS'
    value: allowedTenants
  }
  {
    // Replicas starting together migrate once (a database lock); see README "Operate".
    name: 'MIGRATE_ON_START'
    value: 'true'
  }
  {
    name: 'METRICS'
    value: empty(metricsToken) ? 'loopback' : 'token'
  }
  {
    // The SDK's managed identity credential takes its client id from here.
    name: 'AZURE_CLIENT_ID'
    value: identity.properties.clientId
  }
]
var passwordVariable = msi ? [] : [
  {
    name: 'MicrosoftAppPassword'
    secretRef: 'app-password'
  }
]
var metricsVariable = empty(metricsToken) ? [] : [
  {
    name: 'METRICS_TOKEN'
    secretRef: 'metrics-token'
  }
]
var environmentVariables = concat(baseVariables, passwordVariable, metricsVariable)

resource app 'Microsoft.App/containerApps@2023-05-01' = {
  name: '${name}-app'
  location: location
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: 3978
        transport: 'http'
        allowInsecure: false
      }
      registries: [
        {
          server: registry.properties.loginServer
          identity: identity.id
        }
      ]
      secrets: secretRefs
    }
    template: {
      // Up to SHUTDOWN_GRACE_SECONDS (10) for turns and sends in flight, plus margin.
      terminationGracePeriodSeconds: 30
      containers: [
        {
          name: 'mentorbot'
          image: image
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
          env: environmentVariables
          probes: [
            {
              type: 'Startup'
              httpGet: {
                path: '/livez'
                port: 3978
              }
              periodSeconds: 2
              failureThreshold: 30
            }
            {
              // Liveness never asks the database: an outage must not restart replicas.
              type: 'Liveness'
              httpGet: {
                path: '/livez'
                port: 3978
              }
              periodSeconds: 15
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: {
                path: '/readyz'
                port: 3978
              }
              periodSeconds: 10
              failureThreshold: 3
            }
          ]
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        rules: [
          {
            name: 'http'
            http: {
              metadata: {
                concurrentRequests: '50'
              }
            }
          }
        ]
      }
    }
  }
  dependsOn: [
    acrPull
    secretsUser
    database
    allowAzure
  ]
}

// --- the Azure Bot and its Teams channel ---------------------------------------------
resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: '${name}-bot-${suffix}'
  location: 'global'
  kind: 'azurebot'
  sku: {
    name: botSku
  }
  properties: {
    displayName: botDisplayName
    endpoint: 'https://${app.properties.configuration.ingress.fqdn}/api/messages'
    msaAppId: appId
    msaAppType: botAppType
    msaAppTenantId: tenant().tenantId
    msaAppMSIResourceId: msi ? identity.id : null
    disableLocalAuth: true
  }
}

resource teams 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
    }
  }
}

@description('The bot\'s public host (for the manifest: mentorbot manifest --base-url https://<this>).')
output BOT_DOMAIN string = app.properties.configuration.ingress.fqdn

@description('The messaging endpoint registered on the Azure Bot.')
output BOT_ENDPOINT string = 'https://${app.properties.configuration.ingress.fqdn}/api/messages'

@description('The bot\'s app id (the manifest\'s botId).')
output BOT_ID string = appId

@description('Container app name (az containerapp update --name).')
output CONTAINER_APP_NAME string = app.name

@description('Key Vault holding the secrets.')
output KEY_VAULT_NAME string = vault.name
