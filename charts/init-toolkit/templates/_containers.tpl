{{/*
The init containers of a workload (list items for `spec.initContainers`; empty when it declares
no step), in the order of `init-toolkit.orderedSteps`. Called with the root context (the
`steps`) or (dict "root" $ "workload" "NAME") (`workloads.NAME.steps`). Every container runs
with the restricted securityContext, reports its failure through the termination message and
mounts only what it uses.
*/}}
{{- define "init-toolkit.initContainers" -}}
{{- include "init-toolkit.initContainersItems" . | trim -}}
{{- end -}}

{{/* The list items with a leading newline; the public template trims it. */}}
{{- define "init-toolkit.initContainersItems" -}}
{{- $root := . -}}{{- if and (kindIs "map" .) (hasKey . "root") -}}{{- $root = .root -}}{{- end -}}
{{- $ctx := dict "root" $root "workload" (include "init-toolkit.workload" .) -}}
{{- $steps := include "init-toolkit.steps" $ctx | fromJson -}}
{{- range $name := include "init-toolkit.orderedSteps" $steps | fromJsonArray }}
- {{ include "init-toolkit.initContainer" (merge (dict "step" (index $steps $name)) $ctx) | nindent 2 | trim }}
{{- end }}
{{- end -}}

{{/* One step's init container. Called with (dict "root" $ "workload" W "step" STEP). */}}
{{- define "init-toolkit.initContainer" -}}
{{- $step := .step -}}
name: {{ $step.name }}
image: {{ include "init-toolkit.image" (dict "root" .root "image" $step.image) | quote }}
imagePullPolicy: {{ $step.pullPolicy }}
{{- with $step.command }}
command:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $step.args }}
args:
  {{- toYaml . | nindent 2 }}
{{- end }}
env:
  {{- include "init-toolkit.stepEnv" . | nindent 2 }}
{{- $cfg := include "init-toolkit.cfg" .root | fromJson -}}
{{- with concat ($cfg.envFrom | default list) $step.envFrom }}
envFrom:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with include "init-toolkit.stepVolumeMounts" . }}
volumeMounts:
  {{- . | nindent 2 }}
{{- end }}
{{- with $step.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml $step.securityContext | nindent 2 }}
terminationMessagePolicy: FallbackToLogsOnError
{{- end -}}

{{/*
A step's environment, in this order (Kubernetes lets a later duplicate win, so the chart
refuses duplicates instead): LOG_LEVEL/LOG_FORMAT, AWS settings, one variable per shared
volume that names a flag, the templates, the config file, `settings`, then the shared and the step's own
`env` lists; a setting set to null (to remove a tool default) is skipped.
*/}}
{{- define "init-toolkit.stepEnv" -}}
{{- $cfg := include "init-toolkit.cfg" .root | fromJson -}}
{{- $step := .step -}}
{{- $tool := $step.tool -}}
{{- $env := list (dict "name" "LOG_LEVEL" "value" $cfg.log.level) (dict "name" "LOG_FORMAT" "value" $cfg.log.format) -}}
{{- if $step.aws -}}
{{- with $cfg.aws.region }}{{ $env = append $env (dict "name" "AWS_REGION" "value" .) }}{{ end -}}
{{- with $cfg.aws.endpointUrl }}{{ $env = append $env (dict "name" "AWS_ENDPOINT_URL" "value" .) }}{{ end -}}
{{- end -}}
{{- range $key, $mount := $step.mounts -}}
{{- if and $mount $mount.flag -}}
{{- $path := (index $cfg.volumes $key).mountPath -}}
{{- with $mount.path }}{{ $path = printf "%s/%s" $path . }}{{ end -}}
{{- $env = append $env (dict "name" (include "init-toolkit.flagEnv" (list $tool $mount.flag)) "value" $path) -}}
{{- end -}}
{{- end -}}
{{- if include "init-toolkit.hasTemplates" $step -}}
{{- $env = append $env (dict "name" (include "init-toolkit.flagEnv" (list $tool "templates")) "value" $cfg.volumes.templates.mountPath) -}}
{{- end -}}
{{- if $step.config -}}
{{- $env = append $env (dict "name" (include "init-toolkit.flagEnv" (list $tool "config")) "value" (printf "%s/%s.yaml" $cfg.volumes.configFiles.mountPath $step.name)) -}}
{{- end -}}
{{- range $flag, $value := $step.settings -}}
{{- if not (kindIs "invalid" $value) -}}
{{- $env = append $env (dict "name" (include "init-toolkit.flagEnv" (list $tool $flag)) "value" (include "init-toolkit.envValue" $value)) -}}
{{- end -}}
{{- end -}}
{{- $env = concat $env ($cfg.env | default list) $step.env -}}
{{- $seen := list -}}
{{- range $var := $env -}}
{{- if has $var.name $seen -}}
{{- fail (printf "init-toolkit: %s sets %s twice (from mounts, config, settings or env); keep one" $step.where $var.name) -}}
{{- end -}}
{{- $seen = append $seen $var.name -}}
{{- end -}}
{{- toYaml $env -}}
{{- end -}}
