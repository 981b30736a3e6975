{{/* Whether any enabled tool mounts the given volume: (list $ "templates") -> "true" or "". */}}
{{- define "init-toolkit.volumeUsed" -}}
{{- $cfg := include "init-toolkit.cfg" (index . 0) | fromJson -}}
{{- $volume := index . 1 -}}
{{- range $name, $tool := $cfg.tools -}}
{{- if and $tool.enabled (hasKey ($tool.mounts | default dict) $volume) -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/* Whether any enabled tool has a generated config file: "true" or "". */}}
{{- define "init-toolkit.hasToolConfig" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- range $name, $tool := $cfg.tools -}}
{{- if and $tool.enabled $tool.config -}}true{{- end -}}
{{- end -}}
{{- end -}}

{{/* emptyDir spec of a shared volume, with its size limit and medium (secrets: always Memory). */}}
{{- define "init-toolkit.emptyDir" -}}
{{- $volume := index . 1 -}}
{{- $medium := ternary "Memory" ($volume.medium | default "") (eq (index . 0) "secrets") -}}
emptyDir:
  {{- with $medium }}
  medium: {{ . }}
  {{- end }}
  {{- with $volume.sizeLimit }}
  sizeLimit: {{ . }}
  {{- end }}
{{- end -}}

{{/*
The pod's volumes (a YAML list to put under `spec.volumes`): the three shared emptyDirs,
always (the main container mounts them), plus the templates ConfigMap when a tool uses
it, and one volume per tool with a config, projecting only that tool's file.
*/}}
{{- define "init-toolkit.volumes" -}}
{{- include "init-toolkit.volumesItems" . | trim -}}
{{- end -}}

{{- define "init-toolkit.volumesItems" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- range $key := list "secrets" "data" "config" }}
{{- $volume := index $cfg.volumes $key }}
- name: {{ $volume.name }}
  {{- include "init-toolkit.emptyDir" (list $key $volume) | nindent 2 }}
{{- end }}
{{- if include "init-toolkit.volumeUsed" (list . "templates") }}
- name: {{ $cfg.volumes.templates.name }}
  configMap:
    name: {{ $cfg.templates.existingConfigMap | default (include "init-toolkit.resourceName" (list . "templates")) }}
{{- end }}
{{- range $name, $tool := $cfg.tools }}
{{- if and $tool.enabled $tool.config }}
- name: {{ printf "%s-%s" $cfg.volumes.configFiles.name $name | trunc 63 | trimSuffix "-" }}
  configMap:
    name: {{ include "init-toolkit.resourceName" (list $ "tool-config") }}
    items:
      - key: {{ $name }}.yaml
        path: {{ $name }}.yaml
{{- end }}
{{- end }}
{{- end -}}

{{/* Read-only mounts of the three shared volumes, for the main container's `volumeMounts`. */}}
{{- define "init-toolkit.mainVolumeMounts" -}}
{{- include "init-toolkit.mainVolumeMountsItems" . | trim -}}
{{- end -}}

{{- define "init-toolkit.mainVolumeMountsItems" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- range $key := list "secrets" "data" "config" }}
{{- $volume := index $cfg.volumes $key }}
- name: {{ $volume.name }}
  mountPath: {{ $volume.mountPath }}
  readOnly: true
{{- end }}
{{- end -}}

{{/* A tool's mounts: the volumes in its `mounts` (read-only unless `write`), and its own config file only. */}}
{{- define "init-toolkit.toolVolumeMounts" -}}
{{- include "init-toolkit.toolVolumeMountsItems" . | trim -}}
{{- end -}}

{{- define "init-toolkit.toolVolumeMountsItems" -}}
{{- $cfg := include "init-toolkit.cfg" .root | fromJson -}}
{{- $tool := index $cfg.tools .name -}}
{{- range $key, $mount := $tool.mounts }}
{{- $volume := index $cfg.volumes $key }}
- name: {{ $volume.name }}
  mountPath: {{ $volume.mountPath }}
  readOnly: {{ not $mount.write }}
{{- end }}
{{- if $tool.config }}
- name: {{ printf "%s-%s" $cfg.volumes.configFiles.name .name | trunc 63 | trimSuffix "-" }}
  mountPath: {{ $cfg.volumes.configFiles.mountPath }}
  readOnly: true
{{- end }}
{{- end -}}
