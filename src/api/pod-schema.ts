/**
 * The field names and types of a Pod and everything inside it, as data (not code), so admission
 * can tell an unknown field (`unknown field "spec.containers[0].livnessProbe"`) and a wrong type
 * from a valid one, and so nothing in a manifest is silently ignored (DESIGN principle 4).
 *
 * Derived from the `kubernetes-types` 1.30 declarations (core/v1, meta/v1) by walking from Pod,
 * plus the fields added up to Kubernetes 1.33: PodSpec.resources, PodSecurityContext
 * .seLinuxChangePolicy/.supplementalGroupsPolicy, PodResourceClaim.resourceClaimName/
 * .resourceClaimTemplateName (replacing .source), ResourceClaim.request, Volume.image,
 * Lifecycle.stopSignal, ContainerStatus.allocatedResourcesStatus/.stopSignal/.user and the
 * observedGeneration of PodStatus and PodCondition.
 *
 * Each entry is `field:type` separated by spaces. Types: `s` string, `i` integer, `b` boolean,
 * `q` resource quantity (string or number), `x` int-or-string, `*` any JSON, or a type name from
 * this table; a `[]` suffix is a list of that type, a `{}` suffix a map from strings to it.
 */
export const POD_SCHEMA: Readonly<Record<string, string>> = {
  AWSElasticBlockStoreVolumeSource: 'fsType:s partition:i readOnly:b volumeID:s',
  Affinity: 'nodeAffinity:NodeAffinity podAffinity:PodAffinity podAntiAffinity:PodAntiAffinity',
  AppArmorProfile: 'localhostProfile:s type:s',
  AzureDiskVolumeSource: 'cachingMode:s diskName:s diskURI:s fsType:s kind:s readOnly:b',
  AzureFileVolumeSource: 'readOnly:b secretName:s shareName:s',
  CSIVolumeSource:
    'driver:s fsType:s nodePublishSecretRef:LocalObjectReference readOnly:b volumeAttributes:s{}',
  Capabilities: 'add:s[] drop:s[]',
  CephFSVolumeSource: 'monitors:s[] path:s readOnly:b secretFile:s secretRef:LocalObjectReference user:s',
  CinderVolumeSource: 'fsType:s readOnly:b secretRef:LocalObjectReference volumeID:s',
  ClusterTrustBundleProjection: 'labelSelector:LabelSelector name:s optional:b path:s signerName:s',
  ConfigMapEnvSource: 'name:s optional:b',
  ConfigMapKeySelector: 'key:s name:s optional:b',
  ConfigMapProjection: 'items:KeyToPath[] name:s optional:b',
  ConfigMapVolumeSource: 'defaultMode:i items:KeyToPath[] name:s optional:b',
  Container:
    'args:s[] command:s[] env:EnvVar[] envFrom:EnvFromSource[] image:s imagePullPolicy:s lifecycle:Lifecycle livenessProbe:Probe name:s ports:ContainerPort[] readinessProbe:Probe resizePolicy:ContainerResizePolicy[] resources:ResourceRequirements restartPolicy:s securityContext:SecurityContext startupProbe:Probe stdin:b stdinOnce:b terminationMessagePath:s terminationMessagePolicy:s tty:b volumeDevices:VolumeDevice[] volumeMounts:VolumeMount[] workingDir:s',
  ContainerPort: 'containerPort:i hostIP:s hostPort:i name:s protocol:s',
  ContainerResizePolicy: 'resourceName:s restartPolicy:s',
  ContainerState:
    'running:ContainerStateRunning terminated:ContainerStateTerminated waiting:ContainerStateWaiting',
  ContainerStateRunning: 'startedAt:s',
  ContainerStateTerminated: 'containerID:s exitCode:i finishedAt:s message:s reason:s signal:i startedAt:s',
  ContainerStateWaiting: 'message:s reason:s',
  ContainerStatus:
    'allocatedResources:q{} allocatedResourcesStatus:ResourceStatus[] containerID:s image:s imageID:s lastState:ContainerState name:s ready:b resources:ResourceRequirements restartCount:i started:b state:ContainerState stopSignal:s user:ContainerUser volumeMounts:VolumeMountStatus[]',
  ContainerUser: 'linux:LinuxContainerUser',
  DownwardAPIProjection: 'items:DownwardAPIVolumeFile[]',
  DownwardAPIVolumeFile: 'fieldRef:ObjectFieldSelector mode:i path:s resourceFieldRef:ResourceFieldSelector',
  DownwardAPIVolumeSource: 'defaultMode:i items:DownwardAPIVolumeFile[]',
  EmptyDirVolumeSource: 'medium:s sizeLimit:q',
  EnvFromSource: 'configMapRef:ConfigMapEnvSource prefix:s secretRef:SecretEnvSource',
  EnvVar: 'name:s value:s valueFrom:EnvVarSource',
  EnvVarSource:
    'configMapKeyRef:ConfigMapKeySelector fieldRef:ObjectFieldSelector resourceFieldRef:ResourceFieldSelector secretKeyRef:SecretKeySelector',
  EphemeralContainer:
    'args:s[] command:s[] env:EnvVar[] envFrom:EnvFromSource[] image:s imagePullPolicy:s lifecycle:Lifecycle livenessProbe:Probe name:s ports:ContainerPort[] readinessProbe:Probe resizePolicy:ContainerResizePolicy[] resources:ResourceRequirements restartPolicy:s securityContext:SecurityContext startupProbe:Probe stdin:b stdinOnce:b targetContainerName:s terminationMessagePath:s terminationMessagePolicy:s tty:b volumeDevices:VolumeDevice[] volumeMounts:VolumeMount[] workingDir:s',
  EphemeralVolumeSource: 'volumeClaimTemplate:PersistentVolumeClaimTemplate',
  ExecAction: 'command:s[]',
  FCVolumeSource: 'fsType:s lun:i readOnly:b targetWWNs:s[] wwids:s[]',
  FlexVolumeSource: 'driver:s fsType:s options:s{} readOnly:b secretRef:LocalObjectReference',
  FlockerVolumeSource: 'datasetName:s datasetUUID:s',
  GCEPersistentDiskVolumeSource: 'fsType:s partition:i pdName:s readOnly:b',
  GRPCAction: 'port:i service:s',
  GitRepoVolumeSource: 'directory:s repository:s revision:s',
  GlusterfsVolumeSource: 'endpoints:s path:s readOnly:b',
  HTTPGetAction: 'host:s httpHeaders:HTTPHeader[] path:s port:x scheme:s',
  HTTPHeader: 'name:s value:s',
  HostAlias: 'hostnames:s[] ip:s',
  HostIP: 'ip:s',
  HostPathVolumeSource: 'path:s type:s',
  ISCSIVolumeSource:
    'chapAuthDiscovery:b chapAuthSession:b fsType:s initiatorName:s iqn:s iscsiInterface:s lun:i portals:s[] readOnly:b secretRef:LocalObjectReference targetPortal:s',
  ImageVolumeSource: 'pullPolicy:s reference:s',
  KeyToPath: 'key:s mode:i path:s',
  LabelSelector: 'matchExpressions:LabelSelectorRequirement[] matchLabels:s{}',
  LabelSelectorRequirement: 'key:s operator:s values:s[]',
  Lifecycle: 'postStart:LifecycleHandler preStop:LifecycleHandler stopSignal:s',
  LifecycleHandler: 'exec:ExecAction httpGet:HTTPGetAction sleep:SleepAction tcpSocket:TCPSocketAction',
  LinuxContainerUser: 'gid:i supplementalGroups:i[] uid:i',
  LocalObjectReference: 'name:s',
  ManagedFieldsEntry: 'apiVersion:s fieldsType:s fieldsV1:* manager:s operation:s subresource:s time:s',
  NFSVolumeSource: 'path:s readOnly:b server:s',
  NodeAffinity:
    'preferredDuringSchedulingIgnoredDuringExecution:PreferredSchedulingTerm[] requiredDuringSchedulingIgnoredDuringExecution:NodeSelector',
  NodeSelector: 'nodeSelectorTerms:NodeSelectorTerm[]',
  NodeSelectorRequirement: 'key:s operator:s values:s[]',
  NodeSelectorTerm: 'matchExpressions:NodeSelectorRequirement[] matchFields:NodeSelectorRequirement[]',
  ObjectFieldSelector: 'apiVersion:s fieldPath:s',
  ObjectMeta:
    'annotations:s{} creationTimestamp:s deletionGracePeriodSeconds:i deletionTimestamp:s finalizers:s[] generateName:s generation:i labels:s{} managedFields:ManagedFieldsEntry[] name:s namespace:s ownerReferences:OwnerReference[] resourceVersion:s selfLink:s uid:s',
  OwnerReference: 'apiVersion:s blockOwnerDeletion:b controller:b kind:s name:s uid:s',
  PersistentVolumeClaimSpec:
    'accessModes:s[] dataSource:TypedLocalObjectReference dataSourceRef:TypedObjectReference resources:VolumeResourceRequirements selector:LabelSelector storageClassName:s volumeAttributesClassName:s volumeMode:s volumeName:s',
  PersistentVolumeClaimTemplate: 'metadata:ObjectMeta spec:PersistentVolumeClaimSpec',
  PersistentVolumeClaimVolumeSource: 'claimName:s readOnly:b',
  PhotonPersistentDiskVolumeSource: 'fsType:s pdID:s',
  Pod: 'apiVersion:s kind:s metadata:ObjectMeta spec:PodSpec status:PodStatus',
  PodAffinity:
    'preferredDuringSchedulingIgnoredDuringExecution:WeightedPodAffinityTerm[] requiredDuringSchedulingIgnoredDuringExecution:PodAffinityTerm[]',
  PodAffinityTerm:
    'labelSelector:LabelSelector matchLabelKeys:s[] mismatchLabelKeys:s[] namespaceSelector:LabelSelector namespaces:s[] topologyKey:s',
  PodAntiAffinity:
    'preferredDuringSchedulingIgnoredDuringExecution:WeightedPodAffinityTerm[] requiredDuringSchedulingIgnoredDuringExecution:PodAffinityTerm[]',
  PodCondition:
    'lastProbeTime:s lastTransitionTime:s message:s observedGeneration:i reason:s status:s type:s',
  PodDNSConfig: 'nameservers:s[] options:PodDNSConfigOption[] searches:s[]',
  PodDNSConfigOption: 'name:s value:s',
  PodIP: 'ip:s',
  PodOS: 'name:s',
  PodReadinessGate: 'conditionType:s',
  PodResourceClaim: 'name:s resourceClaimName:s resourceClaimTemplateName:s',
  PodResourceClaimStatus: 'name:s resourceClaimName:s',
  PodSchedulingGate: 'name:s',
  PodSecurityContext:
    'appArmorProfile:AppArmorProfile fsGroup:i fsGroupChangePolicy:s runAsGroup:i runAsNonRoot:b runAsUser:i seLinuxChangePolicy:s seLinuxOptions:SELinuxOptions seccompProfile:SeccompProfile supplementalGroups:i[] supplementalGroupsPolicy:s sysctls:Sysctl[] windowsOptions:WindowsSecurityContextOptions',
  PodSpec:
    'activeDeadlineSeconds:i affinity:Affinity automountServiceAccountToken:b containers:Container[] dnsConfig:PodDNSConfig dnsPolicy:s enableServiceLinks:b ephemeralContainers:EphemeralContainer[] hostAliases:HostAlias[] hostIPC:b hostNetwork:b hostPID:b hostUsers:b hostname:s imagePullSecrets:LocalObjectReference[] initContainers:Container[] nodeName:s nodeSelector:s{} os:PodOS overhead:q{} preemptionPolicy:s priority:i priorityClassName:s readinessGates:PodReadinessGate[] resourceClaims:PodResourceClaim[] resources:ResourceRequirements restartPolicy:s runtimeClassName:s schedulerName:s schedulingGates:PodSchedulingGate[] securityContext:PodSecurityContext serviceAccount:s serviceAccountName:s setHostnameAsFQDN:b shareProcessNamespace:b subdomain:s terminationGracePeriodSeconds:i tolerations:Toleration[] topologySpreadConstraints:TopologySpreadConstraint[] volumes:Volume[]',
  PodStatus:
    'conditions:PodCondition[] containerStatuses:ContainerStatus[] ephemeralContainerStatuses:ContainerStatus[] hostIP:s hostIPs:HostIP[] initContainerStatuses:ContainerStatus[] message:s nominatedNodeName:s observedGeneration:i phase:s podIP:s podIPs:PodIP[] qosClass:s reason:s resize:s resourceClaimStatuses:PodResourceClaimStatus[] startTime:s',
  PortworxVolumeSource: 'fsType:s readOnly:b volumeID:s',
  PreferredSchedulingTerm: 'preference:NodeSelectorTerm weight:i',
  Probe:
    'exec:ExecAction failureThreshold:i grpc:GRPCAction httpGet:HTTPGetAction initialDelaySeconds:i periodSeconds:i successThreshold:i tcpSocket:TCPSocketAction terminationGracePeriodSeconds:i timeoutSeconds:i',
  ProjectedVolumeSource: 'defaultMode:i sources:VolumeProjection[]',
  QuobyteVolumeSource: 'group:s readOnly:b registry:s tenant:s user:s volume:s',
  RBDVolumeSource:
    'fsType:s image:s keyring:s monitors:s[] pool:s readOnly:b secretRef:LocalObjectReference user:s',
  ResourceClaim: 'name:s request:s',
  ResourceFieldSelector: 'containerName:s divisor:q resource:s',
  ResourceHealth: 'health:s resourceID:s',
  ResourceRequirements: 'claims:ResourceClaim[] limits:q{} requests:q{}',
  ResourceStatus: 'name:s resources:ResourceHealth[]',
  SELinuxOptions: 'level:s role:s type:s user:s',
  ScaleIOVolumeSource:
    'fsType:s gateway:s protectionDomain:s readOnly:b secretRef:LocalObjectReference sslEnabled:b storageMode:s storagePool:s system:s volumeName:s',
  SeccompProfile: 'localhostProfile:s type:s',
  SecretEnvSource: 'name:s optional:b',
  SecretKeySelector: 'key:s name:s optional:b',
  SecretProjection: 'items:KeyToPath[] name:s optional:b',
  SecretVolumeSource: 'defaultMode:i items:KeyToPath[] optional:b secretName:s',
  SecurityContext:
    'allowPrivilegeEscalation:b appArmorProfile:AppArmorProfile capabilities:Capabilities privileged:b procMount:s readOnlyRootFilesystem:b runAsGroup:i runAsNonRoot:b runAsUser:i seLinuxOptions:SELinuxOptions seccompProfile:SeccompProfile windowsOptions:WindowsSecurityContextOptions',
  ServiceAccountTokenProjection: 'audience:s expirationSeconds:i path:s',
  SleepAction: 'seconds:i',
  StorageOSVolumeSource: 'fsType:s readOnly:b secretRef:LocalObjectReference volumeName:s volumeNamespace:s',
  Sysctl: 'name:s value:s',
  TCPSocketAction: 'host:s port:x',
  Toleration: 'effect:s key:s operator:s tolerationSeconds:i value:s',
  TopologySpreadConstraint:
    'labelSelector:LabelSelector matchLabelKeys:s[] maxSkew:i minDomains:i nodeAffinityPolicy:s nodeTaintsPolicy:s topologyKey:s whenUnsatisfiable:s',
  TypedLocalObjectReference: 'apiGroup:s kind:s name:s',
  TypedObjectReference: 'apiGroup:s kind:s name:s namespace:s',
  Volume:
    'awsElasticBlockStore:AWSElasticBlockStoreVolumeSource azureDisk:AzureDiskVolumeSource azureFile:AzureFileVolumeSource cephfs:CephFSVolumeSource cinder:CinderVolumeSource configMap:ConfigMapVolumeSource csi:CSIVolumeSource downwardAPI:DownwardAPIVolumeSource emptyDir:EmptyDirVolumeSource ephemeral:EphemeralVolumeSource fc:FCVolumeSource flexVolume:FlexVolumeSource flocker:FlockerVolumeSource gcePersistentDisk:GCEPersistentDiskVolumeSource gitRepo:GitRepoVolumeSource glusterfs:GlusterfsVolumeSource hostPath:HostPathVolumeSource image:ImageVolumeSource iscsi:ISCSIVolumeSource name:s nfs:NFSVolumeSource persistentVolumeClaim:PersistentVolumeClaimVolumeSource photonPersistentDisk:PhotonPersistentDiskVolumeSource portworxVolume:PortworxVolumeSource projected:ProjectedVolumeSource quobyte:QuobyteVolumeSource rbd:RBDVolumeSource scaleIO:ScaleIOVolumeSource secret:SecretVolumeSource storageos:StorageOSVolumeSource vsphereVolume:VsphereVirtualDiskVolumeSource',
  VolumeDevice: 'devicePath:s name:s',
  VolumeMount: 'mountPath:s mountPropagation:s name:s readOnly:b recursiveReadOnly:s subPath:s subPathExpr:s',
  VolumeMountStatus: 'mountPath:s name:s readOnly:b recursiveReadOnly:s',
  VolumeProjection:
    'clusterTrustBundle:ClusterTrustBundleProjection configMap:ConfigMapProjection downwardAPI:DownwardAPIProjection secret:SecretProjection serviceAccountToken:ServiceAccountTokenProjection',
  VolumeResourceRequirements: 'limits:q{} requests:q{}',
  VsphereVirtualDiskVolumeSource: 'fsType:s storagePolicyID:s storagePolicyName:s volumePath:s',
  WeightedPodAffinityTerm: 'podAffinityTerm:PodAffinityTerm weight:i',
  WindowsSecurityContextOptions:
    'gmsaCredentialSpec:s gmsaCredentialSpecName:s hostProcess:b runAsUserName:s',
};
