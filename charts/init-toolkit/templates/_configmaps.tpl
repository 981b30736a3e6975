{{/*
The ConfigMaps a workload's steps read (YAML documents, each starting with `---`): the steps'
config files (one ConfigMap, a key `<step>.yaml` each) and each render-config step's templates
unless it names an existing ConfigMap. Include once per workload at the top level of a template
file; called like `init-toolkit.initContainers`.
*/}}
{{- define "init-toolkit.configMaps" -}}
{{- $root := . -}}{{- if and (kindIs "map" .) (hasKey . "root") -}}{{- $root = .root -}}{{- end -}}
{{- $workload := include "init-toolkit.workload" . -}}
{{- include "init-toolkit.checkConfigMapNames" $root -}}
{{- $steps := include "init-toolkit.steps" (dict "root" $root "workload" $workload) | fromJson -}}
{{- $configs := dict -}}
{{- range $name, $step := $steps -}}{{- if $step.config -}}{{- $_ := set $configs (printf "%s.yaml" $name) (toYaml $step.config) -}}{{- end -}}{{- end -}}
{{- if $configs }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "init-toolkit.stepConfigMapName" (list $root $workload) }}
  {{- include "init-toolkit.configMapMetadata" (dict "root" $root "workload" $workload) | nindent 2 }}
data:
  {{- toYaml $configs | nindent 2 }}
{{- end }}
{{- range $name, $step := $steps }}
{{- if and $step.templates.files (not $step.templates.existingConfigMap) }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "init-toolkit.stepTemplatesConfigMapName" (list $root $workload $name) }}
  {{- include "init-toolkit.configMapMetadata" (dict "root" $root "workload" $workload) | nindent 2 }}
data:
  {{- toYaml $step.templates.files | nindent 2 }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Name of a workload's one ConfigMap of its steps' config files: (list $ WORKLOAD) -> `<fullname>[-<workload>]-step-config`. */}}
{{- define "init-toolkit.stepConfigMapName" -}}
{{- include "init-toolkit.resourceName" (list (index . 0) (include "init-toolkit.workloadSuffix" (list (index . 1) "step-config"))) -}}
{{- end -}}

{{/* Name of the ConfigMap made of a step's `templates.files`: (list $ WORKLOAD STEP) -> `<fullname>[-<workload>]-<step>-templates`. */}}
{{- define "init-toolkit.stepTemplatesConfigMapName" -}}
{{- include "init-toolkit.resourceName" (list (index . 0) (include "init-toolkit.workloadSuffix" (list (index . 1) (printf "%s-templates" (index . 2))))) -}}
{{- end -}}

{{/*
Labels and annotations of a generated ConfigMap: common ones, then `configMaps.annotations`, then the
workload's own `workloads.<name>.configMaps.annotations` (a pre-install hook Job's ConfigMaps must be
hooks themselves, with a lower weight, while the Deployment's stay ordinary). Called with (dict "root" $ "workload" W).
*/}}
{{- define "init-toolkit.configMapMetadata" -}}
{{- $cfg := include "init-toolkit.cfg" .root | fromJson -}}
{{- $workload := dict -}}
{{- if .workload }}{{ $workload = index ($cfg.workloads | default dict) .workload | default dict }}{{ end -}}
labels:
  {{- include "init-toolkit.labels" .root | nindent 2 }}
{{- with merge (dict) (($workload.configMaps | default dict).annotations | default dict) ($cfg.configMaps.annotations | default dict) ($cfg.commonAnnotations | default dict) }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
Pod annotation with a hash of what the steps read from ConfigMaps (each step's config, its
templates, or the name of the existing ConfigMap it names), so a change of content rolls the
pods (init containers only run when a pod starts) and nothing else does: labels and the chart
version are not in it. The content of an existing ConfigMap is not known at render time: rename
it (e.g. with a version suffix) to roll the pods. 32 hex digits are plenty to detect a change.
*/}}
{{- define "init-toolkit.podAnnotations" -}}
{{- $root := . -}}{{- if and (kindIs "map" .) (hasKey . "root") -}}{{- $root = .root -}}{{- end -}}
{{- $steps := include "init-toolkit.steps" (dict "root" $root "workload" (include "init-toolkit.workload" .)) | fromJson -}}
{{- $content := dict -}}
{{- range $name, $step := $steps -}}
{{- $_ := set $content $name (dict "config" $step.config "templates" $step.templates) -}}
{{- end -}}
checksum/init-toolkit: {{ toJson $content | sha256sum | trunc 32 }}
{{- end -}}


{{/* The names of the ConfigMaps a workload's steps need: (dict "root" $ "workload" W), a JSON list. */}}
{{- define "init-toolkit.configMapNames" -}}
{{- $steps := include "init-toolkit.steps" . | fromJson -}}
{{- $names := list -}}
{{- range $name, $step := $steps -}}
{{- if $step.config -}}{{- $names = append $names (include "init-toolkit.stepConfigMapName" (list $.root $.workload)) -}}{{- end -}}
{{- if and $step.templates.files (not $step.templates.existingConfigMap) -}}
{{- $names = append $names (include "init-toolkit.stepTemplatesConfigMapName" (list $.root $.workload $name)) -}}
{{- end -}}
{{- end -}}
{{- toJson ($names | uniq) -}}
{{- end -}}

{{/*
Fails when two workloads would generate a ConfigMap of the same name (the default workload's step
`export-config` and the `config` step of workload `export` both give `<fullname>-export-config-templates`).
*/}}
{{- define "init-toolkit.checkConfigMapNames" -}}
{{- $cfg := include "init-toolkit.cfg" . | fromJson -}}
{{- $owners := dict -}}
{{- range $workload := prepend (keys ($cfg.workloads | default dict) | sortAlpha) "" -}}
{{- range $name := include "init-toolkit.configMapNames" (dict "root" $ "workload" $workload) | fromJsonArray -}}
{{- $owner := ternary (printf "workloads.%s" $workload) "steps" (ne $workload "") -}}
{{- with index $owners $name -}}
{{- fail (printf "init-toolkit: %s and %s would both create the ConfigMap %s; rename a step or a workload" . $owner $name) -}}
{{- end -}}
{{- $_ := set $owners $name $owner -}}
{{- end -}}
{{- end -}}
{{- end -}}
