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
Labels of every object but the pods: the standard ones, and the component (the mode, or
what the object is for: `metrics`, `test`).
Called with the root context, or with (list $ "component") for another component.
*/}}
{{- define "zeek-zmq-shipper.labels" -}}
{{- $root := . }}
{{- $component := "" }}
{{- if kindIs "slice" . }}
{{- $root = index . 0 }}
{{- $component = index . 1 }}
{{- else }}
{{- $component = .Values.mode }}
{{- end -}}
helm.sh/chart: {{ include "zeek-zmq-shipper.chart" $root }}
{{ include "zeek-zmq-shipper.selectorLabels" $root }}
app.kubernetes.io/version: {{ $root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ $root.Release.Service }}
app.kubernetes.io/component: {{ $component }}
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
An image reference: registry/repository, then @digest if set, else :tag (the chart's
appVersion by default). Called with (list $ image-values fallback-registry what).
The images are built from this repository, so there is no registry to default to: an
empty one fails here instead of resolving to an unrelated image on Docker Hub.
*/}}
{{- define "zeek-zmq-shipper.image" -}}
{{- $root := index . 0 }}
{{- $image := index . 1 }}
{{- $registry := default (index . 2) $image.registry | trimSuffix "/" }}
{{- if not $registry }}
{{- fail (printf "%s.registry is empty: the images are built from this repository and pushed to your registry (see the chart README, Images); set image.registry to it" (index . 3)) }}
{{- end }}
{{- if $image.digest }}
{{- printf "%s/%s@%s" $registry $image.repository $image.digest }}
{{- else }}
{{- printf "%s/%s:%s" $registry $image.repository (default $root.Chart.AppVersion $image.tag) }}
{{- end }}
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
shipper's configuration keys (those of its convict schema), with the addresses aside:
inputs, endpoints and the HTTP host are environment variables ("zeek-zmq-shipper.addressEnv"),
so that Kubernetes fills in $(NODE_IP) and $(POD_IP) there.
*/}}
{{- define "zeek-zmq-shipper.config" -}}
{{- $config := dict
  "hwm" .Values.hwm
  "lingerMs" .Values.linger
  "sendLogs" .Values.sendLogs
  "excludedLogs" .Values.excludedLogs
  "peerTimeoutMs" .Values.peerTimeoutMs
  "maxRecordBytes" .Values.maxRecordBytes
  "queueBytes" .Values.queueBytes
  "memoryLimitBytes" .Values.memoryLimitBytes
  "maxTopicBytes" .Values.maxTopicBytes
  "maxSubscriptions" .Values.maxSubscriptions
  "maxPaths" .Values.maxPaths
  "pathIdleS" .Values.pathIdleS
  "httpPort" .Values.httpPort
  "logLevel" .Values.logLevel
}}
{{- toPrettyJson $config }}
{{- end }}

{{/*
Zeek script the chart adds to Zeek's own (sensor mode): the rotation of its disk logs. Only
the ASCII files' filters (each stream's "default" one, left in place by zeek.diskLogs)
rotate; the ZeroMQ writer's filters do not, so Log::default_rotation_interval stays as is.
*/}}
{{- define "zeek-zmq-shipper.zeekScript" -}}
# Zeek settings from the chart's values.
{{- if .Values.zeek.diskLogs }}
# Rotate the ASCII logs every zeek.logRotationInterval, after every script has set up
# its filters (the zeek-zmq-shipper package removes them at priority -10 without disk logs).
event zeek_init() &priority=-20
	{
	for ( id in Log::active_streams )
		{
		local filter = Log::get_filter(id, "default");
		if ( filter$name == Log::no_filter$name )
			next;
		filter$interv = {{ .Values.zeek.logRotationInterval }};
		Log::add_filter(id, filter);
		}
	}
{{- else }}
# zeek.diskLogs is off: no ASCII logs to rotate.
{{- end }}
{{- end }}

{{/*
The shipper's input: the ipc socket shared with Zeek (sensor mode), or the tcp port
remote sensors connect to (relay mode).
*/}}
{{- define "zeek-zmq-shipper.input" -}}
{{- if eq .Values.mode "relay" }}
{{- printf "tcp://%s:%d" .Values.relay.inputHost (int .Values.relay.inputPort) }}
{{- else }}
{{- include "zeek-zmq-shipper.socket" . }}
{{- end }}
{{- end }}

{{/*
The HTTP host: the node's own IP in sensor mode (the pod is on the host network),
the pod's whole network in relay mode.
*/}}
{{- define "zeek-zmq-shipper.httpHost" -}}
{{- if .Values.httpHost }}
{{- .Values.httpHost }}
{{- else if eq .Values.mode "sensor" }}
{{- print "$(NODE_IP)" }}
{{- else }}
{{- print "0.0.0.0" }}
{{- end }}
{{- end }}

{{/*
The endpoints as ZEEK_ZMQ_ENDPOINTS specs, `address?name=..&mode=..`, one a line: every
key of an endpoint value but `alerting` (the chart's, not the shipper's), lists joined
with ",", each value query-escaped.
*/}}
{{- define "zeek-zmq-shipper.endpointSpecs" -}}
{{- $specs := list }}
{{- range .Values.endpoints }}
{{- $params := list (printf "name=%s" (urlquery .name)) }}
{{- $endpoint := . }}
{{- range $key := list "mode" "hwm" "hwmBytes" "linger" "include" "exclude" }}
{{- if hasKey $endpoint $key }}
{{- $value := get $endpoint $key }}
{{- if kindIs "slice" $value }}
{{- $value = join "," $value }}
{{- end }}
{{- $params = append $params (printf "%s=%s" (get (dict "hwmBytes" "hwm_bytes") $key | default $key) (urlquery (toString $value))) }}
{{- end }}
{{- end }}
{{- $specs = append $specs (printf "%s?%s" .address (join "&" $params)) }}
{{- end }}
{{- join "\n" $specs }}
{{- end }}

{{/*
The hash that rolls the pods: the rendered configuration and Zeek script alone, not
the ConfigMap's labels (with the chart version), so that a chart upgrade that changes
nothing in them restarts no sensor.
*/}}
{{- define "zeek-zmq-shipper.configChecksum" -}}
{{- list (include "zeek-zmq-shipper.config" .) (include "zeek-zmq-shipper.zeekScript" .) | toJson | sha256sum }}
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

{{/*
Refuses values that would render cleanly and fail later, at the API server or at run
time, each with a message naming what collides or what is missing. Rendered once, by the
workload's template.
*/}}
{{- define "zeek-zmq-shipper.validate" -}}
{{- $names := dict }}
{{- $ports := dict }}
{{- $ports = set $ports (toString (int .Values.httpPort)) "httpPort" }}
{{- if eq .Values.mode "relay" }}
{{- $port := toString (int .Values.relay.inputPort) }}
{{- if hasKey $ports $port }}
{{- fail (printf "relay.inputPort %s is also %s" $port (get $ports $port)) }}
{{- end }}
{{- $ports = set $ports $port "relay.inputPort" }}
{{- end }}
{{- if and (eq .Values.mode "sensor") (gt (int .Values.zeek.telemetryPort) 0) }}
{{- $port := toString (int .Values.zeek.telemetryPort) }}
{{- if hasKey $ports $port }}
{{- fail (printf "zeek.telemetryPort %s is also %s" $port (get $ports $port)) }}
{{- end }}
{{- $ports = set $ports $port "zeek.telemetryPort" }}
{{- end }}
{{- range .Values.endpoints }}
{{- if hasKey $names .name }}
{{- fail (printf "two endpoints are named %q: endpoint names label the metrics and must be unique" .name) }}
{{- end }}
{{- $_ := set $names .name true }}
{{- if and (eq $.Values.mode "relay") (contains "$(NODE_IP)" .address) }}
{{- fail (printf "endpoint %q binds on $(NODE_IP), which relay pods do not have (they are not on the host network): use $(POD_IP) or 0.0.0.0" .name) }}
{{- end }}
{{- if and (eq (default "connect" .mode) "bind") (hasPrefix "tcp://" .address) }}
{{- $port := regexFind "[0-9]+$" .address | int | toString }}
{{- $what := printf "the port of endpoint %q" .name }}
{{- if hasKey $ports $port }}
{{- fail (printf "%s (%s) is also %s" $what $port (get $ports $port)) }}
{{- end }}
{{- $ports = set $ports $port $what }}
{{- end }}
{{- end }}
{{- if and (eq .Values.mode "relay") (contains "$(NODE_IP)" (include "zeek-zmq-shipper.httpHost" .)) }}
{{- fail "httpHost is $(NODE_IP), which relay pods do not have: use $(POD_IP), 0.0.0.0 or leave it empty" }}
{{- end }}
{{- $firstBind := "" }}
{{- range .Values.endpoints }}
{{- if and (not $firstBind) (eq (default "connect" .mode) "bind") }}
{{- $firstBind = .name }}
{{- end }}
{{- end }}
{{- if and (eq .Values.mode "relay") (gt (int .Values.relay.replicas) 1) (not .Values.relay.allowSharding) $firstBind }}
{{- fail (printf "relay.replicas is %d and endpoint %q is bind-mode: a subscriber connecting through the Service reaches one random relay pod and gets only the records of the sensors connected to that one. Use connect-mode endpoints (the relays connect to your collector), one replica, or set relay.allowSharding=true if you subscribe to every relay pod yourself" (int .Values.relay.replicas) $firstBind) }}
{{- end }}
{{- if and (eq .Values.mode "sensor") .Values.networkPolicy.enabled }}
{{- fail "networkPolicy.enabled: sensor pods are on the host network, where a NetworkPolicy has no effect; restrict the node's ports with the node's firewall instead (see the chart README, Exposure)" }}
{{- end }}
{{- end }}

{{/*
The ServiceMonitor's relabelings of a scrape endpoint, called with the job name.
The shipper's metrics carry their own "endpoint" label (the ZeroMQ endpoint's name); the
Prometheus Operator's target label "endpoint" (the port name) is dropped, so that the
shipper's survives whether or not the Prometheus honours labels (overrideHonorLabels).
The job is the one the rules and the dashboard expect, as in compose: zeek-zmq-shipper
for the shipper, zeek for Zeek's telemetry.
*/}}
{{- define "zeek-zmq-shipper.scrapeRelabelings" -}}
- action: labeldrop
  regex: endpoint
- action: replace
  targetLabel: job
  replacement: {{ . }}
{{- end }}

{{/*
Labels of the helm test pod: the release's, but never the workload's selector labels,
which the DaemonSet or Deployment controller would adopt (and delete) it by.
*/}}
{{- define "zeek-zmq-shipper.testSelectorLabels" -}}
app.kubernetes.io/name: {{ include "zeek-zmq-shipper.name" . }}-test
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Service ports of the bind-mode tcp endpoints, as a JSON list of {name, port, endpoint}:
the ports come from the endpoint addresses, so they are declared once.
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
The shipper container's memory limit, where shipper.resources sets none: the worst case of
the shipper's own memory settings, as the README's "Limits" section states it, with one
subscriber connection per endpoint. In bytes.
*/}}
{{- define "zeek-zmq-shipper.shipperMemoryLimit" -}}
{{- $mib := 1048576 }}
{{- $record := int64 .Values.maxRecordBytes }}
{{- $total := add (mul 110 $mib) (int64 .Values.memoryLimitBytes) (mul 96 $mib) }}
{{- range .Values.endpoints }}
{{- $queue := int64 (default $.Values.queueBytes .hwmBytes) }}
{{- $total = add $total (max (div $queue 4) $record) $record 524288 (mul (int64 $.Values.maxSubscriptions) (int64 $.Values.maxTopicBytes) 48) }}
{{- end }}
{{- $total }}
{{- end }}

{{/*
The shipper container's resources: shipper.resources, with the computed memory limit
where it sets none.
*/}}
{{- define "zeek-zmq-shipper.shipperResources" -}}
{{- $resources := deepCopy .Values.shipper.resources }}
{{- $limits := get $resources "limits" | default dict }}
{{- if not (hasKey $limits "memory") }}
{{- $_ := set $limits "memory" (include "zeek-zmq-shipper.shipperMemoryLimit" .) }}
{{- $_ := set $resources "limits" $limits }}
{{- end }}
{{- toYaml $resources }}
{{- end }}
