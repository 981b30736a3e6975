{{/* Service account the pod runs as. */}}
{{- define "example-app.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "init-toolkit.fullname" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* The shared volumes' mount paths as JSON {"secrets": "/secrets", ...}, for the app. */}}
{{- define "example-app.volumePaths" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- $paths := dict -}}
{{- range $key := list "secrets" "data" "config" -}}
{{- $_ := set $paths $key (index $cfg.volumes $key).mountPath -}}
{{- end -}}
{{- toJson $paths -}}
{{- end -}}
