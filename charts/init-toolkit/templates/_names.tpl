{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "init-toolkit.name" -}}
{{- .Values.nameOverride | default .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified app name: release and chart, unless the release name already holds the chart name. */}}
{{- define "init-toolkit.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := .Values.nameOverride | default .Chart.Name -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* A derived resource name: (list $ "templates") -> `<fullname>-templates`, within 63 characters. */}}
{{- define "init-toolkit.resourceName" -}}
{{- include "init-toolkit.boundedName" (printf "%s-%s" (include "init-toolkit.fullname" (index . 0)) (index . 1)) -}}
{{- end -}}

{{/*
A name within the 63 characters of a label or DNS label: as it is when it fits, else cut to 54 and
ended with 8 hex digits of its hash, so two long names that share their start stay apart.
*/}}
{{- define "init-toolkit.boundedName" -}}
{{- if le (len .) 63 -}}{{ . }}{{- else -}}{{ printf "%s-%s" (trunc 54 . | trimSuffix "-") (sha256sum . | trunc 8) }}{{- end -}}
{{- end -}}

{{/* A resource name suffix within a workload: (list "worker" "step-config") -> `worker-step-config`; the default workload adds nothing. */}}
{{- define "init-toolkit.workloadSuffix" -}}
{{- if index . 0 -}}{{ printf "%s-%s" (index . 0) (index . 1) }}{{- else -}}{{ index . 1 }}{{- end -}}
{{- end -}}
