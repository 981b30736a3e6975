{{/*
The library's configuration: the consumer's `initToolkit` values (the dependency's alias,
coalesced by Helm with this chart's values.yaml), or `init-toolkit` without an alias.
Returned as JSON; callers use `fromJson`. Helm checks only the consumer's own kubeVersion, so the
library's is checked here; values of 0.1 (`tools.<tool>`) fail with the way out.
*/}}
{{- define "init-toolkit.cfg" -}}
{{- $cfg := .Values.initToolkit | default (index .Values "init-toolkit") -}}
{{- if not $cfg -}}
{{- fail "init-toolkit: no values found: add the library to Chart.yaml dependencies with `alias: initToolkit` and run `helm dependency build`" -}}
{{- end -}}
{{- $library := .Subcharts.initToolkit | default (index .Subcharts "init-toolkit") -}}
{{- if and $library $library.Chart.KubeVersion (not (semverCompare $library.Chart.KubeVersion .Capabilities.KubeVersion.Version)) -}}
{{- fail (printf "init-toolkit %s needs Kubernetes %s; this render is for %s (helm --kube-version, or the cluster's)" $library.Chart.Version $library.Chart.KubeVersion .Capabilities.KubeVersion.Version) -}}
{{- end -}}
{{- if $cfg.tools -}}
{{- fail "init-toolkit: initToolkit.tools was replaced by initToolkit.steps in 0.2.0: declare each init container as steps.<name> with `tool: <tool>` (see the library's CHANGELOG.md)" -}}
{{- end -}}
{{- toJson $cfg -}}
{{- end -}}

{{/*
The call context of the public templates as JSON {"workload": ""}: they take either the chart's
root context (the default workload: `initToolkit.steps`) or (dict "root" $ "workload" "NAME")
for `initToolkit.workloads.NAME.steps`. `init-toolkit.root` gives the root back.
*/}}
{{- define "init-toolkit.workload" -}}
{{- if and (kindIs "map" .) (hasKey . "root") -}}{{ .workload | default "" }}{{- end -}}
{{- end -}}

{{/* The library chart's own appVersion: the default tag of the tool images. */}}
{{- define "init-toolkit.appVersion" -}}
{{- $sub := .Subcharts.initToolkit | default (index .Subcharts "init-toolkit") -}}
{{- if $sub -}}{{ $sub.Chart.AppVersion }}{{- else -}}{{ .Chart.AppVersion }}{{- end -}}
{{- end -}}

{{/* Env var prefix of a tool: `wait-for-db` -> `WAIT_FOR_DB`. */}}
{{- define "init-toolkit.envPrefix" -}}
{{- . | replace "-" "_" | upper -}}
{{- end -}}

{{/* Env var of a tool's flag: (list "wait-for-db" "secrets-dir") -> `WAIT_FOR_DB_SECRETS_DIR`. */}}
{{- define "init-toolkit.flagEnv" -}}
{{- printf "%s_%s" (include "init-toolkit.envPrefix" (index . 0)) (index . 1 | replace "-" "_" | upper) -}}
{{- end -}}

{{/*
A setting's env value as the tool reads it: a list joined with newlines, a whole number without
an exponent (Helm reads every YAML number as a float: 1073741824 would print as 1.073741824e+09).
*/}}
{{- define "init-toolkit.envValue" -}}
{{- if kindIs "slice" . -}}
{{- $items := list -}}
{{- range . }}{{ $items = append $items (include "init-toolkit.envValue" .) }}{{ end -}}
{{- join "\n" $items -}}
{{- else if and (kindIs "float64" .) (eq (floor .) .) -}}
{{- printf "%.0f" . -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}
