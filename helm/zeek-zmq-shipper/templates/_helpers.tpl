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
The shipper's configuration file: the settings that take effect at the shipper's start
("zeek-zmq-shipper.restartSettings") and the endpoints, which the shipper reloads when the
file changes ("zeek-zmq-shipper.endpointObjects"). This is the one place where values become
the shipper's configuration keys (those of its convict schema); the inputs and the HTTP host
are environment variables, so that Kubernetes fills in $(NODE_IP) and $(POD_IP) there (the
shipper fills them in the file's endpoints itself). Without shipper.spool, the spool
settings are the shipper's defaults (no spool).
*/}}
{{- define "zeek-zmq-shipper.config" -}}
{{- $config := include "zeek-zmq-shipper.restartSettings" . | fromJson }}
{{- $_ := set $config "endpoints" (include "zeek-zmq-shipper.endpointObjects" . | fromJsonArray) }}
{{- toPrettyJson $config }}
{{- end }}

{{/*
The settings of the config file that a reload does not apply, as JSON: a change of any of
them rolls the pods ("zeek-zmq-shipper.configChecksum").
*/}}
{{- define "zeek-zmq-shipper.restartSettings" -}}
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
  "dataPlane" .Values.dataPlane
  "spoolDir" ""
  "spoolMax" "1GiB"
  "spoolSync" "interval"
  "curveCert" (ternary (printf "%s/cert/curve.key_secret" (include "zeek-zmq-shipper.curveDir" .)) "" (ne .Values.curve.certSecret ""))
}}
{{- if .Values.shipper.spool.enabled }}
{{- $_ := set $config "spoolDir" (include "zeek-zmq-shipper.spoolDir" .) }}
{{- end }}
{{- toJson $config }}
{{- end }}

{{/*
The endpoints in the shipper's object form, as a JSON list: every key of an endpoint value
but the chart's own (`alerting`, `spoolMaxBytes`), under the shipper's names. The CURVE keys
name files: `clients` is `*` or the mounted curve.clientsSecret, `server_key` the mounted
Secret's server.key. With shipper.spool, each endpoint's spool_max and spool_sync.
*/}}
{{- define "zeek-zmq-shipper.endpointObjects" -}}
{{- $dir := include "zeek-zmq-shipper.curveDir" . }}
{{- $spool := .Values.shipper.spool }}
{{- $endpoints := list }}
{{- range .Values.endpoints }}
{{- $object := dict "name" .name "address" .address }}
{{- $endpoint := . }}
{{- range $key := list "mode" "hwm" "linger" "include" "exclude" "curve" "allow" }}
{{- if hasKey $endpoint $key }}
{{- $_ := set $object $key (get $endpoint $key) }}
{{- end }}
{{- end }}
{{- if hasKey . "hwmBytes" }}
{{- $_ := set $object "hwm_bytes" .hwmBytes }}
{{- end }}
{{- if eq (toString .curve) "server" }}
{{- $_ := set $object "clients" (default (printf "%s/clients" $dir) .clients) }}
{{- end }}
{{- if .serverKeySecret }}
{{- $_ := set $object "server_key" (printf "%s/servers/%s/server.key" $dir .serverKeySecret) }}
{{- end }}
{{- if $spool.enabled }}
{{- $max := default $spool.maxBytes .spoolMaxBytes }}
{{- /* A YAML number comes as a float, which toString could write as 2.147483648e+09. */}}
{{- $_ := set $object "spool_max" (ternary $max (printf "%d" (int64 $max)) (kindIs "string" $max)) }}
{{- $_ := set $object "spool_sync" $spool.sync }}
{{- end }}
{{- $endpoints = append $endpoints $object }}
{{- end }}
{{- toJson $endpoints }}
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
{{- $params := list }}
{{- if .Values.relay.curve }}
{{- $params = append $params (printf "curve=server&clients=%s" (urlquery (printf "%s/clients" (include "zeek-zmq-shipper.curveDir" .)))) }}
{{- end }}
{{- if .Values.relay.allow }}
{{- $params = append $params (printf "allow=%s" (urlquery (join "," .Values.relay.allow))) }}
{{- end }}
{{- printf "tcp://%s:%d" .Values.relay.inputHost (int .Values.relay.inputPort) }}
{{- if $params }}?{{ join "&" $params }}{{ end }}
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
Where the CURVE Secrets are mounted in the shipper container: cert/ (curve.certSecret),
clients/ (curve.clientsSecret) and servers/SECRET/ (each endpoint's serverKeySecret).
*/}}
{{- define "zeek-zmq-shipper.curveDir" -}}
/etc/zeek-zmq-shipper/curve
{{- end }}

{{/*
The CURVE Secrets the shipper mounts, as a JSON list of {volume, secret, path}: the
shipper's certificate, the admitted clients' public certificates, and each distinct
server certificate of a curve: client endpoint.
*/}}
{{- define "zeek-zmq-shipper.curveVolumes" -}}
{{- $dir := include "zeek-zmq-shipper.curveDir" . }}
{{- $volumes := list }}
{{- if .Values.curve.certSecret }}
{{- $volumes = append $volumes (dict "volume" "curve-cert" "secret" .Values.curve.certSecret "path" (printf "%s/cert" $dir)) }}
{{- end }}
{{- if .Values.curve.clientsSecret }}
{{- $volumes = append $volumes (dict "volume" "curve-clients" "secret" .Values.curve.clientsSecret "path" (printf "%s/clients" $dir)) }}
{{- end }}
{{- $servers := list }}
{{- range .Values.endpoints }}
{{- if and .serverKeySecret (not (has .serverKeySecret $servers)) }}
{{- $servers = append $servers .serverKeySecret }}
{{- end }}
{{- end }}
{{- range $i, $secret := $servers }}
{{- $volumes = append $volumes (dict "volume" (printf "curve-server-%d" $i) "secret" $secret "path" (printf "%s/servers/%s" $dir $secret)) }}
{{- end }}
{{- toJson $volumes }}
{{- end }}

{{/*
The hash that rolls the pods: the settings the shipper applies only at its start and the
Zeek script, not the endpoints (the shipper reloads them when the kubelet updates the
mounted file, within about a minute) nor the ConfigMap's labels (with the chart version), so
that a chart upgrade or an endpoint change restarts no sensor.
*/}}
{{- define "zeek-zmq-shipper.configChecksum" -}}
{{- list (include "zeek-zmq-shipper.restartSettings" .) (include "zeek-zmq-shipper.zeekScript" .) | toJson | sha256sum }}
{{- end }}

{{/*
terminationGracePeriodSeconds, in seconds:

  ceil((largest linger + zeek.writerLingerMs) / 1000)
    + zeek.clusterStopSeconds  (sensor mode with zeek.workers above 1)
    + terminationGraceMarginSeconds

The largest linger is that of any endpoint (the shipper's drain on SIGTERM); Zeek's writer
linger counts in sensor mode only (Kubernetes stops the Zeek container first and the native
sidecar after it, within the same grace period). A Zeek cluster stops in order, each group
waited for before the next: the workers, then the proxy and the manager, and the loggers
last, whose writers then linger; zeek.clusterStopSeconds is the time allowed for the groups
before the loggers.
*/}}
{{- define "zeek-zmq-shipper.terminationGracePeriodSeconds" -}}
{{- $lingerMs := int .Values.linger }}
{{- range .Values.endpoints }}
{{- if hasKey . "linger" }}
{{- $lingerMs = max $lingerMs (int .linger) }}
{{- end }}
{{- end }}
{{- $clusterS := 0 }}
{{- if eq .Values.mode "sensor" }}
{{- $lingerMs = add $lingerMs (int .Values.zeek.writerLingerMs) }}
{{- if gt (int .Values.zeek.workers) 1 }}
{{- $clusterS = int .Values.zeek.clusterStopSeconds }}
{{- end }}
{{- end }}
{{- add (div (add $lingerMs 999) 1000) $clusterS (int .Values.terminationGraceMarginSeconds) }}
{{- end }}

{{/*
The nodes of a Zeek cluster (zeek.workers above 1), as a JSON list of {name, role}, in the
order the Zeek container lays them out and gives them ports: the manager, the loggers, the
proxy, the workers. Empty for a single Zeek process.
*/}}
{{- define "zeek-zmq-shipper.zeekClusterNodes" -}}
{{- $nodes := list }}
{{- if gt (int .Values.zeek.workers) 1 }}
{{- $nodes = list (dict "name" "manager" "role" "manager") }}
{{- range $i := until (int .Values.zeek.loggers) }}
{{- $nodes = append $nodes (dict "name" (printf "logger-%d" (add1 $i)) "role" "logger") }}
{{- end }}
{{- $nodes = append $nodes (dict "name" "proxy-1" "role" "proxy") }}
{{- range $i := until (int .Values.zeek.workers) }}
{{- $nodes = append $nodes (dict "name" (printf "worker-%d" (add1 $i)) "role" "worker") }}
{{- end }}
{{- end }}
{{- toJson $nodes }}
{{- end }}

{{/*
Zeek's telemetry ports (sensor mode), as a JSON list of {name, port, node}: none with
zeek.telemetryPort 0; one, zeek-telemetry, for a single Zeek process; in a cluster one per
node, from zeek.telemetryPort on in the nodes' order. Port names are the node names (at
most 15 characters, as Kubernetes wants: zeek-worker-256).
*/}}
{{- define "zeek-zmq-shipper.zeekTelemetryPorts" -}}
{{- $ports := list }}
{{- $first := int .Values.zeek.telemetryPort }}
{{- if and (eq .Values.mode "sensor") (gt $first 0) }}
{{- $nodes := include "zeek-zmq-shipper.zeekClusterNodes" . | fromJsonArray }}
{{- range $i, $node := $nodes }}
{{- $ports = append $ports (dict "name" (printf "zeek-%s" $node.name) "port" (add $first $i) "node" $node.name) }}
{{- end }}
{{- if not $nodes }}
{{- $ports = list (dict "name" "zeek-telemetry" "port" $first "node" "") }}
{{- end }}
{{- end }}
{{- toJson $ports }}
{{- end }}

{{/*
A Kubernetes quantity as a whole number of the unit given: millicores of a CPU quantity
("500m", "1.5", 2) or bytes of a memory quantity ("512Mi", "1G"). Called with
(list quantity "cpu"|"memory" what), where "what" names the value in the error.
*/}}
{{- define "zeek-zmq-shipper.quantity" -}}
{{- $text := toString (index . 0) }}
{{- $number := regexFind "^[0-9.]+([eE][0-9]+)?" $text }}
{{- $unit := trimPrefix $number $text }}
{{- if not (kindIs "string" (index . 0)) }}
{{- /* A YAML number (toString may have written it as 2e+09). */}}
{{- $number = index . 0 }}
{{- $unit = "" }}
{{- end }}
{{- $factors := dict "" 1.0 }}
{{- if eq (index . 1) "cpu" }}
{{- $factors = dict "" 1000.0 "m" 1.0 }}
{{- else }}
{{- $factors = dict "" 1.0 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 }}
{{- end }}
{{- if or (eq (toString $number) "") (not (hasKey $factors $unit)) }}
{{- fail (printf "%s is %q: to add the workers' share to it the chart reads %s" (index . 2) $text (ternary "cores or millicores (such as 2 or 500m)" "bytes with a k, M, G, T, Ki, Mi, Gi or Ti suffix (such as 512Mi)" (eq (index . 1) "cpu"))) }}
{{- end }}
{{- mulf (float64 $number) (get $factors $unit) | ceil | int64 }}
{{- end }}

{{/*
The Zeek container's resources. zeek.resources is what one Zeek process needs; in a cluster
(zeek.workers above 1) it stands for the manager, the loggers and the proxy, and each worker
adds its share to the requests and to the limits that are set:

  cpu    += zeek.workers * zeek.perWorker.cpu                                   (millicores)
  memory += zeek.workers * (zeek.perWorker.memoryMiB + zeek.afPacketBufferMiB)  (MiB)

(each worker's AF_PACKET ring is memory of the pod). Disk logs request their volume's size
as ephemeral storage, unless zeek.resources requests ephemeral storage itself.
*/}}
{{- define "zeek-zmq-shipper.zeekResources" -}}
{{- $resources := deepCopy .Values.zeek.resources }}
{{- $workers := int .Values.zeek.workers }}
{{- if gt $workers 1 }}
{{- $share := dict
  "cpu" (mul $workers (int .Values.zeek.perWorker.cpu))
  "memory" (mul $workers (add (int .Values.zeek.perWorker.memoryMiB) (int .Values.zeek.afPacketBufferMiB)))
}}
{{- $_ := set $resources "requests" (get $resources "requests" | default dict) }}
{{- range $kind := list "requests" "limits" }}
{{- $set := get $resources $kind }}
{{- range $resource := list "cpu" "memory" }}
{{- if or (eq $kind "requests") (hasKey ($set | default dict) $resource) }}
{{- $base := int64 0 }}
{{- if hasKey $set $resource }}
{{- $base = include "zeek-zmq-shipper.quantity" (list (get $set $resource) $resource (printf "zeek.resources.%s.%s" $kind $resource)) | int64 }}
{{- end }}
{{- if eq $resource "cpu" }}
{{- $_ := set $set "cpu" (printf "%dm" (add $base (get $share "cpu"))) }}
{{- else }}
{{- $mib := divf $base 1048576 | ceil | int64 }}
{{- $_ := set $set "memory" (printf "%dMi" (add $mib (get $share "memory"))) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.zeek.diskLogs }}
{{- $requests := get $resources "requests" | default dict }}
{{- if not (hasKey $requests "ephemeral-storage") }}
{{- $_ := set $requests "ephemeral-storage" .Values.zeek.diskLogsSizeLimit }}
{{- $_ := set $resources "requests" $requests }}
{{- end }}
{{- end }}
{{- toYaml $resources }}
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
{{- if eq .Values.mode "sensor" }}
{{- $workers := int .Values.zeek.workers }}
{{- /* The Zeek container's own checks, here at install time rather than in a crash loop. */}}
{{- if and (gt (int .Values.zeek.loggers) 1) (eq (int .Values.zeek.workers) 1) }}
{{- fail (printf "zeek.loggers is %d: more than one logger needs a cluster, zeek.workers above 1" (int .Values.zeek.loggers)) }}
{{- end }}
{{- if and .Values.zeek.workerCpus (eq (int .Values.zeek.workers) 1) }}
{{- fail "zeek.workerCpus pins a cluster's workers: it applies with zeek.workers above 1" }}
{{- end }}
{{- if and .Values.zeek.workerCpus (lt (len .Values.zeek.workerCpus) $workers) }}
{{- fail (printf "zeek.workerCpus names %d CPUs for zeek.workers %d: give one CPU per worker, or none" (len .Values.zeek.workerCpus) $workers) }}
{{- end }}
{{- /* Every port a sensor takes on the node: Zeek's telemetry (one per cluster node) on the
node's IP, and a cluster's own ports on 127.0.0.1, which the node shares as well. */}}
{{- $telemetry := include "zeek-zmq-shipper.zeekTelemetryPorts" . | fromJsonArray }}
{{- $last := sub (add (int .Values.zeek.telemetryPort) (len $telemetry)) 1 }}
{{- if gt $last 65535 }}
{{- fail (printf "zeek.telemetryPort %d gives Zeek's %d cluster nodes the ports up to %d, beyond 65535: lower it" (int .Values.zeek.telemetryPort) (len $telemetry) $last) }}
{{- end }}
{{- range $telemetry }}
{{- $port := toString (int .port) }}
{{- $what := ternary "zeek.telemetryPort" (printf "the telemetry port of Zeek's %s (zeek.telemetryPort + %d)" .node (sub (int .port) (int $.Values.zeek.telemetryPort))) (eq (int .port) (int $.Values.zeek.telemetryPort)) }}
{{- if hasKey $ports $port }}
{{- fail (printf "%s %s is also %s" $what $port (get $ports $port)) }}
{{- end }}
{{- $ports = set $ports $port $what }}
{{- end }}
{{- $offset := 0 }}
{{- range include "zeek-zmq-shipper.zeekClusterNodes" . | fromJsonArray }}
{{- if ne .role "worker" }}
{{- $port := toString (add (int $.Values.zeek.clusterPort) $offset) }}
{{- $what := ternary "zeek.clusterPort" (printf "the cluster port of Zeek's %s (zeek.clusterPort + %d)" .name $offset) (eq $offset 0) }}
{{- if hasKey $ports $port }}
{{- fail (printf "%s %s is also %s" $what $port (get $ports $port)) }}
{{- end }}
{{- $ports = set $ports $port $what }}
{{- $offset = add1 $offset }}
{{- end }}
{{- end }}
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
{{- $curveUsers := list }}
{{- if and (eq .Values.mode "relay") .Values.relay.curve (not .Values.curve.clientsSecret) }}
{{- fail "relay.curve admits only the sensors whose public certificates are in curve.clientsSecret, which is empty: create a Secret of the sensors' NAME.key files and name it there" }}
{{- end }}
{{- if and (eq .Values.mode "relay") .Values.relay.curve }}
{{- $curveUsers = append $curveUsers "relay.curve" }}
{{- end }}
{{- range .Values.endpoints }}
{{- if .curve }}
{{- $curveUsers = append $curveUsers (printf "endpoint %q" .name) }}
{{- end }}
{{- if and (eq (toString .curve) "server") (not .clients) (not $.Values.curve.clientsSecret) }}
{{- fail (printf "endpoint %q is a CURVE server that admits the clients of curve.clientsSecret, which is empty: create a Secret of the subscribers' NAME.key files and name it there, or set clients: \"*\" to admit any CURVE client" .name) }}
{{- end }}
{{- end }}
{{- if and $curveUsers (not .Values.curve.certSecret) }}
{{- fail (printf "%s speaks CURVE, but curve.certSecret is empty: create a Secret holding the shipper's curve.key_secret (zeek-zmq-shipper keygen curve) and name it there" (join ", " $curveUsers)) }}
{{- end }}
{{- if .Values.shipper.spool.enabled }}
{{- $_ := include "zeek-zmq-shipper.spoolBytes" . }}
{{- end }}
{{- if and .Values.shipper.spool.enabled (eq .Values.mode "relay") (not .Values.shipper.spool.persistentVolumeClaim) }}
{{- fail "shipper.spool in relay mode keeps the spools on a PersistentVolumeClaim: create one (ReadWriteOnce, sized for the sum of the endpoints' spool_max) and name it in shipper.spool.persistentVolumeClaim" }}
{{- end }}
{{- if and .Values.shipper.spool.enabled (eq .Values.mode "relay") (gt (int .Values.relay.replicas) 1) }}
{{- fail (printf "relay.replicas is %d with shipper.spool: the replicas would share one claim, and a spool directory has one owner; run one relay with a spool (README: Spool)" (int .Values.relay.replicas)) }}
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
{{- $queues := list }}
{{- range .Values.endpoints }}
{{- $queues = append $queues (int64 (default $.Values.queueBytes .hwmBytes)) }}
{{- end }}
{{- /* Spare endpoints of the default queue size, up to shipper.memoryLimitEndpoints: adding
or removing such an endpoint by a reload leaves the limit, and so the pods, as they are. */}}
{{- range until (int (sub (max (int .Values.shipper.memoryLimitEndpoints) (len $queues)) (len $queues))) }}
{{- $queues = append $queues (int64 $.Values.queueBytes) }}
{{- end }}
{{- range $queue := $queues }}
{{- $total = add $total (max (div $queue 4) $record) $record 524288 (mul (int64 $.Values.maxSubscriptions) (int64 $.Values.maxTopicBytes) 48) }}
{{- end }}
{{- $total }}
{{- end }}

{{/*
Where the shipper's spools are (shipper.spool): ZEEK_ZMQ_SPOOL_DIR, under which each
endpoint spools to a directory named after it.
*/}}
{{- define "zeek-zmq-shipper.spoolDir" -}}
/var/spool/zeek-zmq-shipper
{{- end }}

{{/*
The node's directory of a sensor's spools (shipper.spool.hostPath, or one per release).
*/}}
{{- define "zeek-zmq-shipper.spoolHostPath" -}}
{{- default (printf "/var/lib/zeek-zmq-shipper/%s" (include "zeek-zmq-shipper.fullname" .)) .Values.shipper.spool.hostPath }}
{{- end }}

{{/*
A spool size in bytes: a whole number, or one with a KiB, MiB or GiB suffix (the shipper's
spool_max). Called with (list size what).
*/}}
{{- define "zeek-zmq-shipper.byteSize" -}}
{{- $text := toString (index . 0) }}
{{- if not (kindIs "string" (index . 0)) }}
{{- $text = printf "%d" (int64 (index . 0)) }}
{{- end }}
{{- $number := regexFind "^[0-9]+" $text }}
{{- $unit := trimPrefix $number $text }}
{{- $factors := dict "" 1 "KiB" 1024 "MiB" 1048576 "GiB" 1073741824 }}
{{- if or (not $number) (not (hasKey $factors $unit)) }}
{{- fail (printf "%s is %q: give bytes, optionally with a KiB, MiB or GiB suffix (such as 2GiB)" (index . 1) $text) }}
{{- end }}
{{- $bytes := mul (int64 $number) (get $factors $unit) }}
{{- if lt $bytes 1048576 }}
{{- fail (printf "%s is %q, less than the smallest spool the shipper takes, 1MiB" (index . 1) $text) }}
{{- end }}
{{- $bytes }}
{{- end }}

{{/*
The disk the spools may take together, in bytes: the sum of every endpoint's spool_max.
*/}}
{{- define "zeek-zmq-shipper.spoolBytes" -}}
{{- $total := int64 0 }}
{{- range .Values.endpoints }}
{{- $total = add $total (include "zeek-zmq-shipper.byteSize" (list (default $.Values.shipper.spool.maxBytes .spoolMaxBytes) (printf "the spoolMaxBytes of endpoint %q" .name)) | int64) }}
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
