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
{{- $combined := include "init-toolkit.combined" $ctx | fromJson -}}
{{- if and $combined.enabled $steps }}
- {{ include "init-toolkit.combinedContainer" (merge (dict "steps" $steps "combined" $combined) $ctx) | nindent 2 | trim }}
{{- else }}
{{- range $name := include "init-toolkit.orderedSteps" $steps | fromJsonArray }}
- {{ include "init-toolkit.initContainer" (merge (dict "step" (index $steps $name)) $ctx) | nindent 2 | trim }}
{{- end }}
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
refuses duplicates instead): LOG_LEVEL/LOG_FORMAT, the step's settings (`init-toolkit.stepSettingsEnv`),
then the shared and the step's own `env` lists.
*/}}
{{- define "init-toolkit.stepEnv" -}}
{{- $cfg := include "init-toolkit.cfg" .root | fromJson -}}
{{- $env := concat (include "init-toolkit.logEnv" .root | fromJsonArray) (include "init-toolkit.stepSettingsEnv" . | fromJsonArray) ($cfg.env | default list) .step.env -}}
{{- include "init-toolkit.checkEnvNames" (dict "env" $env "where" .step.where) -}}
{{- toYaml $env -}}
{{- end -}}

{{/* LOG_LEVEL and LOG_FORMAT of every init container, as a JSON list. */}}
{{- define "init-toolkit.logEnv" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- toJson (list (dict "name" "LOG_LEVEL" "value" $cfg.log.level) (dict "name" "LOG_FORMAT" "value" $cfg.log.format)) -}}
{{- end -}}

{{/*
What a step's tool reads, as a JSON list of EnvVars: AWS settings, one variable per shared volume
that names a flag, the templates, the config file, then `settings`; a setting set to null (to
remove a tool default) is skipped. Called with (dict "root" $ "step" STEP "combined" BOOL): in one
combined container each step's templates and config file are mounted under a directory of its name.
*/}}
{{- define "init-toolkit.stepSettingsEnv" -}}
{{- $cfg := include "init-toolkit.cfg" .root | fromJson -}}
{{- $step := .step -}}
{{- $tool := $step.tool -}}
{{- $env := list -}}
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
{{- $env = append $env (dict "name" (include "init-toolkit.flagEnv" (list $tool "templates")) "value" (include "init-toolkit.stepMountPath" (list $cfg.volumes.templates.mountPath $step.name .combined))) -}}
{{- end -}}
{{- if $step.config -}}
{{- $env = append $env (dict "name" (include "init-toolkit.flagEnv" (list $tool "config")) "value" (printf "%s/%s.yaml" (include "init-toolkit.stepMountPath" (list $cfg.volumes.configFiles.mountPath $step.name .combined)) $step.name)) -}}
{{- end -}}
{{- range $flag, $value := $step.settings -}}
{{- if not (kindIs "invalid" $value) -}}
{{- $env = append $env (dict "name" (include "init-toolkit.flagEnv" (list $tool $flag)) "value" (include "init-toolkit.envValue" $value)) -}}
{{- end -}}
{{- end -}}
{{- toJson $env -}}
{{- end -}}

{{/* Where a step's own ConfigMap volume is mounted: (list MOUNTPATH STEP COMBINED). */}}
{{- define "init-toolkit.stepMountPath" -}}
{{- if index . 2 -}}{{ printf "%s/%s" (index . 0) (index . 1) }}{{- else -}}{{ index . 0 }}{{- end -}}
{{- end -}}

{{/* Fails when an EnvVar list names a variable twice: (dict "env" LIST "where" "steps.NAME"). */}}
{{- define "init-toolkit.checkEnvNames" -}}
{{- $seen := list -}}
{{- range $var := .env -}}
{{- if has $var.name $seen -}}
{{- fail (printf "init-toolkit: %s sets %s twice (from mounts, config, settings or env); keep one" $.where $var.name) -}}
{{- end -}}
{{- $seen = append $seen $var.name -}}
{{- end -}}
{{- end -}}
