{{/*
The shared volumes (secrets, data, config) that a workload's steps mount, as a JSON list in that
order. Two steps that write the same volume at the same path would replace each other's files:
that fails the render. Called with (dict "root" $ "workload" W "steps" STEPS).
*/}}
{{- define "init-toolkit.usedVolumes" -}}
{{- $used := list -}}
{{- $writers := dict -}}
{{- range $name, $step := .steps -}}
{{- range $key, $mount := $step.mounts -}}
{{- if $mount -}}
{{- $used = append $used $key -}}
{{- if $mount.write -}}
{{- $at := printf "%s/%s" $key ($mount.path | default "") -}}
{{- with index $writers $at -}}
{{- fail (printf "init-toolkit: steps %s and %s both write the %s volume at %q: give one of them mounts.%s.path (a subdirectory)" . $name $key (printf "/%s" ($mount.path | default "")) $key) -}}
{{- end -}}
{{- $_ := set $writers $at $name -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $ordered := list -}}
{{- range $key := include "init-toolkit.sharedVolumeKeys" . | fromJsonArray -}}{{- if has $key $used -}}{{- $ordered = append $ordered $key -}}{{- end -}}{{- end -}}
{{- toJson $ordered -}}
{{- end -}}

{{/*
The keys of the shared emptyDir volumes under `volumes` (secrets, data, config), in the order a pod
spec lists them, as a JSON list: the one place that spells them. The argument is not read.
*/}}
{{- define "init-toolkit.sharedVolumeKeys" -}}
{{- toJson (list "secrets" "data" "config") -}}
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
Volume name of a step's own ConfigMap volume: (list $volumePrefix $stepName). Within 63 characters:
a longer one is cut and ends with a hash of the step name, so two long step names never share a volume.
*/}}
{{- define "init-toolkit.stepVolumeName" -}}
{{- include "init-toolkit.boundedName" (printf "%s-%s" (index . 0) (index . 1)) -}}
{{- end -}}

{{/* Volume name of a step's templates (`volumes.templates.name`): (list $cfg.volumes $stepName). */}}
{{- define "init-toolkit.stepTemplatesVolumeName" -}}
{{- include "init-toolkit.stepVolumeName" (list (index . 0).templates.name (index . 1)) -}}
{{- end -}}

{{/* Volume name of a step's config file (`volumes.configFiles.name`): (list $cfg.volumes $stepName). */}}
{{- define "init-toolkit.stepConfigVolumeName" -}}
{{- include "init-toolkit.stepVolumeName" (list (index . 0).configFiles.name (index . 1)) -}}
{{- end -}}

{{/*
A workload's volumes (list items for `spec.volumes`; empty when it has no step): the shared
emptyDirs its steps use, each render-config step's templates ConfigMap, and for each step with a
`config` a volume projecting only that step's file. Called like `init-toolkit.initContainers`.
*/}}
{{- define "init-toolkit.volumes" -}}
{{- include "init-toolkit.volumesItems" . | trim -}}
{{- end -}}

{{/* The list items with a leading newline; the public template trims it. */}}
{{- define "init-toolkit.volumesItems" -}}
{{- $root := . -}}{{- if and (kindIs "map" .) (hasKey . "root") -}}{{- $root = .root -}}{{- end -}}
{{- $workload := include "init-toolkit.workload" . -}}
{{- $cfg := include "init-toolkit.cfg" $root | fromJson -}}
{{- $steps := include "init-toolkit.steps" (dict "root" $root "workload" $workload) | fromJson -}}
{{- range $key := include "init-toolkit.usedVolumes" (dict "steps" $steps) | fromJsonArray }}
{{- $volume := index $cfg.volumes $key }}
- name: {{ $volume.name }}
  {{- include "init-toolkit.emptyDir" (list $key $volume) | nindent 2 }}
{{- end }}
{{- range $name, $step := $steps }}
{{- if include "init-toolkit.hasTemplates" $step }}
- name: {{ include "init-toolkit.stepTemplatesVolumeName" (list $cfg.volumes $name) }}
  configMap:
    name: {{ $step.templates.existingConfigMap | default (include "init-toolkit.stepTemplatesConfigMapName" (list $root $workload $name)) }}
{{- end }}
{{- if $step.config }}
- name: {{ include "init-toolkit.stepConfigVolumeName" (list $cfg.volumes $name) }}
  configMap:
    name: {{ include "init-toolkit.stepConfigMapName" (list $root $workload) }}
    items:
      - key: {{ $name }}.yaml
        path: {{ $name }}.yaml
{{- end }}
{{- end }}
{{- end -}}

{{/* Whether a step has templates of its own (files or an existing ConfigMap): "true" or "". */}}
{{- define "init-toolkit.hasTemplates" -}}
{{- if or .templates.files .templates.existingConfigMap -}}true{{- end -}}
{{- end -}}

{{/* The shared volumes the workload's steps use and where: JSON {"secrets": "/secrets", ...}, e.g. for the app's env. */}}
{{- define "init-toolkit.sharedVolumePaths" -}}
{{- $root := . -}}{{- if and (kindIs "map" .) (hasKey . "root") -}}{{- $root = .root -}}{{- end -}}
{{- $cfg := include "init-toolkit.cfg" $root | fromJson -}}
{{- $steps := include "init-toolkit.steps" (dict "root" $root "workload" (include "init-toolkit.workload" .)) | fromJson -}}
{{- $paths := dict -}}
{{- range $key := include "init-toolkit.usedVolumes" (dict "steps" $steps) | fromJsonArray -}}
{{- $_ := set $paths $key (index $cfg.volumes $key).mountPath -}}
{{- end -}}
{{- toJson $paths -}}
{{- end -}}

{{/*
Read-only mounts of the shared volumes for the main container (list items for `volumeMounts`):
every shared volume the workload's steps use, or only those named in "volumes", e.g.
(dict "root" $ "workload" "" "volumes" (list "config")).
*/}}
{{- define "init-toolkit.mainVolumeMounts" -}}
{{- include "init-toolkit.mainVolumeMountsItems" . | trim -}}
{{- end -}}

{{/* The list items with a leading newline; the public template trims it. */}}
{{- define "init-toolkit.mainVolumeMountsItems" -}}
{{- $root := . -}}{{- if and (kindIs "map" .) (hasKey . "root") -}}{{- $root = .root -}}{{- end -}}
{{- $workload := include "init-toolkit.workload" . -}}
{{- $cfg := include "init-toolkit.cfg" $root | fromJson -}}
{{- $steps := include "init-toolkit.steps" (dict "root" $root "workload" $workload) | fromJson -}}
{{- $used := include "init-toolkit.usedVolumes" (dict "steps" $steps) | fromJsonArray -}}
{{- $wanted := $used -}}
{{- if and (kindIs "map" .) (hasKey . "volumes") -}}{{- $wanted = .volumes -}}{{- end -}}
{{- range $key := $wanted }}
{{- if not (has $key $used) }}
{{- fail (printf "init-toolkit: the main container asks for the %s volume, which no step of this workload uses (used: %s)" $key (join ", " $used | default "none")) }}
{{- end }}
{{- $volume := index $cfg.volumes $key }}
- name: {{ $volume.name }}
  mountPath: {{ $volume.mountPath }}
  readOnly: true
{{- end }}
{{- end -}}

{{/*
A step's mounts: the shared volumes in its `mounts` (read-only unless `write`), its templates,
its own config file, and its extra `volumeMounts`. Called with (dict "root" $ "step" STEP ...).
*/}}
{{- define "init-toolkit.stepVolumeMounts" -}}
{{- include "init-toolkit.stepVolumeMountsItems" . | trim -}}
{{- end -}}

{{/* The list items with a leading newline; the public template trims it. */}}
{{- define "init-toolkit.stepVolumeMountsItems" -}}
{{- $cfg := include "init-toolkit.cfg" .root | fromJson -}}
{{- $step := .step -}}
{{- range $key, $mount := $step.mounts }}
{{- if $mount }}
{{- $volume := index $cfg.volumes $key }}
- name: {{ $volume.name }}
  mountPath: {{ $volume.mountPath }}
  readOnly: {{ not $mount.write }}
{{- end }}
{{- end }}
{{- include "init-toolkit.stepOwnMountsItems" (dict "root" .root "step" $step "combined" false) }}
{{- with $step.volumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* A step's templates and config file mounts (list items with a leading newline); in a combined
container under a directory of the step's name. Called with (dict "root" $ "step" STEP "combined" BOOL). */}}
{{- define "init-toolkit.stepOwnMountsItems" -}}
{{- $cfg := include "init-toolkit.cfg" .root | fromJson -}}
{{- $step := .step -}}
{{- if include "init-toolkit.hasTemplates" $step }}
- name: {{ include "init-toolkit.stepTemplatesVolumeName" (list $cfg.volumes $step.name) }}
  mountPath: {{ include "init-toolkit.stepMountPath" (list $cfg.volumes.templates.mountPath $step.name .combined) }}
  readOnly: true
{{- end }}
{{- if $step.config }}
- name: {{ include "init-toolkit.stepConfigVolumeName" (list $cfg.volumes $step.name) }}
  mountPath: {{ include "init-toolkit.stepMountPath" (list $cfg.volumes.configFiles.mountPath $step.name .combined) }}
  readOnly: true
{{- end }}
{{- end -}}
