{{/*
The pod template shared by the DaemonSet (sensor mode) and the Deployment (relay mode).
*/}}
{{- define "zeek-zmq-shipper.podTemplate" -}}
metadata:
  annotations:
    # Rolls the pods when the shipper's configuration changes.
    checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
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
    {{- include "zeek-zmq-shipper.shipperContainer" . | nindent 4 }}
  containers:
    {{- include "zeek-zmq-shipper.zeekContainer" . | nindent 4 }}
  {{- else }}
  {{- with .Values.relay.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    {{- include "zeek-zmq-shipper.shipperContainer" . | nindent 4 }}
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
    {{- if eq .Values.mode "sensor" }}
    - name: socket
      emptyDir:
        sizeLimit: 1Mi
    {{- end }}
{{- end }}

{{/*
The shipper container. In sensor mode it is an init container with restartPolicy Always
(a native sidecar).
*/}}
{{- define "zeek-zmq-shipper.shipperContainer" -}}
- name: shipper
  image: {{ include "zeek-zmq-shipper.image" (list . .Values.image) | quote }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  {{- if eq .Values.mode "sensor" }}
  restartPolicy: Always
  {{- end }}
  env:
    - name: ZEEK_ZMQ_CONFIG
      value: /etc/zeek-zmq-shipper/config.json
    {{- with .Values.shipper.extraEnv }}
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
    {{- range include "zeek-zmq-shipper.bindPorts" . | fromJsonArray }}
    - name: {{ .name }}
      containerPort: {{ .port }}
      protocol: TCP
    {{- end }}
  startupProbe:
    httpGet:
      path: /readyz
      port: http
    periodSeconds: {{ .Values.shipper.startupProbe.periodSeconds }}
    failureThreshold: {{ .Values.shipper.startupProbe.failureThreshold }}
  livenessProbe:
    httpGet:
      path: /livez
      port: http
    periodSeconds: {{ .Values.shipper.livenessProbe.periodSeconds }}
    failureThreshold: {{ .Values.shipper.livenessProbe.failureThreshold }}
  readinessProbe:
    httpGet:
      path: /readyz
      port: http
    periodSeconds: {{ .Values.shipper.readinessProbe.periodSeconds }}
    failureThreshold: {{ .Values.shipper.readinessProbe.failureThreshold }}
  {{- with .Values.shipper.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
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
    {{- if eq .Values.mode "sensor" }}
    - name: socket
      mountPath: {{ include "zeek-zmq-shipper.socketDir" . }}
    {{- end }}
{{- end }}

{{/*
The Zeek container (sensor mode): live capture with only NET_RAW and NET_ADMIN added,
writing every log record into the shipper's ipc socket.
*/}}
{{- define "zeek-zmq-shipper.zeekContainer" -}}
- name: zeek
  image: {{ include "zeek-zmq-shipper.image" (list . .Values.zeek.image) | quote }}
  imagePullPolicy: {{ .Values.zeek.image.pullPolicy }}
  env:
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
    {{- with .Values.zeek.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- if gt (int .Values.zeek.telemetryPort) 0 }}
  ports:
    - name: zeek-telemetry
      containerPort: {{ .Values.zeek.telemetryPort }}
      protocol: TCP
  {{- end }}
  {{- with .Values.zeek.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    allowPrivilegeEscalation: false
    capabilities:
      drop: ["ALL"]
      add: ["NET_RAW", "NET_ADMIN"]
    seccompProfile:
      type: RuntimeDefault
  volumeMounts:
    - name: socket
      mountPath: {{ include "zeek-zmq-shipper.socketDir" . }}
{{- end }}
