{{/*
The chart name, or nameOverride.
*/}}
{{- define "zeek-zmq-shipper.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's objects, truncated to 63 characters (the DNS label limit).
The release name is used alone when it already contains the chart name.
*/}}
{{- define "zeek-zmq-shipper.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "zeek-zmq-shipper.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "zeek-zmq-shipper.labels" -}}
helm.sh/chart: {{ include "zeek-zmq-shipper.chart" . }}
{{ include "zeek-zmq-shipper.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: {{ .Values.mode }}
{{- end }}

{{/*
Labels that select the release's pods.
*/}}
{{- define "zeek-zmq-shipper.selectorLabels" -}}
app.kubernetes.io/name: {{ include "zeek-zmq-shipper.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The ServiceAccount the pods run as.
*/}}
{{- define "zeek-zmq-shipper.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "zeek-zmq-shipper.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
An image reference: repository and tag, the tag defaulting to the chart's appVersion.
Called with the image's values: include "zeek-zmq-shipper.image" (list $ .Values.image)
*/}}
{{- define "zeek-zmq-shipper.image" -}}
{{- $root := index . 0 }}
{{- $image := index . 1 }}
{{- printf "%s:%s" $image.repository (default $root.Chart.AppVersion $image.tag) }}
{{- end }}

{{/*
The socket directory shared by Zeek and the shipper in sensor mode.
*/}}
{{- define "zeek-zmq-shipper.socketDir" -}}
/run/zeek-zmq
{{- end }}

{{/*
The ipc socket in that directory: the shipper's input binds it, Zeek's writer connects to it.
*/}}
{{- define "zeek-zmq-shipper.socket" -}}
{{- printf "ipc://%s/zeek.sock" (include "zeek-zmq-shipper.socketDir" .) }}
{{- end }}

{{/*
The shipper's configuration file. This is the one place where values become the
shipper's configuration keys (those of its convict schema); endpoints are passed
through as structured objects, which the shipper's config file accepts as they are.
The input binds the ipc socket in the directory shared with Zeek (sensor mode) or the
tcp port that remote sensors connect to (relay mode).
*/}}
{{- define "zeek-zmq-shipper.config" -}}
{{- $inputs := list (include "zeek-zmq-shipper.socket" .) }}
{{- if eq .Values.mode "relay" }}
{{- $inputs = list (printf "tcp://0.0.0.0:%d" (int .Values.relay.inputPort)) }}
{{- end }}
{{- $config := dict
  "inputs" $inputs
  "endpoints" .Values.endpoints
  "hwm" .Values.hwm
  "lingerMs" .Values.linger
  "sendLogs" .Values.sendLogs
  "excludedLogs" .Values.excludedLogs
  "peerTimeoutMs" .Values.peerTimeoutMs
  "maxRecordBytes" .Values.maxRecordBytes
  "maxPaths" .Values.maxPaths
  "pathIdleS" .Values.pathIdleS
  "httpHost" "0.0.0.0"
  "httpPort" .Values.httpPort
  "logLevel" .Values.logLevel
}}
{{- toPrettyJson $config }}
{{- end }}

{{/*
Service ports of the bind-mode tcp endpoints, as a JSON list of {name, port}: the
ports come from the endpoint addresses, so they are declared once.
*/}}
{{- define "zeek-zmq-shipper.bindPorts" -}}
{{- $ports := list }}
{{- range $index, $endpoint := .Values.endpoints }}
{{- if and (eq (default "connect" $endpoint.mode) "bind") (hasPrefix "tcp://" $endpoint.address) }}
{{- $port := regexFind "[0-9]+$" $endpoint.address | int }}
{{- $ports = append $ports (dict "name" (printf "endpoint-%d" $index) "port" $port "endpoint" $endpoint.name) }}
{{- end }}
{{- end }}
{{- toJson $ports }}
{{- end }}

{{/*
terminationGracePeriodSeconds: longer than the largest linger of any endpoint (the
shipper's drain on SIGTERM), plus Zeek's writer linger in sensor mode (Kubernetes stops
the Zeek container first and the native sidecar after it, within the same grace period),
plus a margin.
*/}}
{{- define "zeek-zmq-shipper.terminationGracePeriodSeconds" -}}
{{- $lingerMs := int .Values.linger }}
{{- range .Values.endpoints }}
{{- if hasKey . "linger" }}
{{- $lingerMs = max $lingerMs (int .linger) }}
{{- end }}
{{- end }}
{{- if eq .Values.mode "sensor" }}
{{- $lingerMs = add $lingerMs (int .Values.zeek.writerLingerMs) }}
{{- end }}
{{- add (div (add $lingerMs 999) 1000) (int .Values.terminationGraceMarginSeconds) }}
{{- end }}
