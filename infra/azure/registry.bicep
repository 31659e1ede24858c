// The container registry Mentorbot's image is pushed to (deployed first, so the image can
// be built into it before main.bicep starts the app). Outputs are named as the Agents
// Toolkit writes them into infra/env/.env.<env> (m365agents.yml).

@description('Short lowercase name prefix for every resource (3-12 letters or digits).')
@minLength(3)
@maxLength(12)
param name string

@description('Azure region of the resources.')
param location string = resourceGroup().location

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  // checkov:skip=CKV_AZURE_139: the registry is pushed to from a developer machine or CI (az acr build); Premium private endpoints are an option for locked-down networks.
  // checkov:skip=CKV_AZURE_163: vulnerability scanning is Microsoft Defender for Containers, a subscription setting, not a registry property.
  // checkov:skip=CKV_AZURE_164: image signing (content trust) needs the Premium SKU; images are pulled by digest from this registry only.
  // checkov:skip=CKV_AZURE_165: geo-replication needs the Premium SKU; one region is enough for one bot.
  // checkov:skip=CKV_AZURE_166: quarantine needs the Premium SKU and a scanner that releases images.
  // checkov:skip=CKV_AZURE_167: untagged-manifest retention needs the Premium SKU.
  // checkov:skip=CKV_AZURE_233: zone redundancy needs the Premium SKU.
  // checkov:skip=CKV_AZURE_237: dedicated data endpoints need the Premium SKU.
  name: '${name}${uniqueString(resourceGroup().id)}'
  location: location
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false // the app pulls with its managed identity (AcrPull)
    anonymousPullEnabled: false
  }
}

@description('Login server to tag and push images to, e.g. mentorbotab12cd.azurecr.io.')
output LOGIN_SERVER string = registry.properties.loginServer

@description('Registry name, for az acr build --registry.')
output REGISTRY_NAME string = registry.name
