/**
 * The fields of a Service, of the workload kinds (Deployment, ReplicaSet, ReplicationController)
 * and of settings.k8s.io/v1alpha1 PodPreset,
 * in the notation of `pod-schema.ts`, so their admission decodes untrusted input as a Pod's does:
 * a wrong type is a field error (not a crash in defaulting), an unknown field is reported and
 * dropped. From core/v1 and apps/v1 of Kubernetes 1.33. Status is the server's: it is taken as
 * any JSON here and replaced or dropped by the kind's admission.
 */
export const OBJECT_SCHEMA: Readonly<Record<string, string>> = {
  Service: 'apiVersion:s kind:s metadata:ObjectMeta spec:ServiceSpec status:*',
  ServiceSpec:
    'allocateLoadBalancerNodePorts:b clusterIP:s clusterIPs:s[] externalIPs:s[] externalName:s externalTrafficPolicy:s healthCheckNodePort:i internalTrafficPolicy:s ipFamilies:s[] ipFamilyPolicy:s loadBalancerClass:s loadBalancerIP:s loadBalancerSourceRanges:s[] ports:ServicePort[] publishNotReadyAddresses:b selector:s{} sessionAffinity:s sessionAffinityConfig:SessionAffinityConfig trafficDistribution:s type:s',
  ServicePort: 'appProtocol:s name:s nodePort:i port:i protocol:s targetPort:x',
  SessionAffinityConfig: 'clientIP:ClientIPConfig',
  ClientIPConfig: 'timeoutSeconds:i',
  PodTemplateSpec: 'metadata:ObjectMeta spec:PodSpec',
  Deployment: 'apiVersion:s kind:s metadata:ObjectMeta spec:DeploymentSpec status:*',
  DeploymentSpec:
    'minReadySeconds:i paused:b progressDeadlineSeconds:i replicas:i revisionHistoryLimit:i selector:LabelSelector strategy:DeploymentStrategy template:PodTemplateSpec',
  DeploymentStrategy: 'rollingUpdate:RollingUpdateDeployment type:s',
  RollingUpdateDeployment: 'maxSurge:x maxUnavailable:x',
  ReplicaSet: 'apiVersion:s kind:s metadata:ObjectMeta spec:ReplicaSetSpec status:*',
  ReplicaSetSpec: 'minReadySeconds:i replicas:i selector:LabelSelector template:PodTemplateSpec',
  ReplicationController: 'apiVersion:s kind:s metadata:ObjectMeta spec:ReplicationControllerSpec status:*',
  ReplicationControllerSpec: 'minReadySeconds:i replicas:i selector:s{} template:PodTemplateSpec',
  PodPreset: 'apiVersion:s kind:s metadata:ObjectMeta spec:PodPresetSpec',
  PodPresetSpec:
    'env:EnvVar[] envFrom:EnvFromSource[] selector:LabelSelector volumeMounts:VolumeMount[] volumes:Volume[]',
};
