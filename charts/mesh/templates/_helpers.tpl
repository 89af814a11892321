{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "mesh.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-scoped name every object is prefixed with. */}}
{{- define "mesh.fullname" -}}
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

{{- define "mesh.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mesh.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mesh.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "mesh.labels" -}}
helm.sh/chart: {{ include "mesh.chart" . }}
{{ include "mesh.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mesh
{{- end }}

{{/* The objects of one service. Argument: dict "root" $ "name" <service>. */}}
{{- define "mesh.componentName" -}}
{{- printf "%s-%s" (include "mesh.fullname" .root) .name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mesh.componentSelectorLabels" -}}
{{ include "mesh.selectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{- define "mesh.componentLabels" -}}
{{ include "mesh.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{/* Dapr app-id: the component name, so two releases in one namespace do not collide. */}}
{{- define "mesh.appId" -}}
{{- include "mesh.componentName" . }}
{{- end }}

{{- define "mesh.serviceAccountName" -}}
{{- if .root.Values.serviceAccount.create }}
{{- include "mesh.componentName" . }}
{{- else }}
{{- "default" }}
{{- end }}
{{- end }}

{{/* Image reference; the tag defaults to the chart's appVersion. */}}
{{- define "mesh.image" -}}
{{- $svc := index .root.Values.services .name }}
{{- $repo := $svc.image.repository | default (printf "%s/mesh-%s" .root.Values.image.registry .name) }}
{{- $tag := $svc.image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}

{{/* Only routing serves TLS to agencies; it then has a second, plaintext port for probes and the sidecar. */}}
{{- define "mesh.publicTls" -}}
{{- if eq .name "routing" }}true{{ end }}
{{- end }}

{{/* The plaintext h2c port: probes, the Dapr app channel, in-cluster callers. */}}
{{- define "mesh.plainPort" -}}
{{- $svc := index .root.Values.services .name }}
{{- if include "mesh.publicTls" . }}{{ $svc.internalPort }}{{ else }}{{ $svc.port }}{{ end }}
{{- end }}

{{/* The Secret (key "token") with Dapr's app API token: dapr.appTokenSecret when set, else, with dapr
     addressing, the one the chart creates (dapr-app-token.yaml); "" when there is none. The sidecar
     annotation and the app's APP_API_TOKEN both name it, so the two halves cannot point at different Secrets. */}}
{{- define "mesh.daprAppTokenSecret" -}}
{{- if .Values.dapr.appTokenSecret }}
{{- .Values.dapr.appTokenSecret }}
{{- else if and .Values.dapr.enabled (eq .Values.addressing "dapr") }}
{{- printf "%s-dapr-app-token" (include "mesh.fullname" .) }}
{{- end }}
{{- end }}

{{- define "mesh.daprEnabled" -}}
{{- if .Values.dapr.enabled }}true{{ end }}
{{- end }}

{{/* The name of the Secret holding one kind of key material, or "" when none is configured. */}}
{{- define "mesh.secretName" -}}
{{- $s := index .root.Values.secrets .kind }}
{{- if $s.existingSecret }}
{{- $s.existingSecret }}
{{- else if or $s.content ($s.pfxBase64 | default "") }}
{{- printf "%s-%s" (include "mesh.fullname" .root) (.kind | kebabcase) }}
{{- end }}
{{- end }}
