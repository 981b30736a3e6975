{{/* Labels that select the app's pods; never change them on an installed release. */}}
{{- define "init-toolkit.selectorLabels" -}}
app.kubernetes.io/name: {{ include "init-toolkit.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Standard labels of every resource, then `commonLabels` (which cannot replace the standard ones). */}}
{{- define "init-toolkit.labels" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- $labels := dict
  "helm.sh/chart" (printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-")
  "app.kubernetes.io/name" (include "init-toolkit.name" .)
  "app.kubernetes.io/instance" .Release.Name
  "app.kubernetes.io/managed-by" .Release.Service -}}
{{- with .Chart.AppVersion }}{{- $_ := set $labels "app.kubernetes.io/version" . -}}{{- end -}}
{{- toYaml (merge $labels ($cfg.commonLabels | default dict)) -}}
{{- end -}}

{{/* `commonAnnotations` of every resource (empty when none). */}}
{{- define "init-toolkit.commonAnnotations" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- with $cfg.commonAnnotations }}{{ toYaml . }}{{ end -}}
{{- end -}}

{{/* Labels of the pods: the selector labels, then `commonLabels` (which cannot replace a selector label). */}}
{{- define "init-toolkit.podLabels" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- toYaml (merge (include "init-toolkit.selectorLabels" . | fromYaml) ($cfg.commonLabels | default dict)) -}}
{{- end -}}
