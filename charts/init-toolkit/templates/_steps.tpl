{{/*
The declared steps of a workload, each completed from its tool's defaults (`toolDefaults.<tool>`)
and the shared settings, as JSON {name: step}. Called with (dict "root" $ "workload" "").
A step exists only when declared; its name is its container name.
*/}}
{{- define "init-toolkit.steps" -}}
{{- $root := .root -}}
{{- $cfg := include "init-toolkit.cfg" $root | fromJson -}}
{{- $declared := $cfg.steps | default dict -}}
{{- $where := "steps" -}}
{{- if .workload -}}
{{- $workloads := $cfg.workloads | default dict -}}
{{- if not (hasKey $workloads .workload) -}}
{{- fail (printf "init-toolkit: no workload %q under initToolkit.workloads (declared: %s)" .workload (keys $workloads | sortAlpha | join ", " | default "none")) -}}
{{- end -}}
{{- $declared = (index $workloads .workload).steps | default dict -}}
{{- $where = printf "workloads.%s.steps" .workload -}}
{{- end -}}
{{- $steps := dict -}}
{{- range $name, $step := $declared -}}
{{- if $step -}}
{{- if or (gt (len $name) 63) (not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $name)) -}}
{{- fail (printf "init-toolkit: %s.%s: a step name is its container name: lowercase letters, digits and '-', at most 63" $where $name) -}}
{{- end -}}
{{- $defaults := index $cfg.toolDefaults ($step.tool | default "") -}}
{{- if not $defaults -}}
{{- fail (printf "init-toolkit: %s.%s: `tool` must be one of %s" $where $name (keys $cfg.toolDefaults | sortAlpha | join ", ")) -}}
{{- end -}}
{{- if and (eq $step.tool "render-config") (not (or ($step.templates | default dict).files ($step.templates | default dict).existingConfigMap ($step.settings | default dict).templates)) -}}
{{- fail (printf "init-toolkit: %s.%s (render-config) has no templates: set templates.files, templates.existingConfigMap, or settings.templates with volumeMounts of your own" $where $name) -}}
{{- end -}}
{{- $image := $step.image | default dict -}}
{{- $settings := deepCopy ($defaults.settings | default dict) -}}
{{- range $flag, $value := $step.settings | default dict -}}{{- $_ := set $settings $flag $value -}}{{- end -}}
{{- $mounts := deepCopy ($defaults.mounts | default dict) -}}
{{- range $volume, $mount := $step.mounts | default dict -}}{{- $_ := set $mounts $volume $mount -}}{{- end -}}
{{- $_ := set $steps $name (dict
  "name" $name
  "where" (printf "%s.%s" $where $name)
  "tool" $step.tool
  "order" (ternary $step.order $defaults.order (hasKey $step "order"))
  "dependsOn" ($step.dependsOn | default list)
  "image" (dict
    "registry" ($image.registry | default "")
    "repository" ($image.repository | default $defaults.image.repository)
    "tag" ($image.tag | default $cfg.image.tag)
    "digest" ($image.digest | default ""))
  "pullPolicy" ($step.pullPolicy | default $cfg.image.pullPolicy)
  "resources" ($step.resources | default $defaults.resources)
  "securityContext" (mergeOverwrite (deepCopy $cfg.securityContext) ($step.securityContext | default dict))
  "settings" $settings
  "mounts" $mounts
  "aws" $defaults.aws
  "config" ($step.config | default dict)
  "templates" ($step.templates | default dict)
  "command" ($step.command | default list)
  "args" ($step.args | default list)
  "env" ($step.env | default list)
  "envFrom" ($step.envFrom | default list)
  "volumeMounts" ($step.volumeMounts | default list)
  "declared" (keys $step | sortAlpha)) -}}
{{- end -}}
{{- end -}}
{{- toJson $steps -}}
{{- end -}}

{{/* A workload's step names in run order, as a JSON list (e.g. for NOTES.txt). Called like `init-toolkit.initContainers`. */}}
{{- define "init-toolkit.stepNames" -}}
{{- $root := . -}}{{- if and (kindIs "map" .) (hasKey . "root") -}}{{- $root = .root -}}{{- end -}}
{{- include "init-toolkit.orderedSteps" (include "init-toolkit.steps" (dict "root" $root "workload" (include "init-toolkit.workload" .)) | fromJson) -}}
{{- end -}}
