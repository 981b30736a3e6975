{{/*
The init containers (a YAML list to put under `spec.initContainers`), in the order of
`init-toolkit.orderedTools`. Every one runs with the restricted securityContext, reports
its failure reason through the termination message, and mounts only what it uses.
*/}}
{{- define "init-toolkit.initContainers" -}}
{{- include "init-toolkit.initContainersItems" . | trim -}}
{{- end -}}

{{/* The list items with a leading newline; the public template trims it. */}}
{{- define "init-toolkit.initContainersItems" -}}
{{- $root := . -}}
{{- range $name := include "init-toolkit.orderedTools" . | fromJsonArray }}
- {{ include "init-toolkit.initContainer" (dict "root" $root "name" $name) | nindent 2 | trim }}
{{- end }}
{{- end -}}

{{/* One tool's init container. Called with (dict "root" $ "name" "wait-for-db"). */}}
{{- define "init-toolkit.initContainer" -}}
{{- $cfg := include "init-toolkit.cfg" .root | fromJson -}}
{{- $tool := index $cfg.tools .name -}}
name: {{ .name }}
image: {{ include "init-toolkit.image" (dict "root" .root "image" $tool.image) | quote }}
imagePullPolicy: {{ $cfg.image.pullPolicy }}
{{- with $tool.args }}
args:
  {{- toYaml . | nindent 2 }}
{{- end }}
env:
  {{- include "init-toolkit.toolEnv" . | nindent 2 }}
{{- with concat ($cfg.envFrom | default list) ($tool.envFrom | default list) }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with include "init-toolkit.toolVolumeMounts" . }}
volumeMounts:
  {{- . | nindent 2 }}
{{- end }}
{{- with $tool.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $cfg.securityContext | nindent 2 }}
terminationMessagePolicy: FallbackToLogsOnError
{{- end -}}
