{{/*
The pod template shared by the DaemonSet (sensor mode) and the Deployment (relay mode).
*/}}
{{- define "zeek-zmq-shipper.podTemplate" -}}
metadata:
  annotations:
    # Rolls the pods when a setting the shipper applies only at start, or the chart's Zeek
    # script, changes; endpoint changes reach the running shipper through the mounted file.
    checksum/config: {{ include "zeek-zmq-shipper.configChecksum" . }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  labels:
    {{- include "zeek-zmq-shipper.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "zeek-zmq-shipper.serviceAccountName" . }}
  # Neither Zeek nor the shipper talks to the Kubernetes API.
  automountServiceAccountToken: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  terminationGracePeriodSeconds: {{ include "zeek-zmq-shipper.terminationGracePeriodSeconds" . }}
  securityContext:
    seccompProfile:
      type: RuntimeDefault
    {{- $relaySpool := and .Values.shipper.spool.enabled (eq .Values.mode "relay") }}
    {{- if or (include "zeek-zmq-shipper.curveVolumes" . | fromJsonArray) $relaySpool }}
    # The CURVE Secrets' files belong to root, and a fresh claim's root directory too; this
    # group (the shipper's) may read the first and write the second.
    fsGroup: 1000
    {{- end }}
    {{- if $relaySpool }}
    # Only the claim's root directory when it is not the group's yet, not every spool file
    # at every start.
    fsGroupChangePolicy: OnRootMismatch
    {{- end }}
  {{- if eq .Values.mode "sensor" }}
  # Zeek captures on the node's interface; the shipper shares the pod's network, so its
  # ports are taken on the node and cluster DNS still resolves connect-mode endpoints.
  hostNetwork: true
  dnsPolicy: ClusterFirstWithHostNet
  {{- with .Values.sensor.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  # The shipper is a native sidecar: Kubernetes starts Zeek only once the shipper's
  # startup probe (/readyz) passes, and stops the shipper only after Zeek has exited.
  initContainers:
    {{- if .Values.shipper.spool.enabled }}
    {{- include "zeek-zmq-shipper.spoolOwnerContainer" . | nindent 4 }}
    {{- end }}
    {{- include "zeek-zmq-shipper.shipperContainer" . | nindent 4 }}
  containers:
    {{- include "zeek-zmq-shipper.zeekContainer" . | nindent 4 }}
    {{- with .Values.extraContainers }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- else }}
  {{- with .Values.relay.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- if or .Values.relay.spreadOverNodes .Values.relay.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- if .Values.relay.spreadOverNodes }}
    # One node going down takes one relay, where the nodes allow it.
    - maxSkew: 1
      topologyKey: kubernetes.io/hostname
      whenUnsatisfiable: ScheduleAnyway
      labelSelector:
        matchLabels:
          {{- include "zeek-zmq-shipper.selectorLabels" . | nindent 10 }}
    {{- end }}
    {{- with .Values.relay.topologySpreadConstraints }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
  containers:
    {{- include "zeek-zmq-shipper.shipperContainer" . | nindent 4 }}
    {{- with .Values.extraContainers }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "zeek-zmq-shipper.fullname" . }}
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- if .Values.shipper.spool.enabled }}
    - name: spool
      {{- if eq .Values.mode "sensor" }}
      # The node's own directory: the spool outlives the pod (restarts, upgrades, eviction).
      hostPath:
        path: {{ include "zeek-zmq-shipper.spoolHostPath" . }}
        type: DirectoryOrCreate
      {{- else }}
      persistentVolumeClaim:
        claimName: {{ .Values.shipper.spool.persistentVolumeClaim }}
      {{- end }}
    {{- end }}
    {{- if eq .Values.mode "sensor" }}
    - name: socket
      emptyDir:
        sizeLimit: 1Mi
    # Zeek's working directory: its disk logs where zeek.diskLogs is on, else next to nothing.
    - name: zeek-logs
      emptyDir:
        sizeLimit: {{ ternary .Values.zeek.diskLogsSizeLimit "64Mi" .Values.zeek.diskLogs }}
    - name: zeek-tmp
      emptyDir:
        sizeLimit: 16Mi
    {{- end }}
    {{- range include "zeek-zmq-shipper.curveVolumes" . | fromJsonArray }}
    - name: {{ .volume }}
      secret:
        secretName: {{ .secret }}
        defaultMode: 256  # 0400: the kubelet makes it 0440 for the pod's fsGroup
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{/*
A probe: the handler given, and every other field from the values.
Called with (list handler-dict probe-values).
*/}}
{{- define "zeek-zmq-shipper.probe" -}}
{{- toYaml (merge (deepCopy (index . 1)) (index . 0)) }}
{{- end }}

{{/*
The downward-API variables that addresses may use: Kubernetes replaces $(NODE_IP) and
$(POD_IP) in the variables that follow them.
*/}}
{{- define "zeek-zmq-shipper.ipEnv" -}}
- name: NODE_IP
  valueFrom:
    fieldRef:
      fieldPath: status.hostIP
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
{{- end }}

{{/*
The shipper container. In sensor mode it is an init container with restartPolicy Always
(a native sidecar).
*/}}
{{- define "zeek-zmq-shipper.shipperContainer" -}}
- name: shipper
  image: {{ include "zeek-zmq-shipper.image" (list . .Values.image "" "image") | quote }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  {{- if eq .Values.mode "sensor" }}
  restartPolicy: Always
  {{- end }}
  env:
    {{- include "zeek-zmq-shipper.ipEnv" . | nindent 4 }}
    # The settings, endpoints included: the shipper reloads them when the kubelet updates
    # the file (the directory is mounted, not the file alone, which would never update).
    - name: ZEEK_ZMQ_CONFIG
      value: /etc/zeek-zmq-shipper/config.json
    # The input and HTTP addresses, here so that Kubernetes fills in $(NODE_IP) and
    # $(POD_IP); the shipper fills them in the file's endpoints from these variables.
    - name: ZEEK_ZMQ_INPUTS
      value: {{ include "zeek-zmq-shipper.input" . | quote }}
    - name: ZEEK_ZMQ_HTTP_HOST
      value: {{ include "zeek-zmq-shipper.httpHost" . | quote }}
    {{- with .Values.shipper.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.shipper.envFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  ports:
    - name: http
      containerPort: {{ .Values.httpPort }}
      protocol: TCP
    {{- if eq .Values.mode "relay" }}
    - name: input
      containerPort: {{ .Values.relay.inputPort }}
      protocol: TCP
    {{- end }}
    # No port per bind-mode endpoint: a reload adds and removes them without a new pod, and
    # the Service and NetworkPolicy name them by number.
  startupProbe:
    {{- include "zeek-zmq-shipper.probe" (list (dict "httpGet" (dict "path" "/readyz" "port" "http")) .Values.shipper.startupProbe) | nindent 4 }}
  livenessProbe:
    {{- include "zeek-zmq-shipper.probe" (list (dict "httpGet" (dict "path" "/livez" "port" "http")) .Values.shipper.livenessProbe) | nindent 4 }}
  readinessProbe:
    {{- include "zeek-zmq-shipper.probe" (list (dict "httpGet" (dict "path" "/readyz" "port" "http")) .Values.shipper.readinessProbe) | nindent 4 }}
  resources:
    {{- include "zeek-zmq-shipper.shipperResources" . | nindent 4 }}
  securityContext:
    runAsNonRoot: true
    runAsUser: 1000
    runAsGroup: 1000
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities:
      drop: ["ALL"]
    seccompProfile:
      type: RuntimeDefault
  volumeMounts:
    - name: config
      mountPath: /etc/zeek-zmq-shipper
      readOnly: true
    - name: tmp
      mountPath: /tmp
    {{- if .Values.shipper.spool.enabled }}
    - name: spool
      mountPath: {{ include "zeek-zmq-shipper.spoolDir" . }}
    {{- end }}
    {{- if eq .Values.mode "sensor" }}
    - name: socket
      mountPath: {{ include "zeek-zmq-shipper.socketDir" . }}
    {{- end }}
    {{- range include "zeek-zmq-shipper.curveVolumes" . | fromJsonArray }}
    - name: {{ .volume }}
      mountPath: {{ .path }}
      readOnly: true
    {{- end }}
    {{- with .Values.shipper.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}

{{/*
The spool's owner (sensor mode with shipper.spool): the kubelet creates a hostPath
directory as root, 0755, and fsGroup does not apply to hostPath volumes, so this container
hands it to the shipper's user before the shipper starts. It runs as root with CHOWN alone,
on that directory alone, and does nothing once the directory is the shipper's.
*/}}
{{- define "zeek-zmq-shipper.spoolOwnerContainer" -}}
- name: spool-owner
  image: {{ include "zeek-zmq-shipper.image" (list . .Values.image "" "image") | quote }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["chown", "1000:1000", {{ include "zeek-zmq-shipper.spoolDir" . | quote }}]
  resources:
    requests:
      cpu: 10m
      memory: 16Mi
    limits:
      memory: 16Mi
  securityContext:
    runAsUser: 0
    runAsNonRoot: false
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities:
      drop: ["ALL"]
      add: ["CHOWN"]
    seccompProfile:
      type: RuntimeDefault
  volumeMounts:
    - name: spool
      mountPath: {{ include "zeek-zmq-shipper.spoolDir" . }}
{{- end }}

{{/*
The Zeek container (sensor mode): live capture with only NET_RAW and NET_ADMIN added,
writing every log record into the shipper's ipc socket. It runs as root because the
image's zeek binary carries no file capabilities: a non-root process could not open a
capture socket. Root here holds no capability but those two, cannot gain more, and
writes only into its emptyDirs.
*/}}
{{- define "zeek-zmq-shipper.zeekContainer" -}}
- name: zeek
  image: {{ include "zeek-zmq-shipper.image" (list . .Values.zeek.image .Values.image.registry "zeek.image") | quote }}
  imagePullPolicy: {{ .Values.zeek.image.pullPolicy }}
  env:
    {{- include "zeek-zmq-shipper.ipEnv" . | nindent 4 }}
    - name: ZEEK_INTERFACE
      value: {{ .Values.zeek.interface | quote }}
    - name: ZEEK_ZMQ_WRITER_ENDPOINT
      value: {{ include "zeek-zmq-shipper.socket" . | quote }}
    - name: ZEEK_SEND_LOGS
      value: {{ join "," .Values.zeek.sendLogs | quote }}
    - name: ZEEK_EXCLUDED_LOG_IDS
      value: {{ join "," .Values.zeek.excludedLogIds | quote }}
    - name: ZEEK_ZMQ_WRITER_HWM
      value: {{ int .Values.zeek.writerHwm | quote }}
    - name: ZEEK_ZMQ_WRITER_LINGER_MS
      value: {{ int .Values.zeek.writerLingerMs | quote }}
    - name: ZEEK_DISK_LOGS
      value: {{ .Values.zeek.diskLogs | quote }}
    - name: ZEEK_TELEMETRY_PORT
      value: {{ int .Values.zeek.telemetryPort | quote }}
    # One Zeek process, or with more than one worker a cluster (manager, loggers, proxy,
    # workers on AF_PACKET fan-out) whose ports are on 127.0.0.1 of the node.
    - name: ZEEK_WORKERS
      value: {{ int .Values.zeek.workers | quote }}
    - name: ZEEK_LOGGERS
      value: {{ int .Values.zeek.loggers | quote }}
    - name: ZEEK_WORKER_CPUS
      value: {{ join "," .Values.zeek.workerCpus | quote }}
    - name: ZEEK_AF_PACKET_BUFFER_MB
      value: {{ int .Values.zeek.afPacketBufferMiB | quote }}
    - name: ZEEK_AF_PACKET_FANOUT_ID
      value: {{ int .Values.zeek.afPacketFanoutId | quote }}
    - name: ZEEK_CLUSTER_PORT
      value: {{ int .Values.zeek.clusterPort | quote }}
    # Zeek's telemetry (Telemetry::metrics_address) listens on the node's own IP, not on
    # every address of the node.
    - name: ZEEK_DEFAULT_LISTEN_ADDRESS
      value: "$(NODE_IP)"
    # Zeek's own scripts, then the chart's (log rotation).
    - name: ZEEK_SCRIPTS
      value: "local /etc/zeek-zmq-shipper/chart.zeek"
    {{- with .Values.zeek.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.zeek.envFrom }}
  envFrom:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- $telemetry := include "zeek-zmq-shipper.zeekTelemetryPorts" . | fromJsonArray }}
  {{- if $telemetry }}
  # Zeek's telemetry: one port, or one per cluster node (each node serves its own metrics).
  ports:
    {{- range $telemetry }}
    - name: {{ .name }}
      containerPort: {{ .port }}
      protocol: TCP
    {{- end }}
  # Zeek's telemetry answers from Zeek's own process (a cluster's manager: when any node
  # ends, the container stops the whole cluster).
  livenessProbe:
    {{- include "zeek-zmq-shipper.probe" (list (dict "httpGet" (dict "path" "/metrics" "port" (index $telemetry 0).name)) .Values.zeek.livenessProbe) | nindent 4 }}
  {{- else }}
  # Without telemetry, a zeek process alive in the container, not a zombie (the
  # entrypoint's wait for the shipper's socket is over once the shipper's startup probe passed).
  livenessProbe:
    {{- $alive := list "bash" "-c" "for p in /proc/[0-9]*; do [[ $(cat \"$p/comm\" 2>/dev/null) == zeek ]] && ! grep -qs '^State:[[:space:]]*Z' \"$p/status\" && exit 0; done; exit 1" }}
    {{- include "zeek-zmq-shipper.probe" (list (dict "exec" (dict "command" $alive)) .Values.zeek.livenessProbe) | nindent 4 }}
  {{- end }}
  resources:
    {{- include "zeek-zmq-shipper.zeekResources" . | nindent 4 }}
  securityContext:
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities:
      drop: ["ALL"]
      add: ["NET_RAW", "NET_ADMIN"]
    seccompProfile:
      type: RuntimeDefault
  volumeMounts:
    - name: socket
      mountPath: {{ include "zeek-zmq-shipper.socketDir" . }}
    - name: config
      mountPath: /etc/zeek-zmq-shipper
      readOnly: true
    - name: zeek-logs
      mountPath: /var/log/zeek
    - name: zeek-tmp
      mountPath: /tmp
    {{- with .Values.zeek.extraVolumeMounts }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}
